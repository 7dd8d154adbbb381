import type { Db } from '../db/database.js';
import { kstDate } from '../shared/time.js';
import type { TransmissionConsent } from './transmission.js';

/**
 * FB0110 cancellations (해지구분 Y): a firm-banking consent that was registered (sent) and whose
 * auto-debit has ended goes, once, into the next FB0110 of its organisation. Its application date
 * is the day it ended (Korea time).
 */

type CancellationRow = {
  id: string;
  method_code: number;
  payer_number: string;
  bank_code: string;
  account_number: string;
  holder_id_kind: string;
  holder_id: string;
  organization_code: string;
  verification_number: string;
  ended_at: Date;
};

const CANCELLATION_COLUMNS = `id, method_code, payer_number, bank_code, account_number, holder_id_kind, holder_id, organization_code, verification_number, ended_at`;

const SELECT_WAITING = `SELECT ${CANCELLATION_COLUMNS} FROM consents
  WHERE service_type = 'firmBanking' AND organization_code = $1 AND ended_at IS NOT NULL AND sent_at IS NOT NULL
    AND cancellation_reported_at IS NULL
  ORDER BY ended_at, id`;

const SELECT_BY_IDS = `SELECT ${CANCELLATION_COLUMNS} FROM consents WHERE id = ANY($1::uuid[])`;

const MARK_REPORTED = `UPDATE consents SET cancellation_batch_id = $2, cancellation_reported_at = now()
  WHERE id = ANY($1::uuid[]) AND cancellation_reported_at IS NULL`;

const SELECT_DATES_WAITING = `SELECT application_date AS date, count(*)::int AS count FROM consents
  WHERE status = 'ready' AND sent_at IS NULL AND ended_at IS NULL AND organization_code = $1 AND service_type = $2
  GROUP BY application_date ORDER BY application_date`;

function toCancellation(r: CancellationRow): TransmissionConsent {
  return {
    id: r.id, methodCode: r.method_code, fileExtension: '', fileBytes: 0, payerNumber: r.payer_number, bankCode: r.bank_code,
    accountNumber: r.account_number, applicationDate: kstDate(r.ended_at), holderIdKind: r.holder_id_kind, holderId: r.holder_id,
    organizationCode: r.organization_code, verificationNumber: r.verification_number, cancellation: true,
  };
}

export async function cancellationsWaiting(db: Db, organizationCode: string): Promise<TransmissionConsent[]> {
  return (await db.query<CancellationRow>(SELECT_WAITING, [organizationCode])).rows.map(toCancellation);
}

/** The cancellation records of a batch again, in the batch's order. */
export async function cancellationsByIds(db: Db, ids: string[]): Promise<TransmissionConsent[]> {
  if (ids.length === 0) return [];
  const byId = new Map((await db.query<CancellationRow>(SELECT_BY_IDS, [ids])).rows.map((r) => [r.id, toCancellation(r)]));
  return ids.map((id) => {
    const c = byId.get(id);
    if (!c) throw new Error(`consent ${id} of the batch no longer exists`);
    return c;
  });
}

export async function markCancellationsReported(db: Db, ids: string[], batchId: number): Promise<void> {
  if (ids.length) await db.query(MARK_REPORTED, [ids, batchId]);
}

/** The application dates that have consents waiting for an export, with how many. */
export async function datesWaiting(db: Db, organizationCode: string, serviceType: string): Promise<{ date: string; count: number }[]> {
  return (await db.query<{ date: string; count: number }>(SELECT_DATES_WAITING, [organizationCode, serviceType])).rows;
}
