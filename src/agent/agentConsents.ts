import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { z } from 'zod';
import { callRecord } from '../calls/store.js';
import { consentByRecording } from '../consents/store.js';
import { accountNumberField, bankCodeField, checkAccountFields } from '../kftc/fields.js';
import type { Logger } from '../log.js';
import { findPayer, searchPayers as searchPayersOnFile } from '../payers/store.js';
import { recordingBySid } from '../recordings/store.js';
import { spokenHolderId } from '../scenario/engine.js';
import type { ScenarioSet } from '../scenario/loader.js';
import { fillTemplate } from '../scenario/speech.js';
import { maskPhone } from '../shared/mask.js';
import { firstProblem } from '../shared/problems.js';
import { Refusal } from '../shared/refusal.js';
import { koreanAgentMessage } from '../shared/koreanMessages.js';
import { kstIso } from '../shared/time.js';
import type { TwilioRest } from '../telephony/rest.js';
import {
  addAgentEvent, agentConsentById, agentEvents, failAgentConsent, finishAgentConsent, insertAgentConsent, liveAgentCalls, moveAgentConsent,
  setAgentRecording, type AgentConsent,
} from './store.js';


/**
 * Agent-recorded consent (녹취, method 4): on a live call the ARS handed to an agent, the agent
 * marks the consent part. Start records the call through Twilio's REST API and shows the script;
 * Pause and Resume leave an off-topic stretch out; Consented or Declined stops the recording.
 * Only the part between Start and the answer is on the recording (R3).
 *
 * Each step is a use case over the stores (calls, payers, agent consents, consents); a refusal is
 * a `Refusal`, answered by the HTTP edge.
 */

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

/** Digits as an agent reads them aloud: one by one. */
const readable = (digits: string) => [...digits].join(' ');

const refused = {
  input: (field: string, reason: string) => new Refusal('validation', reason, { field, message: koreanAgentMessage(400, field, reason) }),
  notFound: (reason: string, field?: string) => new Refusal('not-found', reason, { ...(field ? { field } : {}), message: koreanAgentMessage(404, field, reason) }),
  conflict: (reason: string, field?: string) => new Refusal('conflict', reason, { ...(field ? { field } : {}), message: koreanAgentMessage(409, field, reason) }),
  twilio: (reason: string) => new Refusal('upstream-failed', reason, { code: 'twilio_failed', message: koreanAgentMessage(502, undefined, reason) }),
};

/** Another agent's marked part is not found (admins act on any). */
export function notYours(): Refusal {
  return refused.notFound('no recorded consent of yours with that id');
}

async function markedPart(db: pg.Pool, id: string): Promise<AgentConsent> {
  const part = await agentConsentById(db, id);
  if (!part) throw refused.notFound('no agent consent with that id');
  return part;
}

/** A marked part as the console shows it: its state, the events, and the consent record once the pipeline made it. */
export async function showAgentConsent(db: pg.Pool, id: string) {
  const part = await markedPart(db, id);
  const consent = part.recordingSid ? await consentByRecording(db, part.recordingSid) : undefined;
  const recording = part.recordingSid ? await recordingBySid(db, part.recordingSid) : undefined;
  const pipeline = recording ? { state: recording.pipeline, error: recording.pipelineError } : undefined;
  const events = await agentEvents(db, part.id);
  return {
    id: part.id,
    callSid: part.callSid,
    state: part.state,
    reason: part.reason,
    agent: part.agent,
    payerNumber: part.payerNumber,
    holderName: part.holderName,
    bankCode: part.bankCode,
    accountNumber: part.accountNumber,
    script: part.script,
    recordingSid: part.recordingSid,
    startedAt: kstIso(part.startedAt),
    finishedAt: part.finishedAt ? kstIso(part.finishedAt) : null,
    consentId: consent?.id ?? null,
    consentStatus: consent?.status ?? null,
    evidenceProblems: consent ? consent.evidence.checks.filter((c) => !c.ok).map((c) => c.reason) : [],
    verificationNumber: consent?.verificationNumber ?? null,
    evidenceFailedChecks: consent ? consent.evidence.checks.filter((c) => !c.ok).map((c) => c.name) : [],
    pipeline: pipeline ?? null,
    events: events.map((e) => ({ at: kstIso(e.at), kind: e.kind, actor: e.actor })),
  };
}

/** The live calls the ARS handed to an agent (menu 0, or after it gave up), newest first. */
export async function listLiveCalls(db: pg.Pool) {
  return (await liveAgentCalls(db)).map((c) => ({
    callSid: c.callSid,
    from: c.fromNumber ? maskPhone(c.fromNumber) : null,
    payerNumber: c.payerNumber,
    holderName: c.holderName,
    reason: c.outcomeDetail?.reason ?? null,
    fromStep: c.outcomeDetail?.fromStep ?? null,
    transferredAt: kstIso(c.transferredAt),
    hungUp: c.hungUpAt !== null,
    agentConsent: c.agentConsent,
  }));
}

/** The console's payer search (phones masked). */
export async function findPayersForAgent(db: pg.Pool, q: string) {
  const term = q.trim();
  if (term.length < 1) return [];
  return (await searchPayersOnFile(db, term)).map((p) => ({ payerNumber: p.payerNumber, name: p.name, birthDate: p.birthDate, phone: maskPhone(p.phone) }));
}

