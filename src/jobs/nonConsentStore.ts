import type { Db } from '../db/database.js';

/**
 * What never became a consent: calls (with their events, recordings, marked parts and the consent
 * request that placed them) and consent requests without a call, older than the cut-off.
 */

const SQL = {
  dueCalls: `SELECT c.call_sid FROM calls c
              WHERE c.started_at < $1
                AND NOT EXISTS (SELECT 1 FROM consents k WHERE k.call_sid = c.call_sid)
                AND (c.hung_up_at IS NOT NULL OR c.started_at < $1 - interval '1 day')
              ORDER BY c.started_at LIMIT $2`,
  dueRequests: `SELECT id FROM consent_requests
                 WHERE created_at < $1 AND call_sid IS NULL AND consent_id IS NULL ORDER BY created_at LIMIT $2`,
  purgeMode: "SET LOCAL ars.purge = 'on'",
  recordingFiles: 'SELECT master_path FROM recordings WHERE call_sid = $1 AND master_path IS NOT NULL',
  deleteCallbacks: 'DELETE FROM recording_callbacks WHERE call_sid = $1',
  deleteRecordings: 'DELETE FROM recordings WHERE call_sid = $1',
  deleteEvents: 'DELETE FROM call_turns WHERE call_sid = $1',
  deleteAgentEvents: 'DELETE FROM agent_consent_events WHERE agent_consent_id IN (SELECT id FROM agent_consents WHERE call_sid = $1)',
  deleteAgentConsents: 'DELETE FROM agent_consents WHERE call_sid = $1',
  deleteDeliveriesOfCall: 'DELETE FROM consent_request_deliveries WHERE request_id IN (SELECT id FROM consent_requests WHERE call_sid = $1)',
  deleteRequestsOfCall: 'DELETE FROM consent_requests WHERE call_sid = $1',
  deleteCall: 'DELETE FROM calls WHERE call_sid = $1',
  deleteDeliveries: 'DELETE FROM consent_request_deliveries WHERE request_id = $1',
  deleteRequest: 'DELETE FROM consent_requests WHERE id = $1',
} as const;

export async function callsWithoutConsent(db: Db, before: Date, limit: number): Promise<string[]> {
  return (await db.query<{ call_sid: string }>(SQL.dueCalls, [before, limit])).rows.map((r) => r.call_sid);
}

export async function requestsWithoutCall(db: Db, before: Date, limit: number): Promise<string[]> {
  return (await db.query<{ id: string }>(SQL.dueRequests, [before, limit])).rows.map((r) => r.id);
}

/** Deletes a call and everything hanging off it (inside a transaction); returns the audio files to remove. */
export async function deleteCallWithoutConsent(db: Db, callSid: string): Promise<string[]> {
  await db.query(SQL.purgeMode);
  const files = (await db.query<{ master_path: string }>(SQL.recordingFiles, [callSid])).rows.map((r) => r.master_path);
  for (const statement of [SQL.deleteCallbacks, SQL.deleteRecordings, SQL.deleteEvents, SQL.deleteAgentEvents, SQL.deleteAgentConsents, SQL.deleteDeliveriesOfCall, SQL.deleteRequestsOfCall, SQL.deleteCall]) {
    await db.query(statement, [callSid]);
  }
  return files;
}

export async function deleteRequestWithoutCall(db: Db, id: string): Promise<void> {
  await db.query(SQL.deleteDeliveries, [id]);
  await db.query(SQL.deleteRequest, [id]);
}
