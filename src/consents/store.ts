import type { Db } from '../db/database.js';
import type { ConsentStatus, NewConsent } from './consents.js';
import type { Evidence } from './evidence.js';
import type { ConsentSearch } from './search.js';

/**
 * The `consents` table: consent records. Every consent SQL statement lives here (named, plain SQL);
 * rows are parsed once into the camelCase `Consent`.
 */

type ConsentRow = {
  id: string;
  call_sid: string;
  recording_sid: string;
  attempt: number;
  status: ConsentStatus;
  method_code: number;
  consent_by: string;
  service_type: string;
  organization_code: string;
  organization_name: string;
  scenario_id: string;
  payer_number: string;
  holder_name: string;
  holder_id_kind: string;
  holder_id: string;
  phone: string | null;
  bank_code: string;
  account_number: string;
  application_date: string;
  consented_at: Date;
  verification_number: string;
  file_extension: string;
  file_path: string;
  file_bytes: number;
  file_sha256: string;
  bitrate_kbps: number;
  duration_seconds: string;
  encoder: string;
  evidence: Evidence;
  time_mark: string | null;
  sent_at: Date | null;
  notified_at: Date | null;
  ended_at: Date | null;
  superseded_at: Date | null;
  created_at: Date;
};

/** A stored consent record. */
export type Consent = {
  id: string;
  callSid: string;
  recordingSid: string;
  attempt: number;
  status: ConsentStatus;
  methodCode: number;
  consentBy: string;
  serviceType: string;
  organizationCode: string;
  organizationName: string;
  scenarioId: string;
  payerNumber: string;
  holderName: string;
  holderIdKind: string;
  holderId: string;
  phone: string | null;
  bankCode: string;
  accountNumber: string;
  applicationDate: string;
  consentedAt: Date;
  verificationNumber: string;
  fileExtension: string;
  filePath: string;
  fileBytes: number;
  fileSha256: string;
  bitrateKbps: number;
  durationSeconds: number;
  encoder: string;
  evidence: Evidence;
  /** The signed time mark (compact JWS). */
  timeMark: string | null;
  sentAt: Date | null;
  notifiedAt: Date | null;
  endedAt: Date | null;
  supersededAt: Date | null;
  createdAt: Date;
};

function toConsent(r: ConsentRow): Consent {
  return {
    id: r.id, callSid: r.call_sid, recordingSid: r.recording_sid, attempt: r.attempt, status: r.status, methodCode: r.method_code,
    consentBy: r.consent_by, serviceType: r.service_type, organizationCode: r.organization_code, organizationName: r.organization_name,
    scenarioId: r.scenario_id, payerNumber: r.payer_number, holderName: r.holder_name, holderIdKind: r.holder_id_kind, holderId: r.holder_id,
    phone: r.phone, bankCode: r.bank_code, accountNumber: r.account_number, applicationDate: r.application_date, consentedAt: r.consented_at,
    verificationNumber: r.verification_number, fileExtension: r.file_extension, filePath: r.file_path, fileBytes: r.file_bytes,
    fileSha256: r.file_sha256, bitrateKbps: r.bitrate_kbps, durationSeconds: Number(r.duration_seconds), encoder: r.encoder,
    evidence: r.evidence, timeMark: r.time_mark ?? null, sentAt: r.sent_at, notifiedAt: r.notified_at, endedAt: r.ended_at, supersededAt: r.superseded_at, createdAt: r.created_at,
  };
}

const INSERT = `INSERT INTO consents (id, call_sid, recording_sid, attempt, status, method_code, consent_by, service_type, organization_code,
    organization_name, scenario_id, payer_number, holder_name, holder_id_kind, holder_id, phone, bank_code, account_number,
    application_date, consented_at, verification_number, file_extension, file_path, file_bytes, file_sha256, bitrate_kbps,
    duration_seconds, encoder, evidence, time_mark)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30)
  ON CONFLICT (recording_sid) DO NOTHING`;
const BY_ID = 'SELECT * FROM consents WHERE id = $1';
const BY_RECORDING = 'SELECT * FROM consents WHERE recording_sid = $1';
const SUPERSEDE_OLDER = `UPDATE consents SET superseded_at = now()
  WHERE payer_number = $1 AND organization_code = $2 AND id <> $3 AND consented_at <= $4 AND superseded_at IS NULL AND status <> 'evidence_failed'`;
