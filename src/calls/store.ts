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

/** A turn's events, in order, as one row of call_turns (read back one event a row from the call_events view). */
const APPEND_EVENTS = 'INSERT INTO call_turns (call_sid, events) VALUES ($1, $2::jsonb)';

/** A new call with its first turn, or a turn of a call applied to the version it was read at. */
export type CallWrite =
  | {
      kind: 'new';
      call: { callSid: string; scenarioId: string; from: string | undefined; to: string | undefined; direction: string; requestId?: string | undefined };
      state: CallState;
      twiml: string;
      events: EventInsert[];
    }
  | {
      kind: 'turn';
      callSid: string;
      readVersion: number;
      state: CallState;
      /** Undefined keeps the TwiML last answered (a status callback answers none). */
      twiml: string | undefined;
      events: EventInsert[];
      /** Twilio said the call ended (a call handed to an agent stays live after its ARS part). */
      hungUp?: boolean;
    };

export function callSidOf(write: CallWrite): string {
  return write.kind === 'new' ? write.call.callSid : write.callSid;
}

/**
 * Several calls' writes in one statement (one commit): new calls are inserted unless the CallSid
 * exists (a replay), turns are applied only where the version is still the one read (another
 * delivery or process got there first otherwise), and each applied write's events are appended as
 * one turn. A CallSid appears at most once. Returns the CallSids whose write was applied.
 */
const COMMIT_WRITES = `WITH input AS (
    SELECT * FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (
      kind text, call_sid text, read_version int, scenario_id text, from_number text, to_number text, direction text, request_id uuid,
      state jsonb, twiml text, step text, outcome text, outcome_detail jsonb, payer_number text, bank_code text, account_number text,
      hung_up boolean, events jsonb
    )) WITH ORDINALITY AS i(kind, call_sid, read_version, scenario_id, from_number, to_number, direction, request_id,
      state, twiml, step, outcome, outcome_detail, payer_number, bank_code, account_number, hung_up, events, n)
  ), inserted AS (
    INSERT INTO calls (call_sid, scenario_id, from_number, to_number, direction, state, last_twiml, step, outcome, outcome_detail, payer_number, bank_code, account_number, request_id)
    SELECT call_sid, scenario_id, from_number, to_number, direction, state, twiml, step, outcome, outcome_detail, payer_number, bank_code, account_number, request_id
      FROM input WHERE kind = 'new'
    ON CONFLICT (call_sid) DO NOTHING
    RETURNING call_sid
  ), updated AS (
    UPDATE calls c SET version = c.version + 1, state = i.state, last_twiml = COALESCE(i.twiml, c.last_twiml), step = i.step,
        outcome = i.outcome, outcome_detail = i.outcome_detail, payer_number = i.payer_number, bank_code = i.bank_code,
        account_number = i.account_number, updated_at = now(),
        ended_at = CASE WHEN i.step = 'ended' THEN COALESCE(c.ended_at, now()) ELSE c.ended_at END,
        hung_up_at = CASE WHEN i.hung_up THEN COALESCE(c.hung_up_at, now()) ELSE c.hung_up_at END
      FROM input i
     WHERE i.kind = 'turn' AND c.call_sid = i.call_sid AND c.version = i.read_version
    RETURNING c.call_sid
  ), applied AS (
    SELECT call_sid FROM inserted UNION ALL SELECT call_sid FROM updated
  ), turns AS (
    INSERT INTO call_turns (call_sid, events)
    SELECT i.call_sid, i.events FROM input i JOIN applied a ON a.call_sid = i.call_sid
     WHERE jsonb_array_length(i.events) > 0
     ORDER BY i.n
    RETURNING 1
  )
  SELECT call_sid FROM applied`;

function rowOf(write: CallWrite): Record<string, unknown> {
  const c = columnsOf(write.state);
  const common = {
    call_sid: callSidOf(write), state: write.state, twiml: write.twiml, step: c.step, outcome: c.outcome ?? undefined,
    outcome_detail: c.outcomeDetail ?? undefined, payer_number: c.payerNumber ?? undefined, bank_code: c.bankCode ?? undefined,
    account_number: c.accountNumber ?? undefined, events: write.events,
  };
  if (write.kind === 'turn') return { kind: 'turn', read_version: write.readVersion, hung_up: write.hungUp === true, ...common };
  const { call } = write;
  return { kind: 'new', scenario_id: call.scenarioId, from_number: call.from, to_number: call.to, direction: call.direction, request_id: call.requestId, ...common };
}

/** Commits the writes together; the CallSids whose write was applied. */
export async function commitCallWrites(db: Db, writes: CallWrite[]): Promise<Set<string>> {
  const r = await db.query<{ call_sid: string }>({ name: 'commit-call-writes', text: COMMIT_WRITES, values: [JSON.stringify(writes.map(rowOf))] });
  return new Set(r.rows.map((row) => row.call_sid));
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
