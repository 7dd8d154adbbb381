import { rm } from 'node:fs/promises';
import type pg from 'pg';
import { logAccess } from '../audit/store.js';
import { callHasConsents, consentsPastRetention, deleteConsent } from '../consents/store.js';
import { withTransaction } from '../db/database.js';
import type { Logger } from '../log.js';
import { allowPurge, purgeCall, recordingFilesOfCall } from './retentionStore.js';

/**
 * Purges consents whose retention ran out: `years` after the auto-debit ended or the consent was
 * superseded, unless it is under a legal hold (never purged while held). The record, its call
 * (state and event log, the agent's marked parts, the consent request that placed it), its
 * recordings and their audio go; the
 * access log keeps one line a purge (no personal data) so the purge itself can be audited.
 */
export async function purgeExpired(pool: pg.Pool, years: number, log: Logger, now = new Date()): Promise<{ purged: string[] }> {
  const cutoff = new Date(now);
  cutoff.setUTCFullYear(cutoff.getUTCFullYear() - years);
  const purged: string[] = [];
  for (const c of await consentsPastRetention(pool, cutoff, 1000)) {
    const files = await withTransaction(pool, async (client) => {
      await allowPurge(client);
      const recordingFiles = await recordingFilesOfCall(client, c.callSid);
      if (!(await deleteConsent(client, c.id))) return undefined;
      if (!(await callHasConsents(client, c.callSid))) await purgeCall(client, c.callSid);
      await logAccess(client, {
        actor: 'retention', action: 'purge', target: `consent:${c.id}`, remote: undefined,
        detail: { reason: c.retentionReason, organizationCode: c.organizationCode, consentedAt: c.consentedAt.toISOString(), sha256: c.fileSha256, years },
      });
      return [c.filePath, ...recordingFiles];
    });
    if (!files) continue;
    for (const f of files) await rm(f, { force: true });
    purged.push(c.id);
  }
  if (purged.length) log.info({ purged: purged.length, years }, 'retention: purged consents past their retention period');
  return { purged };
}
