import type { Db } from '../db/database.js';

/**
 * The `agent_consents` and `agent_consent_events` tables: an agent's marked parts of live calls and
 * what happened during each (start, pause, resume, finish). Every SQL statement on them lives here.
 */

export type AgentConsentState = 'recording' | 'paused' | 'consented' | 'declined' | 'abandoned' | 'failed';

/** A row of agent_consents as the database has it (parsed once into AgentConsent). */
type AgentConsentRow = {
  id: string;
  call_sid: string;
  agent: string;
  payer_number: string;
  holder_name: string;
  birth_date: string;
  business_number: string | null;
  phone: string | null;
  bank_code: string;
  account_number: string;
  scenario_id: string;
  script: string;
  recording_sid: string | null;
  state: AgentConsentState;
  reason: string | null;
  started_at: Date;
  finished_at: Date | null;
};

/** One marked part of a call. */
export type AgentConsent = {
  id: string;
  callSid: string;
  agent: string;
  payerNumber: string;
  holderName: string;
  birthDate: string;
  businessNumber: string | null;
  phone: string | null;
  bankCode: string;
  accountNumber: string;
  scenarioId: string;
  script: string;
  recordingSid: string | null;
  state: AgentConsentState;
  reason: string | null;
  startedAt: Date;
  finishedAt: Date | null;
};

export type AgentEvent = { at: Date; kind: string; actor: string };

/** A call handed to an agent that the console lists. */
export type LiveAgentCall = {
  callSid: string;
  fromNumber: string | null;
  payerNumber: string | null;
  holderName: string | null;
  outcomeDetail: { reason?: string; fromStep?: string } | null;
  transferredAt: Date;
  hungUpAt: Date | null;
  agentConsent: { id: string; state: string } | null;
};

function toAgentConsent(r: AgentConsentRow): AgentConsent {
  return {
    id: r.id, callSid: r.call_sid, agent: r.agent, payerNumber: r.payer_number, holderName: r.holder_name, birthDate: r.birth_date,
    businessNumber: r.business_number, phone: r.phone, bankCode: r.bank_code, accountNumber: r.account_number, scenarioId: r.scenario_id,
    script: r.script, recordingSid: r.recording_sid, state: r.state, reason: r.reason, startedAt: r.started_at, finishedAt: r.finished_at,
  };
}

const INSERT = `INSERT INTO agent_consents (id, call_sid, agent, payer_number, holder_name, birth_date, business_number, phone, bank_code, account_number, scenario_id, script, state)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'recording')`;
const BY_ID = 'SELECT * FROM agent_consents WHERE id = $1';
const BY_RECORDING = 'SELECT * FROM agent_consents WHERE recording_sid = $1';
const OF_CALLBACK = 'SELECT * FROM agent_consents WHERE (id = $1 OR recording_sid = $2) AND call_sid = $3 LIMIT 1';
const RECORDING_OF_CALL = "SELECT * FROM agent_consents WHERE call_sid = $1 AND state = 'recording' LIMIT 1";
const SET_RECORDING = 'UPDATE agent_consents SET recording_sid = COALESCE(recording_sid, $2) WHERE id = $1';
const FAIL = "UPDATE agent_consents SET state = 'failed', reason = $2, finished_at = now() WHERE id = $1";
const MOVE = 'UPDATE agent_consents SET state = $2 WHERE id = $1 AND state = $3';
const FINISH = "UPDATE agent_consents SET state = $2, finished_at = now() WHERE id = $1 AND state IN ('recording', 'paused')";
const ADD_EVENT = 'INSERT INTO agent_consent_events (agent_consent_id, kind, actor, detail) VALUES ($1, $2, $3, $4)';
const EVENTS = 'SELECT at, kind, actor FROM agent_consent_events WHERE agent_consent_id = $1 ORDER BY id';
const LIVE_CALLS = `SELECT c.call_sid, c.from_number, c.payer_number, c.outcome_detail, c.updated_at, c.hung_up_at, p.name AS holder_name,
       a.id AS agent_consent_id, a.state AS agent_state
  FROM calls c
  LEFT JOIN payers p ON p.payer_number = c.payer_number
  LEFT JOIN agent_consents a ON a.call_sid = c.call_sid AND a.state IN ('recording', 'paused')
 WHERE (c.outcome = 'transferred' AND c.hung_up_at IS NULL AND c.updated_at > now() - interval '12 hours')
    -- A marked part still waiting for the agent's answer stays listed after the payer hung up.
    OR a.id IS NOT NULL
 ORDER BY c.updated_at DESC LIMIT 100`;

