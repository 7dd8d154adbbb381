import type pg from 'pg';
import { findInstitution, spokenInstitutionName } from '../kftc/institutions.js';
import type { Evidence } from './evidence.js';
import { kstDayStart, kstIso } from '../shared/time.js';

type Db = Pick<pg.Pool, 'query'>;

export type ConsentStatus = 'ready' | 'evidence_failed' | 'sent';

export type NewConsent = {
  id: string;
  callSid: string;
  recordingSid: string;
  attempt: number;
  status: ConsentStatus;
  methodCode: 4 | 5;
  consentBy: 'key' | 'voice';
  serviceType: string;
  organizationCode: string;
  organizationName: string;
  scenarioId: string;
  payerNumber: string;
  holderName: string;
  holderIdKind: 'birthDate' | 'businessNumber';
  holderId: string;
  phone: string | undefined;
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
  /** The signed time mark (compact JWS), fixed once stored. */
  timeMark?: string | undefined;
};

export type ConsentRow = {
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

const COLUMNS = [
  'id', 'call_sid', 'recording_sid', 'attempt', 'status', 'method_code', 'consent_by', 'service_type', 'organization_code',
  'organization_name', 'scenario_id', 'payer_number', 'holder_name', 'holder_id_kind', 'holder_id', 'phone', 'bank_code',
  'account_number', 'application_date', 'consented_at', 'verification_number', 'file_extension', 'file_path', 'file_bytes',
  'file_sha256', 'bitrate_kbps', 'duration_seconds', 'encoder', 'evidence', 'time_mark',
] as const;

/** Inserts a consent; false when the recording already has one (a repeated job). */
export async function insertConsent(db: Db, c: NewConsent): Promise<boolean> {
  const values = [
    c.id, c.callSid, c.recordingSid, c.attempt, c.status, c.methodCode, c.consentBy, c.serviceType, c.organizationCode,
    c.organizationName, c.scenarioId, c.payerNumber, c.holderName, c.holderIdKind, c.holderId, c.phone ?? null, c.bankCode,
    c.accountNumber, c.applicationDate, c.consentedAt, c.verificationNumber, c.fileExtension, c.filePath, c.fileBytes,
    c.fileSha256, c.bitrateKbps, c.durationSeconds, c.encoder, c.evidence, c.timeMark ?? null,
  ];
  const r = await db.query(
    `INSERT INTO consents (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
     ON CONFLICT (recording_sid) DO NOTHING`,
    values,
  );
  return r.rowCount === 1;
}

export async function consentByRecording(db: Db, recordingSid: string): Promise<ConsentRow | undefined> {
  return (await db.query<ConsentRow>('SELECT * FROM consents WHERE recording_sid = $1', [recordingSid])).rows[0];
}

export async function consentById(db: Db, id: string): Promise<ConsentRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  return (await db.query<ConsentRow>('SELECT * FROM consents WHERE id = $1', [id])).rows[0];
}

/** The consent record as the API shows it (camelCase; dates in Korea time). */
export function consentJson(row: ConsentRow): Record<string, unknown> {
  const institution = findInstitution(row.bank_code);
  return {
    id: row.id,
    status: row.status,
    methodCode: row.method_code,
    consentBy: row.consent_by,
    callSid: row.call_sid,
    recordingSid: row.recording_sid,
    serviceType: row.service_type,
    organizationCode: row.organization_code,
    organizationName: row.organization_name,
    payerNumber: row.payer_number,
    holderName: row.holder_name,
    ...(row.holder_id_kind === 'businessNumber' ? { businessNumber: row.holder_id } : { birthDate: row.holder_id }),
    bankCode: row.bank_code,
    bankName: institution ? spokenInstitutionName(institution) : undefined,
    accountNumber: row.account_number,
    applicationDate: row.application_date,
    consentedAt: kstIso(row.consented_at),
    verificationNumber: row.verification_number,
    fileExtension: row.file_extension,
    fileSize: row.file_bytes,
    sha256: row.file_sha256,
    bitrateKbps: row.bitrate_kbps,
    durationSeconds: Number(row.duration_seconds),
    encoder: row.encoder,
    evidence: row.evidence,
    timeMark: row.time_mark ?? null,
    sentAt: row.sent_at ? kstIso(row.sent_at) : null,
    endedAt: row.ended_at ? kstIso(row.ended_at) : null,
    supersededAt: row.superseded_at ? kstIso(row.superseded_at) : null,
    createdAt: kstIso(row.created_at),
  };
}

