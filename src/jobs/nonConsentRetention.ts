import { rm } from 'node:fs/promises';
import type pg from 'pg';
import { logAccess } from '../audit/accessLog.js';
import { withTransaction } from '../db/database.js';
import type { Logger } from '../log.js';
import { callsWithoutConsent, deleteRequestWithoutCall, requestsWithoutCall } from './nonConsentStore.js';
import { allowPurge, purgeCall, recordingFilesOfCall } from './retentionStore.js';

/**
 * Purges, NON_CONSENT_RETENTION_DAYS after they began, the calls, events, recordings, marked parts
 * and consent requests that never became a consent (names, birthdates, accounts and phones with
 * no purpose left). Each purge is one line in the access log, without personal data.
 */
export async function purgeNonConsents(pool: pg.Pool, days: number, log: Logger, now = new Date()): Promise<{ calls: string[]; requests: string[] }> {
  const cutoff = new Date(now.getTime() - days * 86_400_000);
  const calls: string[] = [];
  for (const callSid of await callsWithoutConsent(pool, cutoff, 1000)) {
    const files = await withTransaction(pool, async (client) => {
      // The same purge as a consent's call when its retention runs out (retentionStore.ts).
      await allowPurge(client);
      const f = await recordingFilesOfCall(client, callSid);
      await purgeCall(client, callSid);
      await logAccess(client, { actor: 'retention', action: 'purge-non-consent', target: `call:${callSid}`, remote: undefined, detail: { days } });
      return f;
    });
    for (const f of files) await rm(f, { force: true });
    calls.push(callSid);
  }
  const requests: string[] = [];
  for (const id of await requestsWithoutCall(pool, cutoff, 1000)) {
    await withTransaction(pool, async (client) => {
      await deleteRequestWithoutCall(client, id);
      await logAccess(client, { actor: 'retention', action: 'purge-non-consent', target: `consent-request:${id}`, remote: undefined, detail: { days } });
    });
    requests.push(id);
  }
  if (calls.length || requests.length) log.info({ calls: calls.length, requests: requests.length, days }, 'retention: purged calls and requests that never became a consent');
  return { calls, requests };
}
