import type { Db } from '../db/database.js';
import { kstIso } from '../shared/time.js';

/** FB0120 results: the FB0110 batches they answer, the files read, each consent's registration. */

export type AnsweredBatch = { id: number; organizationCode: string; consentIds: string[]; cancellationIds: string[] };

export type MatchCandidate = {
  id: string;
  organizationCode: string;
  payerNumber: string;
  bankCode: string;
  accountNumber: string;
  applicationDate: string;
  endedAt: Date | null;
  batchId: number | null;
};

export type RegistrationStatus = 'accepted' | 'rejected' | 'resubmitted';

export type Registration = { status: RegistrationStatus; code: string; reason: string; resultFile: string; receivedAt: string };

const SELECT_BATCHES = `SELECT id, organization_code, consent_ids, cancellation_ids FROM export_batches
  WHERE format = 'fb0110' AND batch_date = $1 AND ($2::text IS NULL OR organization_code = $2) ORDER BY id`;

const SELECT_CANDIDATES = `SELECT id, organization_code, payer_number, bank_code, account_number, application_date, ended_at, batch_id
  FROM consents WHERE id = ANY($1::uuid[])`;

const INSERT_FILE = `INSERT INTO kftc_result_files (format, name, sha256, organization_code, processing_date, total, normal, errors, matched, unmatched, received_by)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id, received_at`;

/** One statement for the whole file: every consent's result. */
const UPSERT_REGISTRATIONS = `INSERT INTO consent_registrations (consent_id, status, code, reason, result_file_id, result_file, received_at)
  SELECT x.consent_id, x.status, x.code, x.reason, $4, $5, $6
    FROM unnest($1::uuid[], $2::text[], $3::text[], $7::text[]) AS x(consent_id, status, code, reason)
  ON CONFLICT (consent_id) DO UPDATE SET status = EXCLUDED.status, code = EXCLUDED.code, reason = EXCLUDED.reason,
    result_file_id = EXCLUDED.result_file_id, result_file = EXCLUDED.result_file, received_at = EXCLUDED.received_at`;

const SELECT_REGISTRATION = `SELECT status, code, reason, result_file, received_at FROM consent_registrations WHERE consent_id = $1`;

const MARK_RESUBMITTED = `UPDATE consent_registrations SET status = 'resubmitted' WHERE consent_id = $1 AND status = 'rejected'`;

const REOPEN_FOR_EXPORT = `UPDATE consents SET status = 'ready', sent_at = NULL, batch_id = NULL,
    account_number = coalesce($2, account_number), bank_code = coalesce($3, bank_code), payer_number = coalesce($4, payer_number),
    holder_id = coalesce($5, holder_id)
  WHERE id = $1`;

export async function fb0110BatchesOn(db: Db, processingDate: string, organizationCode: string | undefined): Promise<AnsweredBatch[]> {
  const r = await db.query<{ id: number; organization_code: string; consent_ids: string[]; cancellation_ids: string[] }>(SELECT_BATCHES, [processingDate, organizationCode ?? null]);
  return r.rows.map((b) => ({ id: b.id, organizationCode: b.organization_code, consentIds: b.consent_ids, cancellationIds: b.cancellation_ids }));
}

export async function matchCandidates(db: Db, ids: string[]): Promise<MatchCandidate[]> {
  if (ids.length === 0) return [];
  const r = await db.query<{
    id: string; organization_code: string; payer_number: string; bank_code: string; account_number: string; application_date: string; ended_at: Date | null; batch_id: number | null;
  }>(SELECT_CANDIDATES, [ids]);
  return r.rows.map((c) => ({
    id: c.id, organizationCode: c.organization_code, payerNumber: c.payer_number, bankCode: c.bank_code, accountNumber: c.account_number,
    applicationDate: c.application_date, endedAt: c.ended_at, batchId: c.batch_id,
  }));
}

export async function insertResultFile(
  db: Db,
  f: { format: string; name: string; sha256: string; organizationCode: string; processingDate: string; total: number; normal: number; errors: number; matched: number; unmatched: unknown[]; receivedBy: string },
): Promise<{ id: number; receivedAt: Date }> {
  const r = await db.query<{ id: number; received_at: Date }>(INSERT_FILE, [
    f.format, f.name, f.sha256, f.organizationCode, f.processingDate, f.total, f.normal, f.errors, f.matched, JSON.stringify(f.unmatched), f.receivedBy,
  ]);
  return { id: r.rows[0]!.id, receivedAt: r.rows[0]!.received_at };
}

export async function setRegistrations(
  db: Db,
  results: { consentId: string; status: RegistrationStatus; code: string; reason: string }[],
  file: { id: number; name: string; receivedAt: Date },
): Promise<void> {
  if (results.length === 0) return;
  await db.query(UPSERT_REGISTRATIONS, [
    results.map((x) => x.consentId), results.map((x) => x.status), results.map((x) => x.code), file.id, file.name, file.receivedAt, results.map((x) => x.reason),
  ]);
}

export async function registrationOf(db: Db, consentId: string): Promise<Registration | null> {
  const r = (await db.query<{ status: RegistrationStatus; code: string; reason: string; result_file: string; received_at: Date }>(SELECT_REGISTRATION, [consentId])).rows[0];
  return r ? { status: r.status, code: r.code, reason: r.reason, resultFile: r.result_file, receivedAt: kstIso(r.received_at) } : null;
}

export type Correction = { accountNumber?: string | undefined; bankCode?: string | undefined; payerNumber?: string | undefined; holderId?: string | undefined };

/** A rejected consent, corrected, waits for the next export of its date again. */
export async function reopenRejected(db: Db, consentId: string, c: Correction): Promise<void> {
  await db.query(REOPEN_FOR_EXPORT, [consentId, c.accountNumber ?? null, c.bankCode ?? null, c.payerNumber ?? null, c.holderId ?? null]);
  await db.query(MARK_RESUBMITTED, [consentId]);
}
