import type { Db } from '../db/database.js';
import { agentConsentByRecording, agentEvents } from '../agent/store.js';
import { kstIso } from '../shared/time.js';
import { requestByCallSid } from '../requests/store.js';

/**
 * How a consent was taken, for an auditor: the caller's own ARS call, a call the service placed for
 * an organisation's consent request, or an agent's marked part of a call (with its start, pauses,
 * resumes and answer, and who did each).
 */
export type ConsentOrigin =
  | { kind: 'ars' }
  | { kind: 'request'; requestId: string; requestedBy: string; requestedAt: string; scenario: string }
  | { kind: 'agent'; agentConsentId: string; agent: string; startedAt: string; finishedAt: string | null; events: { at: string; kind: string; actor: string }[] };

export async function consentOrigin(db: Db, consent: { recordingSid: string; callSid: string }): Promise<ConsentOrigin> {
  const agent = await agentConsentByRecording(db, consent.recordingSid);
  if (agent) {
    const events = await agentEvents(db, agent.id);
    return {
      kind: 'agent', agentConsentId: agent.id, agent: agent.agent, startedAt: kstIso(agent.startedAt), finishedAt: agent.finishedAt ? kstIso(agent.finishedAt) : null,
      events: events.map((e) => ({ at: kstIso(e.at), kind: e.kind, actor: e.actor })),
    };
  }
  const request = await requestByCallSid(db, consent.callSid);
  if (request) return { kind: 'request', requestId: request.id, requestedBy: request.requested_by, requestedAt: kstIso(request.created_at), scenario: request.scenario_id };
  return { kind: 'ars' };
}
