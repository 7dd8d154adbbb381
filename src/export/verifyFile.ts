import { createHash } from 'node:crypto';
import type { Db } from '../db/database.js';
import { maskAccountNumber } from '../shared/mask.js';
import { kstDate } from '../shared/time.js';
import { SERVICE_TYPE_OF, type ByteSource, type ReadConsent, type ReadResult } from './transmission.js';
import { batchesFor, storedRecordByKey, storedRecordsByIds, type StoredRecord } from './verifyStore.js';

/**
 * Compares a transmission file, record by record, with the database: each embedded file's SHA-256
 * and each record's fields. The file's batch is found by its bytes, else by its key (format,
 * organisation, date) and record count; without a batch each record is looked up by organisation,
 * payer number and application date.
 */

export type Difference = { serial: number; consentId: string | undefined; problem: string };

export type Comparison = { batchId: number | undefined; sameBytesAsBatch: boolean; differences: Difference[] };

const ACCOUNT_FIELDS = new Set(['accountNumber']);

function expectedFields(r: ReadResult, c: ReadConsent, s: StoredRecord): Record<string, string> {
  const pad = (v: string | number, w: number) => String(v).padStart(w, '0');
  if (r.format === 'ei13') {
    return {
      organizationCode: s.organizationCode, payerNumber: s.payerNumber, bankCode: pad(s.bankCode, 3), accountNumber: s.accountNumber,
      applicationDate: s.applicationDate, methodCode: String(s.methodCode), fileExtension: s.fileExtension, fileLength: pad(s.fileBytes, 7),
    };
  }
  const common = {
    idKind: s.holderIdKind === 'businessNumber' ? '1' : '0', idNumber: s.holderId, organizationCode: s.organizationCode, payerNumber: s.payerNumber,
    bankCode: pad(s.bankCode, 3), accountNumber: s.accountNumber, evidenceKind: String(s.methodCode),
  };
  if (c.cancellation) {
    return { ...common, applicationDate: s.endedAt ? kstDate(s.endedAt) : '(not ended)', fileExtension: '', fileLength: '0000000', terminated: 'Y' };
  }
  return { ...common, applicationDate: s.applicationDate, fileExtension: s.fileExtension, fileLength: pad(s.fileBytes, 7), terminated: 'N' };
}

function compareOne(r: ReadResult, c: ReadConsent, s: StoredRecord): string[] {
  const problems: string[] = [];
  for (const [name, expected] of Object.entries(expectedFields(r, c, s))) {
    const actual = c.fields[name] ?? '';
    if (actual === expected) continue;
    const show = (v: string) => (ACCOUNT_FIELDS.has(name) ? maskAccountNumber(v) : v);
    problems.push(`${name} is "${show(actual)}" in the file, "${show(expected)}" in the database`);
  }
  if (!c.cancellation && c.sha256 !== s.fileSha256) problems.push(`the embedded file's SHA-256 is ${c.sha256}, the recorded one ${s.fileSha256}`);
  return problems;
}

export async function compareWithDatabase(db: Db, r: ReadResult, fileSha256: string): Promise<Comparison> {
  const org = r.header.organizationCode ?? '';
  const date = r.header.applicationDate ?? r.header.processingDate ?? '';
  const registrations = r.consents.filter((c) => !c.cancellation);
  const cancellations = r.consents.filter((c) => c.cancellation);
  const batches = await batchesFor(db, r.format, org, date, fileSha256);
  const batch =
    batches.find((b) => b.fileSha256 === fileSha256) ??
    batches.find((b) => b.consentIds.length === registrations.length && b.cancellationIds.length === cancellations.length);
  const differences: Difference[] = [];
  if (batch) {
    const stored = await storedRecordsByIds(db, [...batch.consentIds, ...batch.cancellationIds]);
    const pairs: [ReadConsent, string][] = [
      ...registrations.map((c, i): [ReadConsent, string] => [c, batch.consentIds[i]!]),
      ...cancellations.map((c, i): [ReadConsent, string] => [c, batch.cancellationIds[i]!]),
    ];
    for (const [c, id] of pairs) {
      const s = stored.get(id);
      if (!s) differences.push({ serial: c.serial, consentId: id, problem: 'the consent is no longer in the database' });
      else for (const problem of compareOne(r, c, s)) differences.push({ serial: c.serial, consentId: id, problem });
    }
  } else {
    for (const c of r.consents) {
      const key = c.cancellation ? undefined : c.fields.applicationDate!;
      const s = key ? await storedRecordByKey(db, c.fields.organizationCode!, c.fields.payerNumber!, key, SERVICE_TYPE_OF[r.format]) : undefined;
      if (!s) {
        differences.push({ serial: c.serial, consentId: undefined, problem: `no consent in the database for payer ${c.fields.payerNumber} of ${c.fields.organizationCode} on ${c.fields.applicationDate}` });
      } else for (const problem of compareOne(r, c, s)) differences.push({ serial: c.serial, consentId: s.id, problem });
    }
  }
  return { batchId: batch?.id, sameBytesAsBatch: batch?.fileSha256 === fileSha256, differences };
}

/** The SHA-256 of a whole file, read in slices. */
export async function sha256Of(src: ByteSource): Promise<string> {
  const hash = createHash('sha256');
  for (let o = 0; o < src.size; o += 1 << 20) hash.update(await src.read(o, Math.min(1 << 20, src.size - o)));
  return hash.digest('hex');
}
