import type { Db } from '../db/database.js';

/** The time marks of consent records, and what the public pages may show of a consent. */

const UNMARKED = `SELECT id, verification_number, file_path, file_bytes, file_sha256, consented_at, organization_code, method_code
  FROM consents WHERE time_mark IS NULL ORDER BY consented_at, id`;

const SET_MARK = 'UPDATE consents SET time_mark = $2 WHERE id = $1 AND time_mark IS NULL';

const PUBLIC_BY_NUMBER = `SELECT id, organization_name, method_code, consented_at, file_sha256, time_mark
  FROM consents WHERE verification_number = $1 AND status IN ('ready', 'sent')`;

const RECEIPT_BY = `SELECT id, status, organization_name, organization_code, method_code, bank_code, account_number, holder_name,
  holder_id, consented_at, verification_number, file_sha256, file_bytes, time_mark FROM consents`;

const RECENT_DENIALS = `SELECT count(*)::int AS n FROM access_log
  WHERE target = $1 AND action = 'receipt-denied' AND at > now() - make_interval(secs => $2)`;

export type UnmarkedConsent = {
  id: string;
  verificationNumber: string;
  filePath: string;
  fileBytes: number;
  fileSha256: string;
  consentedAt: Date;
  organizationCode: string;
  methodCode: number;
};

export async function unmarkedConsents(db: Db): Promise<UnmarkedConsent[]> {
  const r = await db.query(UNMARKED);
  return r.rows.map((row) => ({
    id: row.id, verificationNumber: row.verification_number, filePath: row.file_path, fileBytes: row.file_bytes, fileSha256: row.file_sha256,
    consentedAt: row.consented_at, organizationCode: row.organization_code, methodCode: row.method_code,
  }));
}

/** Sets a consent's mark once; false when it already had one. */
export async function setTimeMark(db: Db, consentId: string, mark: string): Promise<boolean> {
  return ((await db.query(SET_MARK, [consentId, mark])).rowCount ?? 0) === 1;
}

export type PublicConsent = { id: string; organizationName: string; methodCode: number; consentedAt: Date; sha256: string; timeMark: string | null };

/** A registered (ready or sent) consent by its verification number: nothing personal. */
export async function publicConsentByNumber(db: Db, verificationNumber: string): Promise<PublicConsent | undefined> {
  const row = (await db.query(PUBLIC_BY_NUMBER, [verificationNumber])).rows[0];
  return row
    ? { id: row.id, organizationName: row.organization_name, methodCode: row.method_code, consentedAt: row.consented_at, sha256: row.file_sha256, timeMark: row.time_mark }
    : undefined;
}

export type ReceiptConsent = {
  id: string;
  status: string;
  organizationName: string;
  organizationCode: string;
  methodCode: number;
  bankCode: string;
  accountNumber: string;
  holderName: string;
  holderId: string;
  consentedAt: Date;
  verificationNumber: string;
  sha256: string;
  fileSize: number;
  timeMark: string | null;
};

function receiptRow(row: Record<string, any> | undefined): ReceiptConsent | undefined {
  return row
    ? {
        id: row.id, status: row.status, organizationName: row.organization_name, organizationCode: row.organization_code, methodCode: row.method_code,
        bankCode: row.bank_code, accountNumber: row.account_number, holderName: row.holder_name, holderId: row.holder_id,
        consentedAt: row.consented_at, verificationNumber: row.verification_number, sha256: row.file_sha256, fileSize: row.file_bytes, timeMark: row.time_mark,
      }
    : undefined;
}

export async function receiptConsentById(db: Db, id: string): Promise<ReceiptConsent | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  return receiptRow((await db.query(`${RECEIPT_BY} WHERE id = $1`, [id])).rows[0]);
}

/** A registered consent by its verification number, for the payer's receipt. */
export async function receiptConsentByNumber(db: Db, verificationNumber: string): Promise<ReceiptConsent | undefined> {
  return receiptRow((await db.query(`${RECEIPT_BY} WHERE verification_number = $1 AND status IN ('ready', 'sent')`, [verificationNumber])).rows[0]);
}

/** Wrong birthdates given for one receipt lately (the access log counts them). */
export async function recentReceiptDenials(db: Db, target: string, withinSeconds: number): Promise<number> {
  return (await db.query(RECENT_DENIALS, [target, withinSeconds])).rows[0].n;
}
