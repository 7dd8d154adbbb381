import type { Db } from '../db/database.js';
import type { AgentEvent, CallEvent } from '../consents/evidence.js';

/**
 * What the recording pipeline reads in tables it does not own, in the shapes the evidence check
 * takes: a marked part's events with their details, a call's events; and the look-ups of the sweep
 * and of the problems list.
 */

const AGENT_CONSENT_EVENTS = 'SELECT at, kind, detail FROM agent_consent_events WHERE agent_consent_id = $1 ORDER BY id';

export async function agentConsentEvents(db: Db, id: string): Promise<AgentEvent[]> {
  return (await db.query<AgentEvent>(AGENT_CONSENT_EVENTS, [id])).rows;
}

// id: the event's place in the call's log (1, 2, ...), what the evidence check orders by.
const CALL_EVENTS = 'SELECT (row_number() OVER (ORDER BY id))::int AS id, at, kind, step, detail FROM call_events WHERE call_sid = $1 ORDER BY id';

export async function callEvents(db: Db, callSid: string): Promise<CallEvent[]> {
  return (await db.query<CallEvent>(CALL_EVENTS, [callSid])).rows;
}


const HAS_USABLE_CONSENT = "SELECT 1 FROM consents WHERE recording_sid = $1 AND status IN ('ready', 'sent')";

/** The recording already gave a consent record that stands (late callbacks change nothing then). */
export async function hasUsableConsent(db: Db, recordingSid: string): Promise<boolean> {
  return ((await db.query(HAS_USABLE_CONSENT, [recordingSid])).rowCount ?? 0) > 0;
}

/** A consent that was (or is being) given with no consent record yet: what the sweep re-drives. */
export type UnfinishedConsent = { callSid: string; agentConsentId: string | null; attempt: number; since: Date };

const CONSENTED_CALLS_WITHOUT_CONSENT = `SELECT c.call_sid, NULL::uuid AS agent_consent_id, COALESCE((c.state->>'readbacks')::int, 1) AS attempt, c.updated_at AS since
    FROM calls c
   WHERE c.outcome = 'consented' AND c.updated_at < now() - make_interval(secs => $1)
     AND c.updated_at > now() - interval '7 days'
     AND NOT EXISTS (SELECT 1 FROM consents k WHERE k.call_sid = c.call_sid)
     AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.call_sid = c.call_sid AND r.purpose = 'consent' AND r.pipeline IN ('failed', 'skipped'))
  UNION ALL
  SELECT a.call_sid, a.id, 1, a.finished_at
    FROM agent_consents a
   WHERE a.state = 'consented' AND a.finished_at < now() - make_interval(secs => $1)
     AND a.finished_at > now() - interval '7 days'
     AND NOT EXISTS (SELECT 1 FROM consents k WHERE k.recording_sid = a.recording_sid)
     AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.recording_sid = a.recording_sid AND r.pipeline IN ('failed', 'skipped'))
  LIMIT 200`;

export async function unfinishedConsents(db: Db, graceSeconds: number): Promise<UnfinishedConsent[]> {
  const r = await db.query<{ call_sid: string; agent_consent_id: string | null; attempt: number; since: Date }>(CONSENTED_CALLS_WITHOUT_CONSENT, [graceSeconds]);
  return r.rows.map((x) => ({ callSid: x.call_sid, agentConsentId: x.agent_consent_id, attempt: x.attempt, since: x.since }));
}

const SILENT_CALLS = `SELECT call_sid FROM calls
   WHERE ended_at IS NULL AND hung_up_at IS NULL AND outcome IS NULL
     AND updated_at < now() - make_interval(secs => $1)
   ORDER BY updated_at LIMIT 200`;

/** Calls not yet ended that no webhook has touched for a long time: their status callback was lost. */
export async function silentCalls(db: Db, quietSeconds: number): Promise<string[]> {
  return (await db.query<{ call_sid: string }>(SILENT_CALLS, [quietSeconds])).rows.map((r) => r.call_sid);
}

/** A consent the payer gave that has no ready consent record: what `GET /api/problems` lists. */
export type ConsentProblem = {
  kind: 'call' | 'agent';
  callSid: string;
  agentConsentId: string | null;
  recordingSid: string | null;
  consentId: string | null;
  /** waiting-for-recording | processing | failed | evidence-failed | recording-missing */
  stage: string;
  reason: string | null;
  since: Date;
};

const CONSENT_PROBLEMS = `WITH given AS (
    SELECT 'call' AS kind, c.call_sid, NULL::uuid AS agent_consent_id, c.updated_at AS since FROM calls c
     WHERE c.outcome = 'consented'
       AND NOT EXISTS (SELECT 1 FROM agent_consents a WHERE a.call_sid = c.call_sid AND a.state = 'consented')
    UNION ALL
    SELECT 'agent', a.call_sid, a.id, a.finished_at FROM agent_consents a WHERE a.state = 'consented'
  )
  SELECT g.kind, g.call_sid, g.agent_consent_id, g.since, r.recording_sid, r.status AS recording_status, r.pipeline, r.pipeline_error,
         k.id AS consent_id, k.status AS consent_status
    FROM given g
    LEFT JOIN LATERAL (
      SELECT * FROM recordings r
       WHERE r.call_sid = g.call_sid AND r.purpose = 'consent'
         AND (g.agent_consent_id IS NULL OR r.recording_sid = (SELECT recording_sid FROM agent_consents WHERE id = g.agent_consent_id))
       ORDER BY r.created_at DESC LIMIT 1) r ON true
    LEFT JOIN consents k ON k.recording_sid = r.recording_sid
   WHERE k.id IS NULL OR k.status = 'evidence_failed'
   ORDER BY g.since DESC
   LIMIT $1`;

export async function consentProblems(db: Db, limit = 500): Promise<ConsentProblem[]> {
  const r = await db.query<{
    kind: 'call' | 'agent'; call_sid: string; agent_consent_id: string | null; since: Date; recording_sid: string | null;
    recording_status: string | null; pipeline: string | null; pipeline_error: string | null; consent_id: string | null; consent_status: string | null;
  }>(CONSENT_PROBLEMS, [limit]);
  return r.rows.map((x) => {
    const stage = x.consent_status === 'evidence_failed'
      ? 'evidence-failed'
      : !x.recording_sid
        ? 'waiting-for-recording'
        : x.recording_status !== 'completed' && x.recording_status !== 'in-progress'
          ? 'recording-missing'
          : x.pipeline === 'failed'
            ? 'failed'
            : 'processing';
    const reason = x.consent_status === 'evidence_failed' ? 'the evidence check failed' : x.pipeline_error;
    return { kind: x.kind, callSid: x.call_sid, agentConsentId: x.agent_consent_id, recordingSid: x.recording_sid, consentId: x.consent_id, stage, reason, since: x.since };
  });
}
