import { rm } from 'node:fs/promises';
import type pg from 'pg';
import { logAccess } from '../audit/accessLog.js';
import { withTransaction } from '../db/database.js';
import type { Logger } from '../log.js';

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
  const due = await pool.query<{ id: string; call_sid: string; organization_code: string; consented_at: Date; file_sha256: string; file_path: string; reason: string }>(
    `SELECT id, call_sid, organization_code, consented_at, file_sha256, file_path,
            CASE WHEN ended_at IS NOT NULL AND (superseded_at IS NULL OR ended_at <= superseded_at) THEN 'ended' ELSE 'superseded' END AS reason
       FROM consents WHERE coalesce(ended_at, superseded_at) < $1
        AND NOT EXISTS (SELECT 1 FROM consent_holds h WHERE h.consent_id = consents.id AND h.released_at IS NULL)
      ORDER BY consented_at LIMIT 1000`,
    [cutoff],
  );
  const purged: string[] = [];
  for (const c of due.rows) {
    const files = await withTransaction(pool, async (client) => {
      await client.query("SET LOCAL ars.purge = 'on'");
      const recs = await client.query<{ master_path: string | null }>('SELECT master_path FROM recordings WHERE call_sid = $1', [c.call_sid]);
      // A hold placed since the look-up still wins.
      const deleted = await client.query(
        'DELETE FROM consents WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM consent_holds h WHERE h.consent_id = $1 AND h.released_at IS NULL)',
        [c.id],
      );
      if (deleted.rowCount === 0) return undefined;
      const others = await client.query('SELECT 1 FROM consents WHERE call_sid = $1 LIMIT 1', [c.call_sid]);
      if (others.rowCount === 0) {
        await client.query('DELETE FROM recording_callbacks WHERE call_sid = $1', [c.call_sid]);
        await client.query('DELETE FROM recordings WHERE call_sid = $1', [c.call_sid]);
        await client.query('DELETE FROM call_events WHERE call_sid = $1', [c.call_sid]);
        await client.query('DELETE FROM agent_consent_events WHERE agent_consent_id IN (SELECT id FROM agent_consents WHERE call_sid = $1)', [c.call_sid]);
        await client.query('DELETE FROM agent_consents WHERE call_sid = $1', [c.call_sid]);
        await client.query('DELETE FROM consent_request_deliveries WHERE request_id IN (SELECT id FROM consent_requests WHERE call_sid = $1)', [c.call_sid]);
        await client.query('DELETE FROM consent_requests WHERE call_sid = $1', [c.call_sid]);
        await client.query('DELETE FROM calls WHERE call_sid = $1', [c.call_sid]);
      }
      await logAccess(client, {
        actor: 'retention', action: 'purge', target: `consent:${c.id}`, remote: undefined,
        detail: { reason: c.reason, organizationCode: c.organization_code, consentedAt: c.consented_at.toISOString(), sha256: c.file_sha256, years },
      });
      return [c.file_path, ...recs.rows.map((r) => r.master_path).filter((p): p is string => Boolean(p))];
    });
    if (!files) continue;
    for (const f of files) await rm(f, { force: true });
    purged.push(c.id);
  }
  if (purged.length) log.info({ purged: purged.length, years }, 'retention: purged consents past their retention period');
  return { purged };
}
