import type { Db } from '../db/database.js';

/**
 * The one read of `consent_requests` a consent's origin needs: which request, if any, placed the call.
 * `consent_requests` is owned by src/requests/store.ts (being written in parallel): after the merge
 * this statement belongs there, and this file goes.
 */

export type RequestOfCall = { id: string; requestedBy: string; createdAt: Date; scenarioId: string };

const REQUEST_OF_CALL = 'SELECT id, requested_by, created_at, scenario_id FROM consent_requests WHERE call_sid = $1';

export async function requestOfCall(db: Db, callSid: string): Promise<RequestOfCall | undefined> {
  const r = (await db.query<{ id: string; requested_by: string; created_at: Date; scenario_id: string }>(REQUEST_OF_CALL, [callSid])).rows[0];
  return r ? { id: r.id, requestedBy: r.requested_by, createdAt: r.created_at, scenarioId: r.scenario_id } : undefined;
}
