import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { withTransaction } from '../db/database.js';
import {
  blocksOf, headerBankCode, headerBytes, recordBytes, SERVICE_TYPE_OF, trailerBytes, transmissionProblems, type BatchParams, type Format, type TransmissionConsent,
} from './transmission.js';
import { cancellationsByIds, cancellationsWaiting, datesWaiting, markCancellationsReported } from './cancellationStore.js';
import { traceNumberSetting } from './organizationSettingsStore.js';

/**
 * Streams a transmission file from stored consents: passed the evidence check, not sent yet, for
 * one organisation code and application date. Memory stays flat whatever the batch size: one
 * consent's audio at a time. Consents are marked sent only once the file is complete.
 */

export class ExportError extends Error {}

export type ExportRequest = BatchParams & { out: string };

export type ExportResult = {
  batchId: number | undefined;
  reexport: boolean;
  count: number;
  /** FB0110: the cancellation records (해지구분 Y) in the file, after the registrations. */
  cancellations: number;
  /** When the file holds nothing: the application dates that do have consents waiting. */
  waiting: { date: string; count: number }[];
  excluded: { id: string; payerNumber: string; problems: string[] }[];
  bytes: number;
  sha256: string;
};

type Row = {
  id: string;
  method_code: number;
  file_extension: string;
  file_bytes: number;
  file_path: string;
  file_sha256: string;
  payer_number: string;
  bank_code: string;
  account_number: string;
  application_date: string;
  holder_id_kind: string;
  holder_id: string;
  organization_code: string;
  verification_number: string;
  consented_at: Date;
  /** consented_at to the microsecond (a JS Date keeps only milliseconds): the keyset cursor. */
  consented_key: string;
};

const COLUMNS = `id, method_code, file_extension, file_bytes, file_path, file_sha256, payer_number, bank_code, account_number,
  application_date, holder_id_kind, holder_id, organization_code, verification_number, consented_at,
  consented_at::text AS consented_key`;

const PAGE = 500;

function toTransmission(r: Row): TransmissionConsent {
  return {
    id: r.id, methodCode: r.method_code, fileExtension: r.file_extension, fileBytes: r.file_bytes, payerNumber: r.payer_number,
    bankCode: r.bank_code, accountNumber: r.account_number, applicationDate: r.application_date, holderIdKind: r.holder_id_kind,
    holderId: r.holder_id, organizationCode: r.organization_code, verificationNumber: r.verification_number,
  };
}

/** Unsent, evidence-passed consents of the batch, page by page, in a stable order. */
async function* candidates(pool: pg.Pool, req: BatchParams): AsyncGenerator<Row> {
  let after: [string, string] | undefined;
  for (;;) {
    const values: unknown[] = [req.organizationCode, req.date, SERVICE_TYPE_OF[req.format]];
    let keyset = '';
    if (after) {
      values.push(after[0], after[1]);
      keyset = 'AND (consented_at, id) > ($4::timestamptz, $5::uuid)';
    }
    const r = await pool.query<Row>(
      `SELECT ${COLUMNS} FROM consents
        WHERE status = 'ready' AND sent_at IS NULL AND ended_at IS NULL AND organization_code = $1 AND application_date = $2 AND service_type = $3 ${keyset}
        ORDER BY consented_at, id LIMIT ${PAGE}`,
      values,
    );
    for (const row of r.rows) yield row;
    if (r.rows.length < PAGE) return;
    const last = r.rows.at(-1)!;
    after = [last.consented_key, last.id];
  }
}

async function* rowsByIds(pool: pg.Pool, ids: string[]): AsyncGenerator<Row> {
  for (let i = 0; i < ids.length; i += PAGE) {
    const page = ids.slice(i, i + PAGE);
    const r = await pool.query<Row>(`SELECT ${COLUMNS} FROM consents WHERE id = ANY($1::uuid[])`, [page]);
    const byId = new Map(r.rows.map((row) => [row.id, row]));
    for (const id of page) {
      const row = byId.get(id);
      if (!row) throw new ExportError(`consent ${id} of the batch no longer exists`);
      yield row;
    }
  }
}

async function writeFile(
  req: ExportRequest, ids: string[], cancellations: TransmissionConsent[], pool: pg.Pool, onProgress?: (done: number, total: number) => void,
): Promise<{ bytes: number; sha256: string }> {
  await mkdir(path.dirname(path.resolve(req.out)), { recursive: true });
  const tmp = `${req.out}.${process.pid}.partial`;
  const stream = createWriteStream(tmp, { mode: 0o600 }); // full account numbers: the owner only
  const hash = createHash('sha256');
  let bytes = 0;
  let failure: Error | undefined;
  stream.on('error', (err) => (failure = err));
  const write = (buf: Buffer) =>
    new Promise<void>((resolve, reject) => {
      if (failure) return reject(failure);
      hash.update(buf);
      bytes += buf.length;
      if (stream.write(buf)) resolve();
      else stream.once('drain', () => (failure ? reject(failure) : resolve()));
    });
  try {
    const count = ids.length + cancellations.length;
    await write(headerBytes(req, count));
    let blocks = 0;
    let serial = 0;
    for await (const row of rowsByIds(pool, ids)) {
      const audio = await readFile(row.file_path);
      if (createHash('sha256').update(audio).digest('hex') !== row.file_sha256) {
        throw new ExportError(`consent ${row.id}: the stored audio does not match its SHA-256 (altered or damaged); nothing was exported`);
      }
      serial++;
      for (const part of recordBytes(req, serial, toTransmission(row), audio)) await write(part);
      blocks += blocksOf(req, audio.length);
      onProgress?.(serial, count);
    }
    for (const c of cancellations) {
      serial++;
      for (const part of recordBytes(req, serial, c, Buffer.alloc(0))) await write(part);
      blocks += blocksOf(req, 0);
    }
    await write(trailerBytes(req, count, blocks));
    await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
    const handle = await open(tmp, 'r+');
    await handle.sync();
    await handle.close();
    await rename(tmp, req.out);
  } catch (err) {
    stream.destroy();
    await rm(tmp, { force: true });
    throw err;
  }
  return { bytes, sha256: hash.digest('hex') };
}

