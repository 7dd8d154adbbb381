import type { Db } from '../db/database.js';
import type { Action, CallState, LogEntry } from '../scenario/engine.js';

/**
 * A call's row and its append-only event log. Writes are single statements guarded by the turn
 * the state was read at (optimistic concurrency): any process may take any webhook of a call,
 * and of two racing deliveries exactly one is applied.
 */

type CallRow = {
  call_sid: string;
  scenario_id: string;
  from_number: string | null;
  state: CallState;
  last_twiml: string;
  version: number;
};

/** A call as the call service works on it: the engine's state and the TwiML last answered. */
export type StoredCall = {
  callSid: string;
  scenarioId: string;
  fromNumber: string | null;
  state: CallState;
  lastTwiml: string;
  /** Incremented by every write; a write names the version it read. */
  version: number;
};

/** A call as an auditor reads it (GET /api/calls/:callSid, the agent console). */
export type CallRecord = {
  callSid: string;
  scenarioId: string;
  direction: string;
  step: string;
  outcome: string | null;
  outcomeDetail: Record<string, unknown> | null;
  payerNumber: string | null;
  bankCode: string | null;
  accountNumber: string | null;
  startedAt: Date;
  endedAt: Date | null;
  hungUpAt: Date | null;
};

export type CallEventRecord = { at: Date; turn: number; step: string; kind: string; detail: Record<string, unknown> };

const GET_CALL = 'SELECT call_sid, scenario_id, from_number, state, last_twiml, version FROM calls WHERE call_sid = $1';
const CALL_RECORD = `SELECT call_sid, scenario_id, direction, step, outcome, outcome_detail, payer_number, bank_code, account_number,
    started_at, ended_at, hung_up_at
  FROM calls WHERE call_sid = $1`;
const CALL_EVENTS = 'SELECT at, turn, step, kind, detail FROM call_events WHERE call_sid = $1 ORDER BY id';
const MARK_HUNG_UP = 'UPDATE calls SET hung_up_at = COALESCE(hung_up_at, now()) WHERE call_sid = $1';

export type EventInsert = { turn: number; step: string; kind: string; detail: Record<string, unknown> };

export async function getCall(db: Db, callSid: string): Promise<StoredCall | undefined> {
  const r = await db.query<CallRow>({ name: 'get-call', text: GET_CALL, values: [callSid] });
  const row = r.rows[0];
  return row
    ? { callSid: row.call_sid, scenarioId: row.scenario_id, fromNumber: row.from_number, state: row.state, lastTwiml: row.last_twiml, version: row.version }
    : undefined;
}

/** The call's columns as an auditor reads them; undefined for an unknown CallSid. */
export async function callRecord(db: Db, callSid: string): Promise<CallRecord | undefined> {
  const r = (await db.query<{
    call_sid: string; scenario_id: string; direction: string; step: string; outcome: string | null; outcome_detail: Record<string, unknown> | null;
    payer_number: string | null; bank_code: string | null; account_number: string | null; started_at: Date; ended_at: Date | null; hung_up_at: Date | null;
  }>(CALL_RECORD, [callSid])).rows[0];
  return r
    ? {
        callSid: r.call_sid, scenarioId: r.scenario_id, direction: r.direction, step: r.step, outcome: r.outcome, outcomeDetail: r.outcome_detail,
        payerNumber: r.payer_number, bankCode: r.bank_code, accountNumber: r.account_number, startedAt: r.started_at, endedAt: r.ended_at, hungUpAt: r.hung_up_at,
      }
    : undefined;
}

/** The call's event log, in order. */
export async function callEvents(db: Db, callSid: string): Promise<CallEventRecord[]> {
  return (await db.query<CallEventRecord>(CALL_EVENTS, [callSid])).rows.map((e) => ({ at: e.at, turn: e.turn, step: e.step, kind: e.kind, detail: e.detail }));
}

/** Twilio says the call ended (a call handed to an agent stays live after its ARS part). */
export async function markHungUp(db: Db, callSid: string): Promise<void> {
  await db.query(MARK_HUNG_UP, [callSid]);
}

