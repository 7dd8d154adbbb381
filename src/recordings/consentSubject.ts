import type { PreparedRecording } from '../audio/prepare.js';
import { getCall } from '../calls/store.js';
import { checkAgentEvidence, checkEvidence, type Evidence } from '../consents/evidence.js';
import type { Db } from '../db/database.js';
import type { PayerSnapshot } from '../scenario/engine.js';
import type { ScenarioSet } from '../scenario/loader.js';
import type { Scenario } from '../scenario/schema.js';
import type { AgentConsent } from '../agent/store.js';
import { agentConsentEvents, callEvents } from './consentSourcesStore.js';
import type { Recording } from './store.js';

/** What a consent recording is evidence of, wherever it came from: the ARS (method 5) or an agent's call (method 4). */
export type ConsentSubject = {
  methodCode: 4 | 5;
  consentBy: 'key' | 'voice';
  scenario: Scenario;
  payer: PayerSnapshot;
  account: { bankCode: string; accountNumber: string };
  attempt: number;
  consentedAt: Date;
  /** The evidence check of this kind of consent, on the prepared audio. */
  check(prepared: PreparedRecording, rec: Recording): Evidence;
};

/** An agent's marked part is evidence only once the agent marked the answer as consent. */
export function agentPurpose(state: AgentConsent['state']): 'consent' | 'awaiting-agent' | 'not-consent' {
  return state === 'consented' ? 'consent' : state === 'recording' || state === 'paused' ? 'awaiting-agent' : 'not-consent';
}

/** Which readback attempt gave the ARS consent, if the call ended in one. */
export async function consentAttemptOf(db: Db, callSid: string): Promise<number | undefined> {
  const call = await getCall(db, callSid);
  if (!call || call.state.outcome?.kind !== 'consented') return undefined;
  return call.state.readbacks;
}

/** The ARS's consent (inbound or outbound): the call ended in consent, its state holds who and what. */
export async function arsSubject(db: Db, scenarios: ScenarioSet, rec: Recording): Promise<ConsentSubject | undefined> {
  const call = await getCall(db, rec.callSid);
  const state = call?.state;
  const outcome = state?.outcome;
  if (!call || !state || outcome?.kind !== 'consented' || !state.payer || !state.account) return undefined;
  const events = await callEvents(db, rec.callSid);
  const announcement = events.findLast((e) => e.kind === 'prompt' && e.detail.evidence === 'consentAnnouncement');
  const attempt = rec.attempt ?? state.readbacks;
  return {
    methodCode: 5,
    consentBy: outcome.by,
    scenario: scenarios.byId(call.scenarioId) ?? scenarios.forCalledNumber(undefined),
    payer: state.payer,
    account: state.account,
    attempt,
    consentedAt: announcement?.at ?? new Date(),
    check: (prepared, r) =>
      checkEvidence(events, {
        attempt,
        durationSeconds: prepared.durationSeconds,
        declaredSeconds: r.durationSeconds ?? undefined,
        truncated: prepared.truncated,
        payerFrames: prepared.payerFrames,
        arsFrames: prepared.arsFrames,
        consentBy: outcome.by,
        speech: outcome.speech,
        consentKey: outcome.key,
      }),
  };
}

/** An agent's recorded consent (method 4): the marked part of the call, the payer's spoken yes. */
export async function agentSubject(db: Db, scenarios: ScenarioSet, agent: AgentConsent): Promise<ConsentSubject | undefined> {
  if (agent.state !== 'consented') return undefined;
  const events = await agentConsentEvents(db, agent.id);
  return {
    methodCode: 4,
    consentBy: 'voice',
    scenario: scenarios.byId(agent.scenarioId) ?? scenarios.forCalledNumber(undefined),
    payer: { payerNumber: agent.payerNumber, name: agent.holderName, birthDate: agent.birthDate, phone: agent.phone ?? '', businessNumber: agent.businessNumber ?? undefined },
    account: { bankCode: agent.bankCode, accountNumber: agent.accountNumber },
    attempt: 1,
    consentedAt: agent.finishedAt ?? new Date(),
    check: (prepared, r) =>
      checkAgentEvidence(events, {
        script: agent.script,
        durationSeconds: prepared.durationSeconds,
        declaredSeconds: r.durationSeconds ?? undefined,
        truncated: prepared.truncated,
        payerFrames: prepared.payerFrames,
        agentFrames: prepared.arsFrames,
      }),
  };
}
