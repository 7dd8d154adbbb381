import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { z } from 'zod';
import { accountNumberField, bankCodeField, checkAccountFields } from '../kftc/fields.js';
import { maskPhone } from '../shared/mask.js';
import { findPayer } from '../payers/payers.js';
import { firstProblem } from '../shared/problems.js';
import { kstIso } from '../shared/time.js';
import type { Logger } from '../log.js';
import { spokenHolderId } from '../scenario/engine.js';
import type { ScenarioSet } from '../scenario/loader.js';
import { fillTemplate } from '../scenario/speech.js';
import type { TwilioRest } from '../telephony/rest.js';

/**
 * Agent-recorded consent (녹취, method 4): on a live call the ARS handed to an agent, the agent
 * marks the consent part. Start records the call through Twilio's REST API and shows the script;
 * Pause and Resume leave an off-topic stretch out; Consented or Declined stops the recording.
 * Only the part between Start and the answer is on the recording (R3).
 */

export class AgentRefused extends Error {
  constructor(
    readonly status: number,
    readonly field: string | undefined,
    reason: string,
  ) {
    super(reason);
  }
}

export type AgentConsentDeps = {
  pool: pg.Pool;
  twilio: TwilioRest;
  scenarios: ScenarioSet;
  log: Logger;
  publicBaseUrl: string;
  /** The recording and the agent's answer meet in the pipeline, whichever comes second. */
  decided(recordingSid: string): Promise<void>;
  /** A consent's recording is looked for at Twilio if its callback never comes. */
  consented(callSid: string): Promise<void>;
};

export const startSchema = z
  .object({
    callSid: z.string({ error: 'is required' }).regex(/^CA[0-9a-fA-F]{32}$/, 'must be a CallSid'),
    payerNumber: z.string({ error: 'is required' }).trim().min(1, 'is required'),
    bankCode: bankCodeField,
    accountNumber: accountNumberField,
  })
  .strict();

/** A row of agent_consents: one marked part of a call. */
export type AgentConsentRow = {
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
  state: 'recording' | 'paused' | 'consented' | 'declined' | 'failed';
  reason: string | null;
  started_at: Date;
  finished_at: Date | null;
};

/** Digits as an agent reads them aloud: one by one. */
const readable = (digits: string) => [...digits].join(' ');

