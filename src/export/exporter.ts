import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { withTransaction } from '../db/database.js';
import { Refusal } from '../shared/refusal.js';
import {
  blocksOf, headerBankCode, headerBytes, recordBytes, SERVICE_TYPE_OF, trailerBytes, transmissionProblems, type BatchParams, type Format, type TransmissionConsent,
} from './transmission.js';
import { cancellationsByIds, cancellationsWaiting, datesWaiting, markCancellationsReported } from './cancellationStore.js';
import { traceNumberSetting } from './organizationSettingsStore.js';
import { consentsByIds, exportCandidates, markSent, type Consent } from '../consents/store.js';
import { insertBatch, lastBatch } from './store.js';

/**
 * Streams a transmission file from stored consents: passed the evidence check, not sent yet, for
 * one organisation code and application date. Memory stays flat whatever the batch size: one
 * consent's audio at a time. Consents are marked sent only once the file is complete.
 */

/** The export cannot be written as asked (nothing was written, nothing marked): answered 409 `export_refused`. */
export class ExportError extends Refusal {
  constructor(reason: string, message?: string) {
    super('conflict', reason, { code: 'export_refused', ...(message ? { message } : {}) });
  }
}

function exportRefused(reason: string, message: string): ExportError {
  return new ExportError(reason, message);
}

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

const PAGE = 500;

function toTransmission(c: Consent): TransmissionConsent {
  return {
    id: c.id, methodCode: c.methodCode, fileExtension: c.fileExtension, fileBytes: c.fileBytes, payerNumber: c.payerNumber,
    bankCode: c.bankCode, accountNumber: c.accountNumber, applicationDate: c.applicationDate, holderIdKind: c.holderIdKind,
    holderId: c.holderId, organizationCode: c.organizationCode, verificationNumber: c.verificationNumber,
  };
}

/** Unsent, evidence-passed consents of the batch, page by page, in a stable order. */
async function* candidates(pool: pg.Pool, req: BatchParams): AsyncGenerator<Consent> {
  let after: { cursor: string; id: string } | undefined;
  for (;;) {
    const page = await exportCandidates(pool, { organizationCode: req.organizationCode, date: req.date, serviceType: SERVICE_TYPE_OF[req.format] }, after, PAGE);
    yield* page;
    if (page.length < PAGE) return;
    const last = page.at(-1)!;
    after = { cursor: last.cursor, id: last.id };
  }
}

async function* rowsByIds(pool: pg.Pool, ids: string[]): AsyncGenerator<Consent> {
  for (let i = 0; i < ids.length; i += PAGE) {
    const page = ids.slice(i, i + PAGE);
    const byId = new Map((await consentsByIds(pool, page)).map((c) => [c.id, c]));
    for (const id of page) {
      const row = byId.get(id);
      if (!row) throw exportRefused(`consent ${id} of the batch no longer exists`, `이전 전송 파일의 동의 ${id}가 더 이상 없습니다.`);
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
      const audio = await readFile(row.filePath);
      if (createHash('sha256').update(audio).digest('hex') !== row.fileSha256) {
        throw exportRefused(
          `consent ${row.id}: the stored audio does not match its SHA-256 (altered or damaged); nothing was exported`,
          `동의 ${row.id}의 녹음 파일이 저장된 해시와 다릅니다 (변경 또는 손상). 아무것도 내보내지 않았습니다.`,
        );
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
    const onDisk = await stat(row.filePath).catch(() => undefined);
    if (!onDisk) problems.push('the audio file is missing from storage');
    else if (onDisk.size !== row.fileBytes) problems.push(`the stored audio is ${onDisk.size} bytes, the record says ${row.fileBytes}`);
    if (problems.length) excluded.push({ id: row.id, payerNumber: row.payerNumber, problems });
    else {
      ids.push(row.id);
      banks.push(row.bankCode);
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
    const batch = await lastBatch(pool, req);
    if (batch) {
      const again = await cancellationsByIds(pool, batch.cancellationIds);
      const written = await writeFile({ ...batch.params, out: req.out }, batch.consentIds, again, pool, onProgress);
      if (written.sha256 !== batch.fileSha256) throw exportRefused(`batch ${batch.id} no longer gives the same bytes`, `전송 파일 ${batch.id}을 같은 내용으로 다시 만들 수 없습니다.`);
      return { batchId: batch.id, reexport: true, count: batch.consentIds.length, cancellations: again.length, waiting: [], excluded, ...written };
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
      const id = await insertBatch(client, params, ids, cancellationIds, written);
      await markSent(client, ids, id);
      await markCancellationsReported(client, cancellationIds, id);
      return id;
    });
  }
  const waiting = batchId === undefined ? await datesWaiting(pool, req.organizationCode, SERVICE_TYPE_OF[req.format]) : [];
  return { batchId, reexport: false, count: ids.length, cancellations: cancellations.length, waiting, excluded, ...written };
}

export type { Format };
