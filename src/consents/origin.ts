import type pg from 'pg';
import { kstIso } from '../shared/time.js';

/**
 * How a consent was taken, for an auditor: the caller's own ARS call, a call the service placed for
 * an organisation's consent request, or an agent's marked part of a call (with its start, pauses,
 * resumes and answer, and who did each).
 */
export type ConsentOrigin =
  | { kind: 'ars' }
  | { kind: 'request'; requestId: string; requestedBy: string; requestedAt: string; scenario: string }
  | { kind: 'agent'; agentConsentId: string; agent: string; startedAt: string; finishedAt: string | null; events: { at: string; kind: string; actor: string }[] };

export async function consentOrigin(db: Pick<pg.Pool, 'query'>, consent: { recording_sid: string; call_sid: string }): Promise<ConsentOrigin> {
  const agent = (
    await db.query<{ id: string; agent: string; started_at: Date; finished_at: Date | null }>(
      'SELECT id, agent, started_at, finished_at FROM agent_consents WHERE recording_sid = $1',
      [consent.recording_sid],
    )
  ).rows[0];
  if (agent) {
    const events = await db.query<{ at: Date; kind: string; actor: string }>('SELECT at, kind, actor FROM agent_consent_events WHERE agent_consent_id = $1 ORDER BY id', [agent.id]);
    return {
      kind: 'agent', agentConsentId: agent.id, agent: agent.agent, startedAt: kstIso(agent.started_at), finishedAt: agent.finished_at ? kstIso(agent.finished_at) : null,
      events: events.rows.map((e) => ({ at: kstIso(e.at), kind: e.kind, actor: e.actor })),
    };
  }
  const request = (
    await db.query<{ id: string; requested_by: string; created_at: Date; scenario_id: string }>(
      'SELECT id, requested_by, created_at, scenario_id FROM consent_requests WHERE call_sid = $1',
      [consent.call_sid],
    )
  ).rows[0];
  if (request) return { kind: 'request', requestId: request.id, requestedBy: request.requested_by, requestedAt: kstIso(request.created_at), scenario: request.scenario_id };
  return { kind: 'ars' };
}