export type NewAgentConsent = Omit<AgentConsent, 'recordingSid' | 'state' | 'reason' | 'startedAt' | 'finishedAt'>;

/** Starts a marked part; false when one is already in progress on the call. */
export async function insertAgentConsent(db: Db, a: NewAgentConsent): Promise<boolean> {
  try {
    await db.query(INSERT, [a.id, a.callSid, a.agent, a.payerNumber, a.holderName, a.birthDate, a.businessNumber, a.phone, a.bankCode, a.accountNumber, a.scenarioId, a.script]);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === '23505') return false;
    throw err;
  }
}

/** The marked part with this id; undefined for an unknown id or one that is not a UUID. */
export async function agentConsentById(db: Db, id: string): Promise<AgentConsent | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const row = (await db.query<AgentConsentRow>(BY_ID, [id])).rows[0];
  return row ? toAgentConsent(row) : undefined;
}

export async function agentConsentByRecording(db: Db, recordingSid: string): Promise<AgentConsent | undefined> {
  const row = (await db.query<AgentConsentRow>(BY_RECORDING, [recordingSid])).rows[0];
  return row ? toAgentConsent(row) : undefined;
}

/** The marked part a recording callback belongs to: by the id in its URL, or by its recording. */
export async function agentConsentOfCallback(db: Db, idParam: string | undefined, recordingSid: string, callSid: string): Promise<AgentConsent | undefined> {
  const id = idParam && /^[0-9a-f-]{36}$/i.test(idParam) ? idParam : null;
  const row = (await db.query<AgentConsentRow>(OF_CALLBACK, [id, recordingSid, callSid])).rows[0];
  return row ? toAgentConsent(row) : undefined;
}

/** The part being recorded on a call right now (the demo agent reads its script). */
export async function recordingAgentConsentOfCall(db: Db, callSid: string): Promise<AgentConsent | undefined> {
  const row = (await db.query<AgentConsentRow>(RECORDING_OF_CALL, [callSid])).rows[0];
  return row ? toAgentConsent(row) : undefined;
}

export async function setAgentRecording(db: Db, id: string, recordingSid: string): Promise<void> {
  await db.query(SET_RECORDING, [id, recordingSid]);
}

export async function failAgentConsent(db: Db, id: string, reason: string): Promise<void> {
  await db.query(FAIL, [id, reason]);
}

/** Moves a part from one live state to the other (recording ⇄ paused); false if it was not in `from`. */
export async function moveAgentConsent(db: Db, id: string, from: 'recording' | 'paused', to: 'recording' | 'paused'): Promise<boolean> {
  return ((await db.query(MOVE, [id, to, from])).rowCount ?? 0) === 1;
}

/** Records the agent's answer; false when the part was finished meanwhile. */
export async function finishAgentConsent(db: Db, id: string, result: 'consented' | 'declined'): Promise<boolean> {
  return ((await db.query(FINISH, [id, result])).rowCount ?? 0) === 1;
}

export async function addAgentEvent(db: Db, id: string, kind: string, actor: string, detail: Record<string, unknown> = {}): Promise<void> {
  await db.query(ADD_EVENT, [id, kind, actor, detail]);
}

export async function agentEvents(db: Db, id: string): Promise<AgentEvent[]> {
  return (await db.query<AgentEvent>(EVENTS, [id])).rows.map((e) => ({ at: e.at, kind: e.kind, actor: e.actor }));
}

/** Calls the ARS handed to an agent in the last 12 hours and still live, or with a part awaiting the answer. */
export async function liveAgentCalls(db: Db): Promise<LiveAgentCall[]> {
  const r = await db.query<{
    call_sid: string; from_number: string | null; payer_number: string | null; outcome_detail: { reason?: string; fromStep?: string } | null;
    updated_at: Date; hung_up_at: Date | null; holder_name: string | null; agent_consent_id: string | null; agent_state: string | null;
  }>(LIVE_CALLS);
  return r.rows.map((c) => ({
    callSid: c.call_sid, fromNumber: c.from_number, payerNumber: c.payer_number, holderName: c.holder_name, outcomeDetail: c.outcome_detail,
    transferredAt: c.updated_at, hungUpAt: c.hung_up_at, agentConsent: c.agent_consent_id ? { id: c.agent_consent_id, state: c.agent_state ?? '' } : null,
  }));
}