function columnsOf(state: CallState) {
  const o = state.outcome;
  return {
    step: state.step,
    outcome: o?.kind ?? null,
    outcomeDetail: o ?? null,
    payerNumber: state.payer?.payerNumber ?? null,
    bankCode: state.account?.bankCode ?? null,
    accountNumber: state.account?.accountNumber ?? null,
  };
}

const INSERT_EVENTS = `INSERT INTO call_events (call_sid, turn, step, kind, detail)
  SELECT w.call_sid, (x.e->>'turn')::int, x.e->>'step', x.e->>'kind', x.e->'detail'
    FROM w, jsonb_array_elements($EVENTS::jsonb) WITH ORDINALITY AS x(e, n)
   ORDER BY x.n`;

const APPEND_EVENTS = `WITH w AS (SELECT $1::text AS call_sid) ${INSERT_EVENTS.replace('$EVENTS', '$2')}`;

/** Inserts a new call with its first turn; false when the CallSid exists already (a replay). */
export async function commitNewCall(
  db: Db,
  call: { callSid: string; scenarioId: string; from: string | undefined; to: string | undefined; direction: string; requestId?: string | undefined },
  state: CallState,
  twiml: string,
  events: EventInsert[],
): Promise<boolean> {
  const c = columnsOf(state);
  const r = await db.query<{ n: number }>({
    name: 'new-call',
    text: `WITH w AS (
       INSERT INTO calls (call_sid, scenario_id, from_number, to_number, direction, state, last_twiml, step, outcome, outcome_detail, payer_number, bank_code, account_number, request_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $15)
       ON CONFLICT (call_sid) DO NOTHING RETURNING call_sid
     ), e AS (${INSERT_EVENTS.replace('$EVENTS', '$14')} RETURNING 1)
     SELECT (SELECT count(*) FROM w)::int AS n`,
    values: [call.callSid, call.scenarioId, call.from ?? null, call.to ?? null, call.direction, state, twiml,
      c.step, c.outcome, c.outcomeDetail, c.payerNumber, c.bankCode, c.accountNumber, JSON.stringify(events), call.requestId ?? null],
  });
  return r.rows[0]!.n === 1;
}

/** Applies a turn to the version it was read at; false when another delivery got there first. */
export async function commitTurn(
  db: Db, callSid: string, readVersion: number, state: CallState, twiml: string | undefined, events: EventInsert[],
): Promise<boolean> {
  const c = columnsOf(state);
  const r = await db.query<{ n: number }>({
    name: 'commit-turn',
    text: `WITH w AS (
       UPDATE calls SET version = version + 1, state = $2, last_twiml = COALESCE($3, last_twiml), step = $4, outcome = $5, outcome_detail = $6,
         payer_number = $7, bank_code = $8, account_number = $9, updated_at = now(),
         ended_at = CASE WHEN $4 = 'ended' THEN COALESCE(ended_at, now()) ELSE ended_at END
       WHERE call_sid = $1 AND version = $10
       RETURNING call_sid
     ), e AS (${INSERT_EVENTS.replace('$EVENTS', '$11')} RETURNING 1)
     SELECT (SELECT count(*) FROM w)::int AS n`,
    values: [callSid, state, twiml ?? null, c.step, c.outcome, c.outcomeDetail, c.payerNumber, c.bankCode, c.accountNumber,
      readVersion, JSON.stringify(events)],
  });
  return r.rows[0]!.n === 1;
}

export async function appendEvents(db: Db, callSid: string, events: EventInsert[]): Promise<void> {
  if (events.length === 0) return;
  await db.query(APPEND_EVENTS, [callSid, JSON.stringify(events)]);
}

/** The events of one turn: what the caller did, what was checked, and what the ARS played. */
export function turnEvents(turn: number, log: LogEntry[], actions: Action[], stepAfter: string): EventInsert[] {
  const events: EventInsert[] = log.map((l) => ({ turn, step: l.step, kind: l.kind, detail: l.detail }));
  for (const a of actions) {
    switch (a.kind) {
      case 'say':
        // A confidential prompt (the voice check's consent) is logged as said, without its words.
        if (a.confidential) events.push({ turn, step: stepAfter, kind: 'prompt', detail: { confidential: true } });
        else events.push({ turn, step: stepAfter, kind: 'prompt', detail: a.evidence ? { text: a.text, evidence: a.evidence } : { text: a.text } });
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
