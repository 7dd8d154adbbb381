import type { Db } from '../db/database.js';

/**
 * What never became a consent: calls and consent requests without a call, older than the cut-off.
 * A call is purged (with its events, recordings, marked parts and the consent request that placed
 * it) by retentionStore's purgeCall, as a consent's call is.
 */

const SQL = {
  dueCalls: `SELECT c.call_sid FROM calls c
              WHERE c.started_at < $1
                AND NOT EXISTS (SELECT 1 FROM consents k WHERE k.call_sid = c.call_sid)
                AND (c.hung_up_at IS NOT NULL OR c.started_at < $1 - interval '1 day')
              ORDER BY c.started_at LIMIT $2`,
  dueRequests: `SELECT id FROM consent_requests
                 WHERE created_at < $1 AND call_sid IS NULL AND consent_id IS NULL ORDER BY created_at LIMIT $2`,
  deleteDeliveries: 'DELETE FROM consent_request_deliveries WHERE request_id = $1',
  deleteRequest: 'DELETE FROM consent_requests WHERE id = $1',
} as const;

export async function callsWithoutConsent(db: Db, before: Date, limit: number): Promise<string[]> {
  return (await db.query<{ call_sid: string }>(SQL.dueCalls, [before, limit])).rows.map((r) => r.call_sid);
}

export async function requestsWithoutCall(db: Db, before: Date, limit: number): Promise<string[]> {
  return (await db.query<{ id: string }>(SQL.dueRequests, [before, limit])).rows.map((r) => r.id);
}

export async function deleteRequestWithoutCall(db: Db, id: string): Promise<void> {
  await db.query(SQL.deleteDeliveries, [id]);
  await db.query(SQL.deleteRequest, [id]);
}
