import type { Db } from '../db/database.js';

/** What `export verify` compares a file with: the batch it came from and its consents as stored. */

export type BatchForVerify = { id: number; consentIds: string[]; cancellationIds: string[]; fileSha256: string };

export type StoredRecord = {
  id: string;
  organizationCode: string;
  payerNumber: string;
  bankCode: string;
  accountNumber: string;
  applicationDate: string;
  holderIdKind: string;
  holderId: string;
  methodCode: number;
  fileExtension: string;
  fileBytes: number;
  fileSha256: string;
  endedAt: Date | null;
};

const SELECT_BATCHES = `SELECT id, consent_ids, cancellation_ids, file_sha256 FROM export_batches
  WHERE format = $1 AND organization_code = $2 AND batch_date = $3 ORDER BY (file_sha256 = $4) DESC, id DESC`;

const RECORD_COLUMNS = `id, organization_code, payer_number, bank_code, account_number, application_date, holder_id_kind, holder_id,
  method_code, file_extension, file_bytes, file_sha256, ended_at`;

const SELECT_BY_IDS = `SELECT ${RECORD_COLUMNS} FROM consents WHERE id = ANY($1::uuid[])`;

const SELECT_BY_KEY = `SELECT ${RECORD_COLUMNS} FROM consents
  WHERE organization_code = $1 AND payer_number = $2 AND application_date = $3 AND service_type = $4
  ORDER BY (status = 'sent') DESC, consented_at DESC LIMIT 1`;

type Row = {
  id: string; organization_code: string; payer_number: string; bank_code: string; account_number: string; application_date: string;
  holder_id_kind: string; holder_id: string; method_code: number; file_extension: string; file_bytes: number; file_sha256: string; ended_at: Date | null;
};

const toRecord = (r: Row): StoredRecord => ({
  id: r.id, organizationCode: r.organization_code, payerNumber: r.payer_number, bankCode: r.bank_code, accountNumber: r.account_number,
  applicationDate: r.application_date, holderIdKind: r.holder_id_kind, holderId: r.holder_id, methodCode: r.method_code,
  fileExtension: r.file_extension, fileBytes: r.file_bytes, fileSha256: r.file_sha256, endedAt: r.ended_at,
});

/** The batches of this key, the one whose bytes match first, then the newest. */
export async function batchesFor(db: Db, format: string, organizationCode: string, date: string, fileSha256: string): Promise<BatchForVerify[]> {
  const r = await db.query<{ id: number; consent_ids: string[]; cancellation_ids: string[]; file_sha256: string }>(SELECT_BATCHES, [format, organizationCode, date, fileSha256]);
  return r.rows.map((b) => ({ id: b.id, consentIds: b.consent_ids, cancellationIds: b.cancellation_ids, fileSha256: b.file_sha256 }));
}

export async function storedRecordsByIds(db: Db, ids: string[]): Promise<Map<string, StoredRecord>> {
  if (ids.length === 0) return new Map();
  return new Map((await db.query<Row>(SELECT_BY_IDS, [ids])).rows.map((r) => [r.id, toRecord(r)]));
}

export async function storedRecordByKey(db: Db, organizationCode: string, payerNumber: string, applicationDate: string, serviceType: string): Promise<StoredRecord | undefined> {
  const r = (await db.query<Row>(SELECT_BY_KEY, [organizationCode, payerNumber, applicationDate, serviceType])).rows[0];
  return r ? toRecord(r) : undefined;
}
