import type pg from 'pg';
import type { Action, CallState, LogEntry } from '../scenario/engine.js';

export type CallRow = {
  call_sid: string;
  scenario_id: string;
  from_number: string | null;
  state: CallState;
  last_twiml: string;
};

export async function lockCall(client: pg.PoolClient, callSid: string): Promise<CallRow | undefined> {
  const r = await client.query<CallRow>('SELECT call_sid, scenario_id, from_number, state, last_twiml FROM calls WHERE call_sid = $1 FOR UPDATE', [callSid]);
  return r.rows[0];
}

export async function insertCall(
  client: pg.PoolClient,
  call: { callSid: string; scenarioId: string; from: string | undefined; to: string | undefined; direction: string; state: CallState },
): Promise<boolean> {
  const r = await client.query(
    `INSERT INTO calls (call_sid, scenario_id, from_number, to_number, direction, state, step)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (call_sid) DO NOTHING`,
    [call.callSid, call.scenarioId, call.from ?? null, call.to ?? null, call.direction, call.state, call.state.step],
  );
  return r.rowCount === 1;
}

export async function saveCall(client: pg.PoolClient, callSid: string, state: CallState, twiml: string | undefined): Promise<void> {
  const o = state.outcome;
  await client.query(
    `UPDATE calls SET state = $2, step = $3, last_twiml = COALESCE($4, last_twiml), outcome = $5, outcome_detail = $6,
       payer_number = $7, bank_code = $8, account_number = $9, updated_at = now(),
       ended_at = CASE WHEN $3 = 'ended' THEN COALESCE(ended_at, now()) ELSE ended_at END
     WHERE call_sid = $1`,
    [
      callSid, state, state.step, twiml ?? null, o?.kind ?? null, o ?? null,
      state.payer?.payerNumber ?? null, state.account?.bankCode ?? null, state.account?.accountNumber ?? null,
    ],
  );
}

export type EventInsert = { turn: number; step: string; kind: string; detail: Record<string, unknown> };

export async function appendEvents(client: pg.PoolClient, callSid: string, events: EventInsert[]): Promise<void> {
  if (events.length === 0) return;
  const values: unknown[] = [];
  const rows = events.map((e, i) => {
    values.push(callSid, e.turn, e.step, e.kind, e.detail);
    const b = i * 5;
    return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5})`;
  });
  await client.query(`INSERT INTO call_events (call_sid, turn, step, kind, detail) VALUES ${rows.join(', ')}`, values);
}

/** The events of one turn: what the caller did, what was checked, and what the ARS played. */
export function turnEvents(turn: number, log: LogEntry[], actions: Action[], stepAfter: string): EventInsert[] {
  const events: EventInsert[] = log.map((l) => ({ turn, step: l.step, kind: l.kind, detail: l.detail }));
  for (const a of actions) {
    switch (a.kind) {
      case 'say':
        events.push({ turn, step: stepAfter, kind: 'prompt', detail: a.evidence ? { text: a.text, evidence: a.evidence } : { text: a.text } });
        break;
      case 'gather':
        events.push({ turn, step: stepAfter, kind: 'prompt', detail: { text: a.say.join(' '), gather: a.mode } });
        break;
      case 'startRecording':
        events.push({ turn, step: stepAfter, kind: 'recordingStarted', detail: { attempt: a.attempt } });
        break;
      case 'dial':
        events.push({ turn, step: stepAfter, kind: 'dial', detail: {} });
        break;
      case 'hangup':
        events.push({ turn, step: stepAfter, kind: 'hangup', detail: {} });
        break;
      case 'pause':
        break;
    }
  }
  return events;
}