const END = 'UPDATE consents SET ended_at = $2 WHERE id = $1';
const CLAIM_NOTIFICATION = 'UPDATE consents SET notified_at = now() WHERE id = $1 AND notified_at IS NULL';
const RELEASE_NOTIFICATION = 'UPDATE consents SET notified_at = NULL WHERE id = $1';
const VERIFIABLE_BY_NUMBER = "SELECT * FROM consents WHERE verification_number = $1 AND status IN ('ready', 'sent')";
const EXPORT_CANDIDATES = `SELECT *, consented_at::text AS consented_key FROM consents
  WHERE status = 'ready' AND sent_at IS NULL AND ended_at IS NULL AND organization_code = $1 AND application_date = $2 AND service_type = $3
    AND ($4::timestamptz IS NULL OR (consented_at, id) > ($4::timestamptz, $5::uuid))
  ORDER BY consented_at, id LIMIT $6`;
const BY_IDS = 'SELECT * FROM consents WHERE id = ANY($1::uuid[])';
const MARK_SENT = `UPDATE consents SET status = 'sent', sent_at = now(), batch_id = $2 WHERE id = ANY($1::uuid[]) AND sent_at IS NULL`;
const PAST_RETENTION = `SELECT *, CASE WHEN ended_at IS NOT NULL AND (superseded_at IS NULL OR ended_at <= superseded_at) THEN 'ended' ELSE 'superseded' END AS retention_reason
  FROM consents WHERE coalesce(ended_at, superseded_at) < $1
    AND NOT EXISTS (SELECT 1 FROM consent_holds h WHERE h.consent_id = consents.id AND h.released_at IS NULL)
  ORDER BY consented_at LIMIT $2`;
/** A hold placed since the look-up still wins. */
const DELETE_UNHELD = 'DELETE FROM consents WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM consent_holds h WHERE h.consent_id = $1 AND h.released_at IS NULL)';
const ANY_OF_CALL = 'SELECT 1 FROM consents WHERE call_sid = $1 LIMIT 1';

/** One search, for the API and the auditor's page: each filter a fixed condition, all of them ANDed. */
const SEARCH_CONDITIONS: Record<keyof ConsentSearch, string> = {
  phone: 'phone = ?',
  name: "holder_name LIKE '%' || ? || '%'",
  payerNumber: "payer_number LIKE ? || '%'",
  accountLast: "account_number LIKE '%' || ?",
  verificationNumber: 'verification_number = ?',
  from: 'consented_at >= ?',
  to: 'consented_at < ?',
  toInclusive: 'consented_at <= ?',
  methodCode: 'method_code = ?',
  status: 'status = ?',
  callSid: 'call_sid = ?',
  held: 'EXISTS (SELECT 1 FROM consent_holds h WHERE h.consent_id = consents.id AND h.released_at IS NULL) = ?',
  registration: 'EXISTS (SELECT 1 FROM consent_registrations r WHERE r.consent_id = consents.id AND r.status = ?)',
};
const NO_REGISTRATION = 'NOT EXISTS (SELECT 1 FROM consent_registrations r WHERE r.consent_id = consents.id)';
const SEARCH = 'SELECT * FROM consents WHERE $CONDITIONS ORDER BY consented_at DESC, id LIMIT $LIMIT';

/** LIKE treats % _ and \ as patterns: a search for them finds them as they are. */
const likeLiteral = (s: string) => s.replace(/[%_\\]/g, '\\$&');
const LIKE_FILTERS = new Set<keyof ConsentSearch>(['name', 'payerNumber', 'accountLast']);

/** Inserts a consent; false when the recording already has one (a repeated job). */
export async function insertConsent(db: Db, c: NewConsent): Promise<boolean> {
  const r = await db.query(INSERT, [
    c.id, c.callSid, c.recordingSid, c.attempt, c.status, c.methodCode, c.consentBy, c.serviceType, c.organizationCode,
    c.organizationName, c.scenarioId, c.payerNumber, c.holderName, c.holderIdKind, c.holderId, c.phone ?? null, c.bankCode,
    c.accountNumber, c.applicationDate, c.consentedAt, c.verificationNumber, c.fileExtension, c.filePath, c.fileBytes,
    c.fileSha256, c.bitrateKbps, c.durationSeconds, c.encoder, c.evidence, c.timeMark ?? null,
  ]);
  return r.rowCount === 1;
}

/** The consent with this id; undefined for an unknown id or one that is not a UUID. */
export async function consentById(db: Db, id: string): Promise<Consent | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const row = (await db.query<ConsentRow>(BY_ID, [id])).rows[0];
  return row ? toConsent(row) : undefined;
}

export async function consentByRecording(db: Db, recordingSid: string): Promise<Consent | undefined> {
  const row = (await db.query<ConsentRow>(BY_RECORDING, [recordingSid])).rows[0];
  return row ? toConsent(row) : undefined;
}

