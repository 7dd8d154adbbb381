import type pg from 'pg';

/**
 * What retention deletes beyond the consent itself: everything about a call whose last consent
 * went. These tables have owners of their own (calls, recordings, agent consents, consent
 * requests); the purge is here, in one place, because it must run in one transaction with the
 * database's purge switch set (migration 005 refuses these deletes otherwise).
 */

const ALLOW_PURGE = "SET LOCAL ars.purge = 'on'";
const RECORDING_FILES = 'SELECT master_path FROM recordings WHERE call_sid = $1';
const PURGE_CALL = [
  'DELETE FROM recording_callbacks WHERE call_sid = $1',
  'DELETE FROM recordings WHERE call_sid = $1',
  'DELETE FROM call_turns WHERE call_sid = $1',
  'DELETE FROM agent_consent_events WHERE agent_consent_id IN (SELECT id FROM agent_consents WHERE call_sid = $1)',
  'DELETE FROM agent_consents WHERE call_sid = $1',
  'DELETE FROM consent_request_deliveries WHERE request_id IN (SELECT id FROM consent_requests WHERE call_sid = $1)',
  'DELETE FROM consent_requests WHERE call_sid = $1',
  'DELETE FROM calls WHERE call_sid = $1',
];

/** Lets this transaction delete evidence (only a transaction's client: the switch ends with it). */
export async function allowPurge(client: pg.PoolClient): Promise<void> {
  await client.query(ALLOW_PURGE);
}

/** The audio files of the call's recordings. */
export async function recordingFilesOfCall(client: pg.PoolClient, callSid: string): Promise<string[]> {
  const r = await client.query<{ master_path: string | null }>(RECORDING_FILES, [callSid]);
  return r.rows.map((x) => x.master_path).filter((p): p is string => Boolean(p));
}

/** Deletes the call with its event log, recordings and their callbacks, agent parts and the consent request that placed it. */
export async function purgeCall(client: pg.PoolClient, callSid: string): Promise<void> {
  for (const statement of PURGE_CALL) await client.query(statement, [callSid]);
}
