import type { Db } from '../db/database.js';
import type { BatchParams, Format } from './transmission.js';

/** The `export_batches` table: every transmission file written, with its consents, so it can be written again byte for byte. */

export type ExportBatch = { id: number; consentIds: string[]; cancellationIds: string[]; params: BatchParams; fileSha256: string };

const LAST_OF_KEY = `SELECT id, consent_ids, cancellation_ids, params, file_sha256 FROM export_batches
  WHERE format = $1 AND organization_code = $2 AND batch_date = $3 ORDER BY id DESC LIMIT 1`;
const INSERT = `INSERT INTO export_batches (format, organization_code, batch_date, params, consent_ids, cancellation_ids, file_bytes, file_sha256)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`;

/** The last batch written for this format, organisation code and date. */
export async function lastBatch(db: Db, key: { format: Format; organizationCode: string; date: string }): Promise<ExportBatch | undefined> {
  const r = (await db.query<{ id: number; consent_ids: string[]; cancellation_ids: string[]; params: BatchParams; file_sha256: string }>(LAST_OF_KEY, [key.format, key.organizationCode, key.date])).rows[0];
  return r ? { id: r.id, consentIds: r.consent_ids, cancellationIds: r.cancellation_ids ?? [], params: r.params, fileSha256: r.file_sha256 } : undefined;
}

/** Records a written batch; its id. */
export async function insertBatch(db: Db, params: BatchParams, consentIds: string[], cancellationIds: string[], file: { bytes: number; sha256: string }): Promise<number> {
  const r = await db.query<{ id: number }>(INSERT, [params.format, params.organizationCode, params.date, params, consentIds, cancellationIds, file.bytes, file.sha256]);
  return r.rows[0]!.id;
}
