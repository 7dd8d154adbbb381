import { createHmac, randomBytes, randomInt, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { checkAccount } from '../kftc/institutions.js';
import { checkAccountFields } from '../kftc/fields.js';
import { findPayer, upsertPayer } from '../payers/payers.js';
import { firstProblem } from '../shared/problems.js';
import {
  advanceRequest, finishRequest, nextCallTime, requestById, requestInputSchema, requestJson,
  type ConsentSummary, type RequestInput, type RequestRow,
} from './requests.js';
import { withTransaction } from '../db/database.js';
import type { Logger } from '../log.js';
import type { CallState } from '../scenario/engine.js';
import type { ScenarioSet } from '../scenario/loader.js';
import type { Scenario } from '../scenario/schema.js';
import type { TwilioRest } from '../telephony/rest.js';
import { isSid } from '../telephony/sids.js';
import { QUEUES, type JobQueue } from '../jobs/queue.js';
import type { Config } from '../config.js';

/**
 * Outbound ARS consent requests, end to end: validate and queue a request, place the call through
 * Twilio (after the quiet hours), follow its progress, and deliver the signed completion callback,
 * retried with backoff until acknowledged or given up. Every step is a durable job.
 */

export class RequestRefused extends Error {
  constructor(
    readonly status: number,
    readonly field: string | undefined,
    readonly reason: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(reason);
  }
}

export type ConsentRequestDeps = {
  pool: pg.Pool;
  queue: JobQueue;
  twilio: TwilioRest;
  scenarios: ScenarioSet;
  log: Logger;
  publicBaseUrl: string;
  outbound: Config['outbound'];
};

const FINAL_TWILIO_STATUS: Record<string, { status: 'busy' | 'no-answer' | 'failed'; reason: string | null }> = {
  busy: { status: 'busy', reason: 'the line was busy' },
  'no-answer': { status: 'no-answer', reason: 'the payer did not answer' },
  failed: { status: 'failed', reason: 'Twilio could not place the call' },
  canceled: { status: 'failed', reason: 'the call was canceled' },
};

export function createConsentRequests(deps: ConsentRequestDeps) {
  const { pool, log } = deps;

  function callerIdFor(scenario: Scenario): string | undefined {
    return scenario.outbound.callerId ?? scenario.numbers[0] ?? deps.outbound.callerId;
  }

  /** Who is called and for what: the payer on file, or the one the website names (registered here). */
  async function resolvePayer(input: RequestInput) {
    const { payerNumber, name, birthDate } = input;
    if (payerNumber) {
      const onFile = await findPayer(pool, payerNumber);
      if (onFile) {
        if (name !== undefined && name !== onFile.name) throw new RequestRefused(400, 'name', 'does not match the payer on file for that payer number');
        if (birthDate !== undefined && birthDate !== onFile.birthDate) throw new RequestRefused(400, 'birthDate', 'does not match the payer on file for that payer number');
        return onFile;
      }
      if (!name || !birthDate) throw new RequestRefused(400, 'payerNumber', 'no payer with that payer number; give name and birthDate with it to register the payer');
      await upsertPayer(pool, { payerNumber, name, birthDate, phone: input.phone, businessNumber: input.businessNumber });
      return (await findPayer(pool, payerNumber))!;
    }
    if (!name || !birthDate) throw new RequestRefused(400, name ? 'birthDate' : 'payerNumber', 'give payerNumber, or name and birthDate');
    const matches = await pool.query<{ payer_number: string }>('SELECT payer_number FROM payers WHERE name = $1 AND birth_date = $2 ORDER BY (phone = $3) DESC LIMIT 3', [
      name, birthDate, input.phone,
    ]);
    if (matches.rows.length > 1) throw new RequestRefused(400, 'payerNumber', 'several payers have that name and birth date; give payerNumber');
    if (matches.rows[0]) return (await findPayer(pool, matches.rows[0].payer_number))!;
    // A new customer signing up: registered under a payer number the service assigns (returned).
    const assigned = `W${String(randomInt(0, 1e9)).padStart(9, '0')}${String(randomInt(0, 1e4)).padStart(4, '0')}`;
    await upsertPayer(pool, { payerNumber: assigned, name, birthDate, phone: input.phone, businessNumber: input.businessNumber });
    return (await findPayer(pool, assigned))!;
  }

  /** A new request, or (same Idempotency-Key for the organisation) the one made before: `replayed`. */
  async function create(body: unknown, actor: string, idempotencyKey?: string): Promise<{ row: RequestRow; replayed: boolean }> {
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,100}$/.test(idempotencyKey)) {
      throw new RequestRefused(400, 'Idempotency-Key', 'must be 1 to 100 printable characters without spaces');
    }
    const parsed = requestInputSchema.safeParse(body);
    if (!parsed.success) {
      const { field, reason } = firstProblem(parsed.error);
      throw new RequestRefused(400, field, reason);
    }
    const input = parsed.data;
    const scenario = input.scenario === undefined ? deps.scenarios.forCalledNumber(undefined) : deps.scenarios.byId(input.scenario);
    if (!scenario) throw new RequestRefused(400, 'scenario', `no such scenario (known: ${deps.scenarios.all.map((s) => s.id).join(', ')})`);
    const account = checkAccountFields(input.bankCode, input.accountNumber);
    if (!account.ok) throw new RequestRefused(400, account.field, account.reason);
    const from = callerIdFor(scenario);
    if (!from) throw new RequestRefused(503, undefined, 'no number to call from: set outbound.callerId in the scenario or OUTBOUND_CALLER_ID');
    const organizationCode = scenario.organization.codes[scenario.organization.serviceType]!;
    const replay = async (db: Pick<pg.Pool, 'query'>) =>
      idempotencyKey === undefined
        ? undefined
        : (await db.query<RequestRow>('SELECT * FROM consent_requests WHERE organization_code = $1 AND idempotency_key = $2', [organizationCode, idempotencyKey])).rows[0];
    const before = await replay(pool);
    if (before) return { row: before, replayed: true };
    const payer = await resolvePayer(input);
    const notBefore = nextCallTime(new Date(), deps.outbound.quietHours);
    const id = randomUUID();
    const code = String(randomInt(10, 100));
    const made = await withTransaction(pool, async (client) => {
      // One organisation's requests are counted under its lock, so the limit holds across processes.
      await client.query('SELECT pg_advisory_xact_lock(7261003, hashtext($1))', [organizationCode]);
      const earlier = await replay(client);
      if (earlier) return { row: earlier, replayed: true };
      const recent = await client.query<{ n: number; oldest: Date | null }>(
        "SELECT count(*)::int AS n, min(created_at) AS oldest FROM consent_requests WHERE organization_code = $1 AND created_at > now() - interval '1 minute'",
        [organizationCode],
      );
      const { n, oldest } = recent.rows[0]!;
      if (n >= deps.outbound.requestsPerMinute) {
        const wait = oldest ? Math.max(1, Math.ceil((oldest.getTime() + 60_000 - Date.now()) / 1000)) : 60;
        throw new RequestRefused(429, undefined, `at most ${deps.outbound.requestsPerMinute} consent requests a minute for organisation ${organizationCode}; try again in ${wait} s`, wait);
      }
      const inserted = await client.query<RequestRow>(
        `INSERT INTO consent_requests (id, organization_code, scenario_id, payer_number, holder_name, birth_date, business_number, phone,
           bank_code, account_number, code, callback_url, not_before, requested_by, idempotency_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING *`,
        [id, organizationCode, scenario.id, payer.payerNumber, payer.name, payer.birthDate, payer.businessNumber ?? null, input.phone,
          account.bankCode, account.accountNumber, code, input.callbackUrl ?? null, notBefore, actor, idempotencyKey ?? null],
      );
      return { row: inserted.rows[0]!, replayed: false };
    });
    if (made.replayed) return made;
    try {
      await deps.queue.send(QUEUES.placeConsentCall, { requestId: id }, { singletonKey: `call-${id}`, startAfter: notBefore });
    } catch (err) {
      await finishRequest(pool, id, { status: 'failed', reason: 'the call could not be queued' });
      throw err;
    }
    log.info({ requestId: id, organizationCode, notBefore: notBefore.toISOString() }, 'consent request queued');
    return made;
  }

  async function consentSummary(consentId: string | null): Promise<ConsentSummary | undefined> {
    if (!consentId) return undefined;
    return (
      await pool.query<ConsentSummary>(
        'SELECT id, status, verification_number, method_code, file_bytes, file_sha256, consented_at FROM consents WHERE id = $1',
        [consentId],
      )
    ).rows[0];
  }

  async function show(id: string): Promise<Record<string, unknown> | undefined> {
    const row = await requestById(pool, id);
    return row ? requestJson(row, await consentSummary(row.consent_id)) : undefined;
  }

  async function finish(id: string, outcome: Parameters<typeof finishRequest>[2]): Promise<void> {
    const row = await finishRequest(pool, id, outcome);
    if (!row) return;
    log.info({ requestId: id, status: outcome.status }, 'consent request finished');
    if (row.callback_url) await deps.queue.send(QUEUES.requestCallback, { requestId: id }, { singletonKey: `callback-${id}` });
  }

  /** The placing job: once, after the quiet hours; Twilio's refusal is an outcome, its outage a retry. */
  async function placeCall(data: { requestId: string }, job: { retryCount: number; retryLimit: number }): Promise<void> {
    const row = await requestById(pool, data.requestId);
    if (!row || row.status !== 'queued' || row.call_sid) return;
    const due = nextCallTime(new Date(), deps.outbound.quietHours);
    if (due.getTime() > Date.now()) {
      await pool.query('UPDATE consent_requests SET not_before = $2, updated_at = now() WHERE id = $1', [row.id, due]);
      await deps.queue.send(QUEUES.placeConsentCall, { requestId: row.id }, { startAfter: due });
      return;
    }
    const claimed = await pool.query('UPDATE consent_requests SET call_attempted_at = now() WHERE id = $1 AND call_attempted_at IS NULL', [row.id]);
    if (!claimed.rowCount) {
      // An earlier run died between asking Twilio and writing down the answer: calling again could ring the payer twice.
      log.error({ requestId: row.id }, 'placing the consent call was interrupted; not retried');
      await finish(row.id, { status: 'failed', reason: 'placing the call was interrupted; not retried so that the payer is not called twice' });
      return;
    }
    const scenario = deps.scenarios.byId(row.scenario_id) ?? deps.scenarios.forCalledNumber(undefined);
    const query = `request=${row.id}`;
    try {
      const callSid = await deps.twilio.createCall({
        to: row.phone,
        from: callerIdFor(scenario)!,
        url: `${deps.publicBaseUrl}/twilio/outbound?${query}`,
        statusCallback: `${deps.publicBaseUrl}/twilio/status?${query}`,
      });
      await pool.query('UPDATE consent_requests SET call_sid = COALESCE(call_sid, $2), updated_at = now() WHERE id = $1', [row.id, callSid]);
    } catch (err) {
      const e = err as { status?: number; code?: number; message: string };
      const refused = typeof e.status === 'number' && e.status >= 400 && e.status < 500 && e.status !== 429;
      if (refused) {
        await finish(row.id, { status: 'failed', reason: `Twilio refused the call: ${e.message}${e.code ? ` (error ${e.code})` : ''}` });
        return;
      }
      await pool.query('UPDATE consent_requests SET call_attempted_at = NULL WHERE id = $1', [row.id]);
      if (job.retryCount >= job.retryLimit) {
        await finish(row.id, { status: 'failed', reason: `Twilio could not be reached: ${e.message}` });
        return;
      }
      log.warn({ requestId: row.id, err: e.message, retry: job.retryCount + 1 }, 'placing the consent call will be retried');
      throw err;
    }
  }

  /** The call ended (or a turn ended it): the request's outcome follows the call's. */
  async function onCallEnded(requestId: string, state: CallState, maxAttempts: number): Promise<void> {
    const o = state.outcome;
    if (!o) return;
    switch (o.kind) {
      case 'consented':
        await advanceRequest(pool, requestId, 'consented');
        return;
      case 'declined':
        return finish(requestId, { status: 'declined', reason: o.reason === 'notHolder' ? 'the payer is not the account holder' : 'the payer declined' });
      case 'failed':
        return finish(requestId, { status: 'failed', reason: `the payer did not key in the right answer in ${maxAttempts} tries` });
      case 'abandoned':
        return finish(requestId, { status: 'failed', reason: 'the payer hung up before answering' });
      default:
        return finish(requestId, { status: 'failed', reason: `the call ended as ${o.kind}` });
    }
  }

  /** Twilio's status callback for a request's call. */
  async function onTwilioStatus(requestId: string, params: Record<string, string | undefined>): Promise<void> {
    const row = await requestById(pool, requestId);
    if (!row) {
      log.warn({ requestId: requestId.slice(0, 40) }, 'status callback for an unknown consent request');
      return;
    }
    const callSid = params.CallSid;
    if (callSid && isSid('CA', callSid) && !row.call_sid) {
      await pool.query('UPDATE consent_requests SET call_sid = COALESCE(call_sid, $2) WHERE id = $1', [row.id, callSid]);
    }
    const status = params.CallStatus ?? '';
    if (status === 'ringing') await advanceRequest(pool, row.id, 'ringing');
    else if (status === 'in-progress' || status === 'answered') await advanceRequest(pool, row.id, 'in-progress');
    else if (FINAL_TWILIO_STATUS[status]) {
      const f = FINAL_TWILIO_STATUS[status]!;
      const code = params.ErrorCode || params.SipResponseCode;
      await finish(row.id, { status: f.status, reason: f.status === 'failed' && code ? `${f.reason} (${params.ErrorCode ? 'error' : 'SIP'} ${code})` : f.reason });
    } else if (status === 'completed') {
      const call = callSid ? (await pool.query<{ state: CallState; scenario_id: string }>('SELECT state, scenario_id FROM calls WHERE call_sid = $1', [callSid])).rows[0] : undefined;
      if (!call?.state.outcome) {
        await finish(row.id, { status: 'failed', reason: 'the call ended before the consent question was answered' });
        return;
      }
      const scenario = deps.scenarios.byId(call.scenario_id) ?? deps.scenarios.forCalledNumber(undefined);
      await onCallEnded(row.id, call.state, scenario.maxAttempts);
    }
  }

  async function requestOfCall(callSid: string): Promise<RequestRow | undefined> {
    return (await pool.query<RequestRow>('SELECT * FROM consent_requests WHERE call_sid = $1', [callSid])).rows[0];
  }

  /** The pipeline made the consent record of a request's call. */
  async function onConsentRecorded(consent: { id: string; call_sid: string; status: string; evidence: { checks: { name: string; ok: boolean; reason: string }[] } }): Promise<void> {
    const row = await requestOfCall(consent.call_sid);
    if (!row) return;
    if (consent.status === 'evidence_failed') {
      const failed = consent.evidence.checks.filter((c) => !c.ok).map((c) => c.reason).join('; ');
      return finish(row.id, { status: 'failed', reason: `the recording did not pass the evidence check: ${failed}`, consentId: consent.id });
    }
    return finish(row.id, { status: 'consented', reason: null, consentId: consent.id });
  }

  /** The payer consented, but the recording could not be turned into evidence. */
  async function onConsentFailed(callSid: string, reason: string): Promise<void> {
    const row = await requestOfCall(callSid);
    if (row) await finish(row.id, { status: 'failed', reason: `the consent was given but its recording failed: ${reason}` });
  }

  /** The secret an organisation's callbacks are signed with: CALLBACK_SECRET, or its own made at first use. */
  async function secretFor(organizationCode: string): Promise<string> {
    if (deps.outbound.callbackSecret) return deps.outbound.callbackSecret;
    await pool.query('INSERT INTO organization_secrets (organization_code, secret) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
      organizationCode, randomBytes(32).toString('base64url'),
    ]);
    return (await pool.query<{ secret: string }>('SELECT secret FROM organization_secrets WHERE organization_code = $1', [organizationCode])).rows[0]!.secret;
  }

  async function deliverCallback(data: { requestId: string }, job: { retryCount: number; retryLimit: number }): Promise<void> {
    const row = await requestById(pool, data.requestId);
    if (!row?.callback_url || !row.finished_at || row.callback_state === 'delivered' || row.callback_state === 'given-up') return;
    const attempt = row.callback_attempts + 1;
    await pool.query('UPDATE consent_requests SET callback_attempts = $2 WHERE id = $1', [row.id, attempt]);
    const body = JSON.stringify({ event: 'consent-request.finished', sentAt: new Date().toISOString(), ...requestJson(row, await consentSummary(row.consent_id)) });
    const signature = createHmac('sha256', await secretFor(row.organization_code)).update(body).digest('hex');
    let problem: string | undefined;
    let httpStatus: number | null = null;
    try {
      const res = await fetch(row.callback_url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'User-Agent': 'ars-consent', 'X-Ars-Signature': `sha256=${signature}`, 'X-Ars-Delivery': `${row.id}.${attempt}` },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(deps.outbound.callbackTimeoutMs),
      });
      httpStatus = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) problem = `the callback URL answered ${res.status}`;
    } catch (err) {
      problem = `the callback URL could not be reached: ${(err as Error).message}`;
    }
    await pool.query('INSERT INTO consent_request_deliveries (request_id, attempt, http_status, error) VALUES ($1, $2, $3, $4)', [row.id, attempt, httpStatus, problem ?? null]);
    if (!problem) {
      await pool.query("UPDATE consent_requests SET callback_state = 'delivered', callback_error = NULL WHERE id = $1", [row.id]);
      return;
    }
    if (job.retryCount >= job.retryLimit) {
      log.error({ requestId: row.id, attempts: attempt, err: problem }, 'CALLBACK GIVEN UP: the completion callback was never acknowledged');
      await pool.query("UPDATE consent_requests SET callback_state = 'given-up', callback_error = $2 WHERE id = $1", [row.id, problem]);
      return;
    }
    await pool.query("UPDATE consent_requests SET callback_state = 'pending', callback_error = $2 WHERE id = $1", [row.id, problem]);
    log.warn({ requestId: row.id, attempt, err: problem }, 'completion callback will be retried');
    throw new Error(problem);
  }

  /** The live details a request's call needs when the payer answers; undefined when it is not to be answered. */
  async function forAnswer(requestId: string, callSid: string) {
    const row = await requestById(pool, requestId);
    if (!row || row.finished_at || (row.call_sid && row.call_sid !== callSid)) return undefined;
    const account = checkAccount(row.bank_code, row.account_number);
    if (!account.ok) return undefined;
    await pool.query('UPDATE consent_requests SET call_sid = COALESCE(call_sid, $2) WHERE id = $1', [row.id, callSid]);
    await advanceRequest(pool, row.id, 'in-progress');
    return {
      requestId: row.id,
      scenarioId: row.scenario_id,
      code: row.code,
      payer: { payerNumber: row.payer_number, name: row.holder_name, birthDate: row.birth_date, phone: row.phone, businessNumber: row.business_number ?? undefined },
      account: { bankCode: account.bankCode, bankName: account.bankName, accountNumber: account.accountNumber },
    };
  }

  return {
    create,
    show,
    placeCall,
    deliverCallback,
    onCallEnded,
    onTwilioStatus,
    onConsentRecorded,
    onConsentFailed,
    forAnswer,
    secretFor,
    async startWorkers(): Promise<void> {
      // Placing a call is a short request to Twilio: several at once.
      await deps.queue.work(QUEUES.placeConsentCall, 4, placeCall);
      await deps.queue.work(QUEUES.requestCallback, 2, deliverCallback);
    },
  };
}

export type ConsentRequests = ReturnType<typeof createConsentRequests>;
