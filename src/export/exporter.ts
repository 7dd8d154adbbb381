import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { withTransaction } from '../db/database.js';
import { Refusal } from '../shared/refusal.js';
import {
  blocksOf, headerBytes, recordBytes, SERVICE_TYPE_OF, trailerBytes, transmissionProblems, type BatchParams, type Format, type TransmissionConsent,
} from './transmission.js';
import { consentsByIds, exportCandidates, markSent, type Consent } from '../consents/store.js';
import { insertBatch, lastBatch } from './store.js';

/**
 * Streams a transmission file from stored consents: passed the evidence check, not sent yet, for
 * one organisation code and application date. Memory stays flat whatever the batch size: one
 * consent's audio at a time. Consents are marked sent only once the file is complete.
 */

/** The export cannot be written as asked (nothing was written, nothing marked): answered 409 `export_refused`. */
function exportRefused(reason: string, message: string): Refusal {
  return new Refusal('conflict', reason, { code: 'export_refused', message });
}

export type ExportRequest = BatchParams & { out: string };

export type ExportResult = {
  batchId: number | undefined;
  reexport: boolean;
  count: number;
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

async function writeFile(req: ExportRequest, ids: string[], pool: pg.Pool, onProgress?: (done: number, total: number) => void): Promise<{ bytes: number; sha256: string }> {
  await mkdir(path.dirname(path.resolve(req.out)), { recursive: true });
  const tmp = `${req.out}.${process.pid}.partial`;
  const stream = createWriteStream(tmp);
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
    await write(headerBytes(req, ids.length));
    let blocks = 2;
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
      onProgress?.(serial, ids.length);
    }
    await write(trailerBytes(req, ids.length, blocks));
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
  const excluded: ExportResult['excluded'] = [];
  const ids: string[] = [];
  for await (const row of candidates(pool, req)) {
    const problems = transmissionProblems(toTransmission(row), req.format);
    const onDisk = await stat(row.filePath).catch(() => undefined);
    if (!onDisk) problems.push('the audio file is missing from storage');
    else if (onDisk.size !== row.fileBytes) problems.push(`the stored audio is ${onDisk.size} bytes, the record says ${row.fileBytes}`);
    if (problems.length) excluded.push({ id: row.id, payerNumber: row.payerNumber, problems });
    else ids.push(row.id);
  }

  if (ids.length === 0 && excluded.length === 0) {
    // Nothing new: the last batch of this key again, byte for byte.
    const batch = await lastBatch(pool, req);
    if (batch) {
      const written = await writeFile({ ...batch.params, out: req.out }, batch.consentIds, pool, onProgress);
      if (written.sha256 !== batch.fileSha256) throw exportRefused(`batch ${batch.id} no longer gives the same bytes`, `전송 파일 ${batch.id}을 같은 내용으로 다시 만들 수 없습니다.`);
      return { batchId: batch.id, reexport: true, count: batch.consentIds.length, excluded, ...written };
    }
  }

  const written = await writeFile(req, ids, pool, onProgress);
  let batchId: number | undefined;
  if (ids.length > 0) {
    batchId = await withTransaction(pool, async (client) => {
      const params: BatchParams = {
        format: req.format, organizationCode: req.organizationCode, date: req.date,
        ...(req.vanCode ? { vanCode: req.vanCode } : {}), ...(req.vanId ? { vanId: req.vanId } : {}),
        ...(req.bankCode ? { bankCode: req.bankCode } : {}), ...(req.subOrganizationCode ? { subOrganizationCode: req.subOrganizationCode } : {}),
      };
      const id = await insertBatch(client, params, ids, written);
      await markSent(client, ids, id);
      return id;
    });
  }
  return { batchId, reexport: false, count: ids.length, excluded, ...written };
}

export type { Format };