export async function exportBatch(pool: pg.Pool, req: ExportRequest, onProgress?: (done: number, total: number) => void): Promise<ExportResult> {
  if (req.format === 'fb0110') {
    const setting = await traceNumberSetting(pool, req.organizationCode);
    if (setting === 'registration' && !req.registrationFile) {
      throw new ExportError(`organisation ${req.organizationCode} has its trace numbers filled from the registration file: give its date, sequence and first serial (--registration-date, --registration-sequence, --registration-serial)`);
    }
    if (setting === 'blank' && req.registrationFile) {
      throw new ExportError(`organisation ${req.organizationCode} leaves the trace number blank for its VAN to generate; set its trace-number setting to "registration" first`);
    }
  } else if (req.registrationFile) {
    throw new ExportError('only FB0110 has a trace number');
  }
  const excluded: ExportResult['excluded'] = [];
  const ids: string[] = [];
  const banks: string[] = [];
  for await (const row of candidates(pool, req)) {
    const problems = transmissionProblems(toTransmission(row), req.format);
    const onDisk = await stat(row.file_path).catch(() => undefined);
    if (!onDisk) problems.push('the audio file is missing from storage');
    else if (onDisk.size !== row.file_bytes) problems.push(`the stored audio is ${onDisk.size} bytes, the record says ${row.file_bytes}`);
    if (problems.length) excluded.push({ id: row.id, payerNumber: row.payer_number, problems });
    else {
      ids.push(row.id);
      banks.push(row.bank_code);
    }
  }
  const cancellations: TransmissionConsent[] = [];
  if (req.format === 'fb0110') {
    for (const c of await cancellationsWaiting(pool, req.organizationCode)) {
      const problems = transmissionProblems(c, req.format);
      if (problems.length) excluded.push({ id: c.id, payerNumber: c.payerNumber, problems: problems.map((x) => `cancellation: ${x}`) });
      else {
        cancellations.push(c);
        banks.push(c.bankCode);
      }
    }
  }

  if (ids.length === 0 && cancellations.length === 0 && excluded.length === 0) {
    // Nothing new: the last batch of this key again, byte for byte.
    const last = await pool.query<{ id: number; consent_ids: string[]; cancellation_ids: string[]; params: BatchParams; file_sha256: string }>(
      `SELECT id, consent_ids, cancellation_ids, params, file_sha256 FROM export_batches WHERE format = $1 AND organization_code = $2 AND batch_date = $3 ORDER BY id DESC LIMIT 1`,
      [req.format, req.organizationCode, req.date],
    );
    const batch = last.rows[0];
    if (batch) {
      const again = await cancellationsByIds(pool, batch.cancellation_ids);
      const written = await writeFile({ ...batch.params, out: req.out }, batch.consent_ids, again, pool, onProgress);
      if (written.sha256 !== batch.file_sha256) throw new ExportError(`batch ${batch.id} no longer gives the same bytes`);
      return { batchId: batch.id, reexport: true, count: batch.consent_ids.length, cancellations: again.length, waiting: [], excluded, ...written };
    }
  }

  // FB0110's header names the records' bank when they share one, else the bank given.
  const bankCode = req.format === 'fb0110' ? headerBankCode(req.bankCode, banks) : req.bankCode;
  const params: BatchParams = {
    format: req.format, organizationCode: req.organizationCode, date: req.date,
    ...(req.vanCode ? { vanCode: req.vanCode } : {}), ...(req.vanId ? { vanId: req.vanId } : {}),
    ...(bankCode ? { bankCode } : {}), ...(req.subOrganizationCode ? { subOrganizationCode: req.subOrganizationCode } : {}),
    ...(req.registrationFile ? { registrationFile: req.registrationFile } : {}),
  };
  const written = await writeFile({ ...params, out: req.out }, ids, cancellations, pool, onProgress);
  let batchId: number | undefined;
  const cancellationIds = cancellations.map((c) => c.id);
  if (ids.length > 0 || cancellationIds.length > 0) {
    batchId = await withTransaction(pool, async (client) => {
      const b = await client.query<{ id: number }>(
        `INSERT INTO export_batches (format, organization_code, batch_date, params, consent_ids, cancellation_ids, file_bytes, file_sha256)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
        [req.format, req.organizationCode, req.date, params, ids, cancellationIds, written.bytes, written.sha256],
      );
      const id = b.rows[0]!.id;
      await client.query(`UPDATE consents SET status = 'sent', sent_at = now(), batch_id = $2 WHERE id = ANY($1::uuid[]) AND sent_at IS NULL`, [ids, id]);
      await markCancellationsReported(client, cancellationIds, id);
      return id;
    });
  }
  const waiting = batchId === undefined ? await datesWaiting(pool, req.organizationCode, SERVICE_TYPE_OF[req.format]) : [];
  return { batchId, reexport: false, count: ids.length, cancellations: cancellations.length, waiting, excluded, ...written };
}

export type { Format };