/** Start: the call must be live with an agent; the payer on file and the account checked; the script filled in; Twilio records. */
export async function startAgentConsent(deps: AgentConsentDeps, body: unknown, agent: string) {
  const { pool } = deps;
  const parsed = startSchema.safeParse(body);
  if (!parsed.success) {
    const { field, reason } = firstProblem(parsed.error);
    throw refused.input(field, reason);
  }
  const input = parsed.data;
  const call = await callRecord(pool, input.callSid);
  if (!call) throw refused.notFound('no call with that CallSid', 'callSid');
  if (call.outcome !== 'transferred' || call.hungUpAt) throw refused.conflict('the call is not live with an agent', 'callSid');
  const payer = await findPayer(pool, input.payerNumber);
  if (!payer) throw refused.input('payerNumber', 'no payer with that payer number');
  const account = checkAccountFields(input.bankCode, input.accountNumber);
  if (!account.ok) throw refused.input(account.field, account.reason);
  const scenario = deps.scenarios.byId(call.scenarioId) ?? deps.scenarios.forCalledNumber(undefined);
  const script = fillTemplate(scenario.agent.script, {
    holderId: spokenHolderId(payer).replace(/사업자등록번호 .*/, `사업자등록번호 ${readable(payer.businessNumber ?? '')}`),
    holderName: payer.name,
    organization: scenario.organization.name,
    bankName: account.bankName,
    accountNumber: readable(account.accountNumber),
  });
  const id = randomUUID();
  const inserted = await insertAgentConsent(pool, {
    id, callSid: input.callSid, agent, payerNumber: payer.payerNumber, holderName: payer.name, birthDate: payer.birthDate,
    businessNumber: payer.businessNumber ?? null, phone: payer.phone, bankCode: account.bankCode, accountNumber: account.accountNumber, scenarioId: scenario.id, script,
  });
  if (!inserted) throw refused.conflict('a recorded consent is already in progress on this call', 'callSid');
  try {
    const recordingSid = await deps.twilio.startCallRecording(input.callSid, `${deps.publicBaseUrl}/twilio/recording?agentConsent=${id}`);
    await setAgentRecording(pool, id, recordingSid);
    await addAgentEvent(pool, id, 'start', agent, { recordingSid });
  } catch (err) {
    const reason = `Twilio could not start the recording: ${(err as Error).message}`;
    await failAgentConsent(pool, id, reason);
    throw refused.twilio(reason);
  }
  deps.log.info({ agentConsentId: id, callSid: input.callSid, agent }, 'agent started a recorded consent');
  return showAgentConsent(pool, id);
}

/** Pause or resume: Twilio skips the paused stretch; the state and an event follow. */
export async function pauseOrResumeAgentConsent(deps: AgentConsentDeps, id: string, agent: string, paused: boolean) {
  const part = await markedPart(deps.pool, id);
  const from = paused ? 'recording' : 'paused';
  if (part.state !== from) throw refused.conflict(`the recording is ${part.state}, not ${from}`);
  try {
    await deps.twilio.updateCallRecording(part.callSid, part.recordingSid!, paused ? 'paused' : 'in-progress');
  } catch (err) {
    throw refused.twilio(`Twilio could not ${paused ? 'pause' : 'resume'} the recording: ${(err as Error).message}`);
  }
  await moveAgentConsent(deps.pool, id, from, paused ? 'paused' : 'recording');
  await addAgentEvent(deps.pool, id, paused ? 'pause' : 'resume', agent);
  return showAgentConsent(deps.pool, id);
}

/** The payer answered: stop the recording, say what the answer was, and hand the recording on. */
export async function finishAgentConsentWith(deps: AgentConsentDeps, id: string, agent: string, result: 'consented' | 'declined') {
  const part = await markedPart(deps.pool, id);
  if (part.state !== 'recording' && part.state !== 'paused') throw refused.conflict(`the recorded consent is already ${part.state}`);
  let stopNote: string | undefined;
  try {
    await deps.twilio.updateCallRecording(part.callSid, part.recordingSid!, 'stopped');
  } catch (err) {
    // The payer hung up meanwhile: the recording ended with the call, and the answer still stands.
    if ((err as { status?: number }).status !== 404) throw refused.twilio(`Twilio could not stop the recording: ${(err as Error).message}`);
    stopNote = 'the recording had already ended with the call';
  }
  if (!(await finishAgentConsent(deps.pool, id, result))) throw refused.conflict('the recorded consent was finished meanwhile');
  await addAgentEvent(deps.pool, id, 'finish', agent, { result, whilePaused: part.state === 'paused', ...(stopNote ? { note: stopNote } : {}) });
  deps.log.info({ agentConsentId: id, callSid: part.callSid, agent, result }, 'agent finished a recorded consent');
  await deps.decided(part.recordingSid!);
  if (result === 'consented') await deps.consented(part.callSid);
  return showAgentConsent(deps.pool, id);
}

/** The use cases bound to their dependencies, as service.ts hands them to the routes. */
export function createAgentConsents(deps: AgentConsentDeps) {
  return {
    liveCalls: () => listLiveCalls(deps.pool),
    start: (body: unknown, agent: string) => startAgentConsent(deps, body, agent),
    show: (id: string) => showAgentConsent(deps.pool, id),
    searchPayers: (q: string) => findPayersForAgent(deps.pool, q),
    pause: (id: string, agent: string) => pauseOrResumeAgentConsent(deps, id, agent, true),
    resume: (id: string, agent: string) => pauseOrResumeAgentConsent(deps, id, agent, false),
    finish: (id: string, agent: string, result: 'consented' | 'declined') => finishAgentConsentWith(deps, id, agent, result),
  };
}

export type AgentConsents = ReturnType<typeof createAgentConsents>;
