import type { Db } from '../db/database.js';
import type { RequestRow, RequestStatus, ConsentSummary } from './requests.js';

/**
 * The consent_requests table with its deliveries, refusals and the organisations' callback
 * secrets: every statement the outbound consent requests run.
 */

const RANK_SQL = `CASE status WHEN 'queued' THEN 0 WHEN 'ringing' THEN 1 WHEN 'in-progress' THEN 2 ELSE 3 END`;
const RANK: Record<RequestStatus, number> = { queued: 0, ringing: 1, 'in-progress': 2, 'no-answer': 3, busy: 3, consented: 3, declined: 3, failed: 3 };

const SQL = {
  byId: 'SELECT * FROM consent_requests WHERE id = $1',
  byCallSid: 'SELECT * FROM consent_requests WHERE call_sid = $1',
  byIdempotencyKey: 'SELECT * FROM consent_requests WHERE organization_code = $1 AND requested_by = $2 AND idempotency_key = $3',
  lockOrganization: 'SELECT pg_advisory_xact_lock(7261003, hashtext($1))',
  recentCount: `SELECT count(*)::int AS n, min(at) AS oldest FROM (
      SELECT created_at AS at FROM consent_requests WHERE organization_code = $1 AND created_at > now() - interval '1 minute'
      UNION ALL
      SELECT at FROM consent_request_refusals WHERE organization_code = $1 AND at > now() - interval '1 minute') recent`,
  recordRefusal: 'INSERT INTO consent_request_refusals (organization_code, actor) VALUES ($1, $2)',
  insert: `INSERT INTO consent_requests (id, organization_code, scenario_id, payer_number, holder_name, birth_date, business_number, phone,
             bank_code, account_number, code, callback_url, not_before, requested_by, idempotency_key, body_sha256)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING *`,
  setNotBefore: 'UPDATE consent_requests SET not_before = $2, updated_at = now() WHERE id = $1',
  claimCallAttempt: 'UPDATE consent_requests SET call_attempted_at = now() WHERE id = $1 AND call_attempted_at IS NULL',
  releaseCallAttempt: 'UPDATE consent_requests SET call_attempted_at = NULL WHERE id = $1',
  setCallSid: 'UPDATE consent_requests SET call_sid = COALESCE(call_sid, $2), updated_at = now() WHERE id = $1',
  advance: `UPDATE consent_requests SET status = $2, reason = $3, updated_at = now() WHERE id = $1 AND ${RANK_SQL} < $4`,
  finish: `UPDATE consent_requests SET status = $2, reason = $3, consent_id = COALESCE($4, consent_id), finished_at = now(), updated_at = now(),
             callback_state = CASE WHEN callback_url IS NULL THEN NULL ELSE 'pending' END
           WHERE id = $1 AND finished_at IS NULL
           RETURNING *`,
  consentSummary: 'SELECT id, status, verification_number, method_code, file_bytes, file_sha256, consented_at FROM consents WHERE id = $1',
  countAttempt: 'UPDATE consent_requests SET callback_attempts = $2 WHERE id = $1',
  insertDelivery: 'INSERT INTO consent_request_deliveries (request_id, attempt, http_status, error) VALUES ($1, $2, $3, $4)',
  setCallbackState: 'UPDATE consent_requests SET callback_state = $2, callback_error = $3 WHERE id = $1',
  insertSecret: 'INSERT INTO organization_secrets (organization_code, secret) VALUES ($1, $2) ON CONFLICT DO NOTHING',
  secret: 'SELECT secret FROM organization_secrets WHERE organization_code = $1',
  replaceSecret: 'UPDATE organization_secrets SET secret = $2 WHERE organization_code = $1 AND secret = $3',
} as const;

const isUuid = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

export async function requestById(db: Db, id: string): Promise<RequestRow | undefined> {
  if (!isUuid(id)) return undefined;
  return (await db.query<RequestRow>(SQL.byId, [id])).rows[0];
}

export async function requestByCallSid(db: Db, callSid: string): Promise<RequestRow | undefined> {
  return (await db.query<RequestRow>(SQL.byCallSid, [callSid])).rows[0];
}

export async function requestByIdempotencyKey(db: Db, organizationCode: string, actor: string, key: string): Promise<RequestRow | undefined> {
  return (await db.query<RequestRow>(SQL.byIdempotencyKey, [organizationCode, actor, key])).rows[0];
}

