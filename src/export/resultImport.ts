import { createHash } from 'node:crypto';
import type pg from 'pg';
import { logAccess } from '../audit/accessLog.js';
import { withTransaction } from '../db/database.js';
import { ACCEPTED_CODE, responseCodeMeaning, RESPONSE_CODES } from '../kftc/responseCodes.js';
import { kstDate } from '../shared/time.js';
import { parseResultFile, type ResultRecord } from './fb0120.js';
import { fb0110BatchesOn, insertResultFile, matchCandidates, setRegistrations, type MatchCandidate } from './resultStore.js';

/**
 * Reads a result file (FB0120) and stores, per consent of the FB0110 batches of its processing
 * date, `registration: {status, code, reason, resultFile, receivedAt}`: each error record matched to
 * the consent it echoes (organisation, payer number, bank, account, application date) is rejected;
 * every other consent of those batches is accepted. Cancellation records answered with an error are
 * reported, not stored as a registration.
 */

export type Unmatched = { serial: number; payerNumber: string; applicationDate: string; code: string; reason: string };

export type ImportAnswer = {
  format: 'fb0120';
  total: number;
  normal: number;
  errors: number;
  matched: number;
  unmatched: Unmatched[];
  /** Error records that answer a cancellation (해지) record. */
  cancellations: { consentId: string; code: string; reason: string }[];
  resultFile: string;
  batches: number[];
};

const sameRecord = (r: ResultRecord, c: MatchCandidate, applicationDate: string) =>
  c.organizationCode === r.organizationCode && c.payerNumber === r.payerNumber && c.bankCode.padStart(3, '0') === r.bankCode &&
  c.accountNumber === r.accountNumber && applicationDate === r.applicationDate;

export async function importResult(pool: pg.Pool, input: { bytes: Buffer; name: string | undefined; actor: string; remote: string | undefined }): Promise<ImportAnswer> {
  const file = parseResultFile(input.bytes);
  const name = input.name?.trim() || `FB0120-${file.organizationCode || 'all'}-${file.processingDate}`;
  const batches = await fb0110BatchesOn(pool, file.processingDate, file.organizationCode || undefined);
  const registrationIds = new Set(batches.flatMap((b) => b.consentIds));
  const cancellationIds = new Set(batches.flatMap((b) => b.cancellationIds));
  const batchIds = new Set(batches.map((b) => b.id));
  const candidates = await matchCandidates(pool, [...registrationIds, ...cancellationIds]);
  // A consent re-exported since (after a rejection) belongs to its newer batch: this file no longer speaks for it.
  const registrations = candidates.filter((c) => registrationIds.has(c.id) && c.batchId !== null && batchIds.has(c.batchId));
  const cancellations = candidates.filter((c) => cancellationIds.has(c.id));

  const rejected = new Map<string, { code: string; reason: string }>();
  const cancellationErrors: ImportAnswer['cancellations'] = [];
  const unmatched: Unmatched[] = [];
  for (const r of file.records) {
    const reason = responseCodeMeaning(r.responseCode);
    const cancellation = r.fields.terminated === 'Y';
    const registration = registrations.find((c) => !rejected.has(c.id) && sameRecord(r, c, c.applicationDate));
    const ended = registration ? undefined : cancellations.find((c) => c.endedAt && sameRecord(r, c, kstDate(c.endedAt)));
    if (registration && !cancellation) rejected.set(registration.id, { code: r.responseCode, reason });
    else if (ended) cancellationErrors.push({ consentId: ended.id, code: r.responseCode, reason });
    else unmatched.push({ serial: r.serial, payerNumber: r.payerNumber, applicationDate: r.applicationDate, code: r.responseCode, reason });
  }
  const results = registrations.map((c) => {
    const x = rejected.get(c.id);
    return x
      ? { consentId: c.id, status: 'rejected' as const, code: x.code, reason: x.reason }
      : { consentId: c.id, status: 'accepted' as const, code: ACCEPTED_CODE, reason: RESPONSE_CODES[ACCEPTED_CODE]! };
  });
  const matched = rejected.size + cancellationErrors.length;
  const sha256 = createHash('sha256').update(input.bytes).digest('hex');
  await withTransaction(pool, async (client) => {
    const stored = await insertResultFile(client, {
      format: file.format, name, sha256, organizationCode: file.organizationCode, processingDate: file.processingDate, total: file.total,
      normal: file.normal, errors: file.errors, matched, unmatched, receivedBy: input.actor,
    });
    await setRegistrations(client, results, { id: stored.id, name, receivedAt: stored.receivedAt });
    await logAccess(client, {
      actor: input.actor, action: 'import-result', target: `kftc-result:${stored.id}`, remote: input.remote,
      detail: { format: file.format, name, sha256, processingDate: file.processingDate, total: file.total, errors: file.errors, matched, unmatched: unmatched.length },
    });
    for (const [consentId, x] of rejected) {
      await logAccess(client, { actor: input.actor, action: 'registration-rejected', target: `consent:${consentId}`, remote: input.remote, detail: { code: x.code, resultFile: name } });
    }
  });
  return {
    format: file.format, total: file.total, normal: file.normal, errors: file.errors, matched, unmatched, cancellations: cancellationErrors, resultFile: name,
    batches: [...batchIds],
  };
}