export type ConsentFilter = {
  from?: string | undefined;
  to?: string | undefined;
  payerNumber?: string | undefined;
  methodCode?: string | undefined;
  status?: string | undefined;
  callSid?: string | undefined;
  /** Issue 18: 'true' under a legal hold, 'false' not. */
  held?: string | undefined;
  /** Issue 18: the FB0120 registration result: accepted, rejected, resubmitted, or none yet. */
  registration?: string | undefined;
};

export class FilterError extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(reason);
  }
}

/** Dates are Korean days (YYYY-MM-DD or YYYYMMDD), both ends included, or ISO instants. */
function instant(field: string, value: string, endOfDay: boolean): Date {
  const day = kstDayStart(value);
  if (day) return endOfDay ? new Date(day.getTime() + 86_400_000) : day;
  const t = Date.parse(value);
  if (/^\d{4}-\d{2}-\d{2}T/.test(value) && Number.isFinite(t)) return new Date(t);
  throw new FilterError(field, 'must be a date (YYYY-MM-DD) or an ISO 8601 time');
}

export async function listConsents(db: Db, f: ConsentFilter, limit = 500): Promise<ConsentRow[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    values.push(v);
    where.push(sql.replace('?', `$${values.length}`));
  };
  if (f.from) add('consented_at >= ?', instant('from', f.from, false));
  if (f.to) add(/T/.test(f.to) ? 'consented_at <= ?' : 'consented_at < ?', instant('to', f.to, true));
  if (f.payerNumber) add('payer_number = ?', f.payerNumber);
  if (f.methodCode) {
    if (f.methodCode !== '4' && f.methodCode !== '5') throw new FilterError('methodCode', 'must be 4 or 5');
    add('method_code = ?', Number(f.methodCode));
  }
  if (f.status) {
    if (!['ready', 'evidence_failed', 'sent'].includes(f.status)) throw new FilterError('status', 'must be ready, evidence_failed or sent');
    add('status = ?', f.status);
  }
  if (f.callSid) add('call_sid = ?', f.callSid);
  if (f.held) {
    if (f.held !== 'true' && f.held !== 'false') throw new FilterError('held', 'must be true or false');
    where.push(`${f.held === 'true' ? '' : 'NOT '}EXISTS (SELECT 1 FROM consent_holds h WHERE h.consent_id = consents.id AND h.released_at IS NULL)`);
  }
  if (f.registration) {
    if (!['accepted', 'rejected', 'resubmitted', 'none'].includes(f.registration)) throw new FilterError('registration', 'must be accepted, rejected, resubmitted or none');
    if (f.registration === 'none') where.push('NOT EXISTS (SELECT 1 FROM consent_registrations r WHERE r.consent_id = consents.id)');
    else add('EXISTS (SELECT 1 FROM consent_registrations r WHERE r.consent_id = consents.id AND r.status = ?)', f.registration);
  }
  const r = await db.query<ConsentRow>(
    `SELECT * FROM consents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY consented_at DESC, id LIMIT ${limit}`,
    values,
  );
  return r.rows;
}

/** A newer ready consent of the same payer and organisation supersedes the older ones (R7 clock starts). */
export async function supersedeOlder(db: Db, consent: { id: string; payer_number: string; organization_code: string; consented_at: Date }): Promise<number> {
  const r = await db.query(
    `UPDATE consents SET superseded_at = now()
      WHERE payer_number = $1 AND organization_code = $2 AND id <> $3 AND consented_at <= $4 AND superseded_at IS NULL AND status <> 'evidence_failed'`,
    [consent.payer_number, consent.organization_code, consent.id, consent.consented_at],
  );
  return r.rowCount ?? 0;
}