/** Serialises one organisation's request making (inside a transaction), across processes. */
export async function lockOrganization(db: Db, organizationCode: string): Promise<void> {
  await db.query(SQL.lockOrganization, [organizationCode]);
}

/** Requests made and refused for the organisation in the last minute, and the oldest of them. */
export async function recentAttempts(db: Db, organizationCode: string): Promise<{ count: number; oldest: Date | null }> {
  const r = (await db.query<{ n: number; oldest: Date | null }>(SQL.recentCount, [organizationCode])).rows[0]!;
  return { count: r.n, oldest: r.oldest };
}

export async function recordRefusal(db: Db, organizationCode: string, actor: string): Promise<void> {
  await db.query(SQL.recordRefusal, [organizationCode, actor]);
}

export type NewRequest = {
  id: string;
  organizationCode: string;
  scenarioId: string;
  payerNumber: string;
  holderName: string;
  birthDate: string;
  businessNumber: string | null;
  phone: string;
  bankCode: string;
  accountNumber: string;
  code: string;
  callbackUrl: string | null;
  notBefore: Date;
  requestedBy: string;
  idempotencyKey: string | null;
  bodySha256: string | null;
};

export async function insertRequest(db: Db, r: NewRequest): Promise<RequestRow> {
  return (
    await db.query<RequestRow>(SQL.insert, [
      r.id, r.organizationCode, r.scenarioId, r.payerNumber, r.holderName, r.birthDate, r.businessNumber, r.phone,
      r.bankCode, r.accountNumber, r.code, r.callbackUrl, r.notBefore, r.requestedBy, r.idempotencyKey, r.bodySha256,
    ])
  ).rows[0]!;
}

export async function setNotBefore(db: Db, id: string, at: Date): Promise<void> {
  await db.query(SQL.setNotBefore, [id, at]);
}

/** Marks the one attempt to ask Twilio for the call; false when an earlier run already did. */
export async function claimCallAttempt(db: Db, id: string): Promise<boolean> {
  return ((await db.query(SQL.claimCallAttempt, [id])).rowCount ?? 0) > 0;
}

export async function releaseCallAttempt(db: Db, id: string): Promise<void> {
  await db.query(SQL.releaseCallAttempt, [id]);
}

export async function setCallSid(db: Db, id: string, callSid: string): Promise<void> {
  await db.query(SQL.setCallSid, [id, callSid]);
}

/** Moves a request forward (never back); true when it changed. */
export async function advanceRequest(db: Db, id: string, status: RequestStatus, reason: string | null = null): Promise<boolean> {
  return ((await db.query(SQL.advance, [id, status, reason, RANK[status]])).rowCount ?? 0) > 0;
}

export type RequestOutcome = { status: Exclude<RequestStatus, 'queued' | 'ringing' | 'in-progress'>; reason?: string | null; consentId?: string | null };

/** Ends a request (once); its completion callback falls due. */
export async function finishRequest(db: Db, id: string, outcome: RequestOutcome): Promise<RequestRow | undefined> {
  return (await db.query<RequestRow>(SQL.finish, [id, outcome.status, outcome.reason ?? null, outcome.consentId ?? null])).rows[0];
}

export async function consentSummary(db: Db, consentId: string | null): Promise<ConsentSummary | undefined> {
  if (!consentId) return undefined;
  return (await db.query<ConsentSummary>(SQL.consentSummary, [consentId])).rows[0];
}

export async function countCallbackAttempt(db: Db, id: string, attempt: number): Promise<void> {
  await db.query(SQL.countAttempt, [id, attempt]);
}

export async function recordDelivery(db: Db, d: { requestId: string; attempt: number; httpStatus: number | null; error: string | null }): Promise<void> {
  await db.query(SQL.insertDelivery, [d.requestId, d.attempt, d.httpStatus, d.error]);
}

export async function setCallbackState(db: Db, id: string, state: 'pending' | 'delivered' | 'given-up', error: string | null): Promise<void> {
  await db.query(SQL.setCallbackState, [id, state, error]);
}

/** The stored (encrypted) signing secret of an organisation, made by `make` at first use. */
export async function organizationSecret(db: Db, organizationCode: string, make: () => string): Promise<string> {
  await db.query(SQL.insertSecret, [organizationCode, make()]);
  return (await db.query<{ secret: string }>(SQL.secret, [organizationCode])).rows[0]!.secret;
}

export async function replaceOrganizationSecret(db: Db, organizationCode: string, stored: string, before: string): Promise<void> {
  await db.query(SQL.replaceSecret, [organizationCode, stored, before]);
}