/** A newer ready consent of the same payer and organisation supersedes the older ones (R7 clock starts). */
export async function supersedeOlder(db: Db, consent: Pick<Consent, 'id' | 'payerNumber' | 'organizationCode' | 'consentedAt'>): Promise<number> {
  const r = await db.query(SUPERSEDE_OLDER, [consent.payerNumber, consent.organizationCode, consent.id, consent.consentedAt]);
  return r.rowCount ?? 0;
}

/** The auto-debit of this consent ended at `at`: its retention clock starts. */
export async function endConsent(db: Db, id: string, at: Date): Promise<void> {
  await db.query(END, [id, at]);
}

/** Claims the registration SMS of a consent: true for the one process that may send it. */
export async function claimNotification(db: Db, id: string): Promise<boolean> {
  return ((await db.query(CLAIM_NOTIFICATION, [id])).rowCount ?? 0) === 1;
}

/** The SMS could not be sent: another attempt may claim it. */
export async function releaseNotification(db: Db, id: string): Promise<void> {
  await db.query(RELEASE_NOTIFICATION, [id]);
}

/** The consent a verification number names, if it is ready or sent (public verification). */
export async function verifiableConsent(db: Db, verificationNumber: string): Promise<Consent | undefined> {
  const row = (await db.query<ConsentRow>(VERIFIABLE_BY_NUMBER, [verificationNumber])).rows[0];
  return row ? toConsent(row) : undefined;
}

/** Consents matching every filter given, newest first. */
export async function searchConsents(db: Db, search: ConsentSearch, limit: number): Promise<Consent[]> {
  const values: unknown[] = [];
  const conditions: string[] = [];
  for (const [key, value] of Object.entries(search) as [keyof ConsentSearch, unknown][]) {
    if (value === undefined) continue;
    if (key === 'registration' && value === 'none') {
      conditions.push(NO_REGISTRATION);
      continue;
    }
    values.push(LIKE_FILTERS.has(key) ? likeLiteral(String(value)) : value);
    conditions.push(SEARCH_CONDITIONS[key].replace('?', `$${values.length}`));
  }
  values.push(limit);
  const text = SEARCH.replace('$CONDITIONS', conditions.length ? conditions.join(' AND ') : 'true').replace('$LIMIT', `$${values.length}`);
  return (await db.query<ConsentRow>(text, values)).rows.map(toConsent);
}

/** A consent as a transmission file needs it, with its exact time as the keyset cursor of the next page. */
export type ExportCandidate = Consent & { cursor: string };

/**
 * Unsent consents that passed the evidence check, for one organisation code, application date and
 * service type, in consent order, one page after `after` (the last candidate's cursor and id).
 */
export async function exportCandidates(
  db: Db, batch: { organizationCode: string; date: string; serviceType: string }, after: { cursor: string; id: string } | undefined, limit: number,
): Promise<ExportCandidate[]> {
  const r = await db.query<ConsentRow & { consented_key: string }>(EXPORT_CANDIDATES, [
    batch.organizationCode, batch.date, batch.serviceType, after?.cursor ?? null, after?.id ?? null, limit,
  ]);
  return r.rows.map((row) => ({ ...toConsent(row), cursor: row.consented_key }));
}

/** The consents with these ids (in no particular order; missing ones are left out). */
export async function consentsByIds(db: Db, ids: string[]): Promise<Consent[]> {
  return (await db.query<ConsentRow>(BY_IDS, [ids])).rows.map(toConsent);
}

/** The consents of a written batch are sent: they leave the waiting list. */
export async function markSent(db: Db, ids: string[], batchId: number): Promise<void> {
  await db.query(MARK_SENT, [ids, batchId]);
}

export type ExpiredConsent = Consent & { retentionReason: 'ended' | 'superseded' };

/** Consents whose auto-debit ended or that were superseded before `cutoff`, oldest first. */
export async function consentsPastRetention(db: Db, cutoff: Date, limit: number): Promise<ExpiredConsent[]> {
  const r = await db.query<ConsentRow & { retention_reason: 'ended' | 'superseded' }>(PAST_RETENTION, [cutoff, limit]);
  return r.rows.map((row) => ({ ...toConsent(row), retentionReason: row.retention_reason }));
}

/** Deletes the consent unless it is under a legal hold; false when a hold kept it. */
export async function deleteConsent(db: Db, id: string): Promise<boolean> {
  return ((await db.query(DELETE_UNHELD, [id])).rowCount ?? 0) === 1;
}

/** Whether any consent of the call is still kept. */
export async function callHasConsents(db: Db, callSid: string): Promise<boolean> {
  return ((await db.query(ANY_OF_CALL, [callSid])).rowCount ?? 0) > 0;
}