export function createAgentConsents(deps: AgentConsentDeps) {
  const { pool, log } = deps;

  async function event(id: string, kind: string, actor: string, detail: Record<string, unknown> = {}): Promise<void> {
    await pool.query('INSERT INTO agent_consent_events (agent_consent_id, kind, actor, detail) VALUES ($1, $2, $3, $4)', [id, kind, actor, detail]);
  }

  async function row(id: string): Promise<AgentConsentRow> {
    const r = /^[0-9a-f-]{36}$/i.test(id) ? (await pool.query<AgentConsentRow>('SELECT * FROM agent_consents WHERE id = $1', [id])).rows[0] : undefined;
    if (!r) throw new AgentRefused(404, undefined, 'no agent consent with that id');
    return r;
  }

  async function show(id: string) {
    const r = await row(id);
    const consent = r.recording_sid
      ? (await pool.query<{ id: string; status: string; verification_number: string; evidence: { checks: { name: string; ok: boolean; reason: string }[] } }>('SELECT id, status, verification_number, evidence FROM consents WHERE recording_sid = $1', [r.recording_sid])).rows[0]
      : undefined;
    const pipeline = r.recording_sid
      ? (await pool.query<{ pipeline: string; pipeline_error: string | null }>('SELECT pipeline, pipeline_error FROM recordings WHERE recording_sid = $1', [r.recording_sid])).rows[0]
      : undefined;
    const events = (await pool.query<{ at: Date; kind: string; actor: string }>('SELECT at, kind, actor FROM agent_consent_events WHERE agent_consent_id = $1 ORDER BY id', [r.id])).rows;
    return {
      id: r.id,
      callSid: r.call_sid,
      state: r.state,
      reason: r.reason,
      agent: r.agent,
      payerNumber: r.payer_number,
      holderName: r.holder_name,
      bankCode: r.bank_code,
      accountNumber: r.account_number,
      script: r.script,
      recordingSid: r.recording_sid,
      startedAt: kstIso(r.started_at),
      finishedAt: r.finished_at ? kstIso(r.finished_at) : null,
      consentId: consent?.id ?? null,
      consentStatus: consent?.status ?? null,
      evidenceProblems: consent ? consent.evidence.checks.filter((c) => !c.ok).map((c) => c.reason) : [],
      verificationNumber: consent?.verification_number ?? null,
      evidenceFailedChecks: consent ? consent.evidence.checks.filter((c) => !c.ok).map((c) => c.name) : [],
      pipeline: pipeline ? { state: pipeline.pipeline, error: pipeline.pipeline_error } : null,
      events: events.map((e) => ({ at: kstIso(e.at), kind: e.kind, actor: e.actor })),
    };
  }

  /** The live calls the ARS handed to an agent (menu 0, or after it gave up), newest first. */
  async function liveCalls() {
    const r = await pool.query<{
      call_sid: string; from_number: string | null; payer_number: string | null; outcome_detail: { reason?: string; fromStep?: string } | null;
      updated_at: Date; hung_up_at: Date | null; holder_name: string | null; agent_consent_id: string | null; agent_state: string | null;
    }>(
      `SELECT c.call_sid, c.from_number, c.payer_number, c.outcome_detail, c.updated_at, c.hung_up_at, p.name AS holder_name,
              a.id AS agent_consent_id, a.state AS agent_state
         FROM calls c
         LEFT JOIN payers p ON p.payer_number = c.payer_number
         LEFT JOIN agent_consents a ON a.call_sid = c.call_sid AND a.state IN ('recording', 'paused')
        WHERE (c.outcome = 'transferred' AND c.hung_up_at IS NULL AND c.updated_at > now() - interval '12 hours')
           -- A marked part still waiting for the agent's answer stays listed after the payer hung up.
           OR a.id IS NOT NULL
        ORDER BY c.updated_at DESC LIMIT 100`,
    );
    return r.rows.map((c) => ({
      callSid: c.call_sid,
      from: c.from_number ? maskPhone(c.from_number) : null,
      payerNumber: c.payer_number,
      holderName: c.holder_name,
      reason: c.outcome_detail?.reason ?? null,
      fromStep: c.outcome_detail?.fromStep ?? null,
      transferredAt: kstIso(c.updated_at),
      hungUp: c.hung_up_at !== null,
      agentConsent: c.agent_consent_id ? { id: c.agent_consent_id, state: c.agent_state } : null,
    }));
  }

  async function start(body: unknown, agent: string) {
    const parsed = startSchema.safeParse(body);
    if (!parsed.success) {
      const { field, reason } = firstProblem(parsed.error);
      throw new AgentRefused(400, field, reason);
    }
    const input = parsed.data;
    const call = (await pool.query<{ scenario_id: string; outcome: string | null; hung_up_at: Date | null }>('SELECT scenario_id, outcome, hung_up_at FROM calls WHERE call_sid = $1', [input.callSid])).rows[0];
    if (!call) throw new AgentRefused(404, 'callSid', 'no call with that CallSid');
    if (call.outcome !== 'transferred' || call.hung_up_at) throw new AgentRefused(409, 'callSid', 'the call is not live with an agent');
    const payer = await findPayer(pool, input.payerNumber);
    if (!payer) throw new AgentRefused(400, 'payerNumber', 'no payer with that payer number');
    const account = checkAccountFields(input.bankCode, input.accountNumber);
    if (!account.ok) throw new AgentRefused(400, account.field, account.reason);
    const scenario = deps.scenarios.byId(call.scenario_id) ?? deps.scenarios.forCalledNumber(undefined);
    const script = fillTemplate(scenario.agent.script, {
      holderId: spokenHolderId(payer).replace(/사업자등록번호 .*/, `사업자등록번호 ${readable(payer.businessNumber ?? '')}`),
      holderName: payer.name,
      organization: scenario.organization.name,
      bankName: account.bankName,
      accountNumber: readable(account.accountNumber),
    });
    const id = randomUUID();
    try {
      await pool.query(
        `INSERT INTO agent_consents (id, call_sid, agent, payer_number, holder_name, birth_date, business_number, phone, bank_code, account_number, scenario_id, script, state)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'recording')`,
        [id, input.callSid, agent, payer.payerNumber, payer.name, payer.birthDate, payer.businessNumber ?? null, payer.phone, account.bankCode, account.accountNumber, scenario.id, script],
      );
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new AgentRefused(409, 'callSid', 'a recorded consent is already in progress on this call');
      throw err;
    }
    try {
      const recordingSid = await deps.twilio.startCallRecording(input.callSid, `${deps.publicBaseUrl}/twilio/recording?agentConsent=${id}`);
      await pool.query('UPDATE agent_consents SET recording_sid = COALESCE(recording_sid, $2) WHERE id = $1', [id, recordingSid]);
      await event(id, 'start', agent, { recordingSid });
    } catch (err) {
      const reason = `Twilio could not start the recording: ${(err as Error).message}`;
      await pool.query("UPDATE agent_consents SET state = 'failed', reason = $2, finished_at = now() WHERE id = $1", [id, reason]);
      throw new AgentRefused(502, undefined, reason);
    }
    log.info({ agentConsentId: id, callSid: input.callSid, agent }, 'agent started a recorded consent');
    return show(id);
  }

  async function setPaused(id: string, agent: string, paused: boolean) {
    const r = await row(id);
    const from = paused ? 'recording' : 'paused';
    if (r.state !== from) throw new AgentRefused(409, undefined, `the recording is ${r.state}, not ${from}`);
    try {
      await deps.twilio.updateCallRecording(r.call_sid, r.recording_sid!, paused ? 'paused' : 'in-progress');
    } catch (err) {
      throw new AgentRefused(502, undefined, `Twilio could not ${paused ? 'pause' : 'resume'} the recording: ${(err as Error).message}`);
    }
    await pool.query('UPDATE agent_consents SET state = $2 WHERE id = $1 AND state = $3', [id, paused ? 'paused' : 'recording', from]);
    await event(id, paused ? 'pause' : 'resume', agent);
    return show(id);
  }

  /** The payer answered: stop the recording and say what the answer was. */
  async function finish(id: string, agent: string, result: 'consented' | 'declined') {
    const r = await row(id);
    if (r.state !== 'recording' && r.state !== 'paused') throw new AgentRefused(409, undefined, `the recorded consent is already ${r.state}`);
    let stopNote: string | undefined;
    try {
      await deps.twilio.updateCallRecording(r.call_sid, r.recording_sid!, 'stopped');
    } catch (err) {
      // The payer hung up meanwhile: the recording ended with the call, and the answer still stands.
      if ((err as { status?: number }).status !== 404) throw new AgentRefused(502, undefined, `Twilio could not stop the recording: ${(err as Error).message}`);
      stopNote = 'the recording had already ended with the call';
    }
    const updated = await pool.query("UPDATE agent_consents SET state = $2, finished_at = now() WHERE id = $1 AND state IN ('recording', 'paused')", [id, result]);
    if (!updated.rowCount) throw new AgentRefused(409, undefined, 'the recorded consent was finished meanwhile');
    await event(id, 'finish', agent, { result, whilePaused: r.state === 'paused', ...(stopNote ? { note: stopNote } : {}) });
    log.info({ agentConsentId: id, callSid: r.call_sid, agent, result }, 'agent finished a recorded consent');
    await deps.decided(r.recording_sid!);
    if (result === 'consented') await deps.consented(r.call_sid);
    return show(id);
  }

  async function searchPayers(q: string) {
    const term = q.trim();
    if (term.length < 1) return [];
    const r = await pool.query<{ payer_number: string; name: string; birth_date: string; phone: string }>(
      `SELECT payer_number, name, birth_date, phone FROM payers
        WHERE payer_number = $1 OR payer_number LIKE $2 OR name LIKE $2 ORDER BY (payer_number = $1) DESC, name LIMIT 20`,
      [term, `${term.replace(/[%_\\]/g, '\\$&')}%`],
    );
    return r.rows.map((p) => ({ payerNumber: p.payer_number, name: p.name, birthDate: p.birth_date, phone: maskPhone(p.phone) }));
  }

  return {
    liveCalls,
    start,
    show,
    searchPayers,
    pause: (id: string, agent: string) => setPaused(id, agent, true),
    resume: (id: string, agent: string) => setPaused(id, agent, false),
    finish,
  };
}

export type AgentConsents = ReturnType<typeof createAgentConsents>;
