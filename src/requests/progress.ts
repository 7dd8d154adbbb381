import { checkAccount } from '../kftc/institutions.js';
import { getCall } from '../calls/store.js';
import { QUEUES } from '../jobs/queue.js';
import type { CallState } from '../scenario/engine.js';
import { isSid } from '../telephony/sids.js';
import { callerIdFor } from './createRequest.js';
import type { ConsentRequestDeps } from './consentRequests.js';
import { nextCallTime } from './requests.js';
import * as store from './store.js';

/** A request's call: placing it (a job), following Twilio's statuses, and the outcome it ends with. */

const FINAL_TWILIO_STATUS: Record<string, { status: 'busy' | 'no-answer' | 'failed'; reason: string }> = {
  busy: { status: 'busy', reason: 'the line was busy' },
  'no-answer': { status: 'no-answer', reason: 'the payer did not answer' },
  failed: { status: 'failed', reason: 'Twilio could not place the call' },
  canceled: { status: 'failed', reason: 'the call was canceled' },
};

/** Ends a request (once) and queues its completion callback. */
export async function finish(deps: ConsentRequestDeps, id: string, outcome: store.RequestOutcome): Promise<void> {
  const row = await store.finishRequest(deps.pool, id, outcome);
  if (!row) return;
  deps.log.info({ requestId: id, status: outcome.status }, 'consent request finished');
  if (row.callback_url) await deps.queue.send(QUEUES.requestCallback, { requestId: id }, { singletonKey: `callback-${id}` });
}

/** The placing job: once, after the quiet hours; Twilio's refusal is an outcome, its outage a retry. */
export async function placeCall(deps: ConsentRequestDeps, data: { requestId: string }, job: { retryCount: number; retryLimit: number }): Promise<void> {
  const row = await store.requestById(deps.pool, data.requestId);
  if (!row || row.status !== 'queued' || row.call_sid) return;
  const due = nextCallTime(new Date(), deps.outbound.quietHours);
  if (due.getTime() > Date.now()) {
    await store.setNotBefore(deps.pool, row.id, due);
    await deps.queue.send(QUEUES.placeConsentCall, { requestId: row.id }, { startAfter: due });
    return;
  }
  if (!(await store.claimCallAttempt(deps.pool, row.id))) {
    // An earlier run died between asking Twilio and writing down the answer: calling again could ring the payer twice.
    deps.log.error({ requestId: row.id }, 'placing the consent call was interrupted; not retried');
    await finish(deps, row.id, { status: 'failed', reason: 'placing the call was interrupted; not retried so that the payer is not called twice' });
    return;
  }
  const scenario = deps.scenarios.byId(row.scenario_id) ?? deps.scenarios.forCalledNumber(undefined);
  const query = `request=${row.id}`;
  try {
    const callSid = await deps.twilio.createCall({
      to: row.phone,
      from: callerIdFor(deps, scenario)!,
      url: `${deps.publicBaseUrl}/twilio/outbound?${query}`,
      statusCallback: `${deps.publicBaseUrl}/twilio/status?${query}`,
    });
    await store.setCallSid(deps.pool, row.id, callSid);
  } catch (err) {
    const e = err as { status?: number; code?: number; message: string };
    const refused = typeof e.status === 'number' && e.status >= 400 && e.status < 500 && e.status !== 429;
    if (refused) {
      await finish(deps, row.id, { status: 'failed', reason: `Twilio refused the call: ${e.message}${e.code ? ` (error ${e.code})` : ''}` });
      return;
    }
    await store.releaseCallAttempt(deps.pool, row.id);
    if (job.retryCount >= job.retryLimit) {
      await finish(deps, row.id, { status: 'failed', reason: `Twilio could not be reached: ${e.message}` });
      return;
    }
    deps.log.warn({ requestId: row.id, err: e.message, retry: job.retryCount + 1 }, 'placing the consent call will be retried');
    throw err;
  }
}

/** The call ended (or a turn ended it): the request's outcome follows the call's. */
export async function onCallEnded(deps: ConsentRequestDeps, requestId: string, state: CallState, maxAttempts: number): Promise<void> {
  const o = state.outcome;
  if (!o) return;
  switch (o.kind) {
    case 'consented':
      await store.advanceRequest(deps.pool, requestId, 'consented');
      return;
    case 'declined':
      return finish(deps, requestId, { status: 'declined', reason: o.reason === 'notHolder' ? 'the payer is not the account holder' : 'the payer declined' });
    case 'failed':
      return finish(deps, requestId, { status: 'failed', reason: `the payer did not key in the right answer in ${maxAttempts} tries` });
    case 'abandoned':
      return finish(deps, requestId, { status: 'failed', reason: 'the payer hung up before answering' });
    default:
      return finish(deps, requestId, { status: 'failed', reason: `the call ended as ${o.kind}` });
  }
}

/** Twilio's status callback for a request's call. */
export async function onTwilioStatus(deps: ConsentRequestDeps, requestId: string, params: Record<string, string | undefined>): Promise<void> {
  const row = await store.requestById(deps.pool, requestId);
  if (!row) {
    deps.log.warn({ requestId: requestId.slice(0, 40) }, 'status callback for an unknown consent request');
    return;
  }
  const callSid = params.CallSid;
  if (callSid && isSid('CA', callSid) && !row.call_sid) await store.setCallSid(deps.pool, row.id, callSid);
  const status = params.CallStatus ?? '';
  if (status === 'ringing') await store.advanceRequest(deps.pool, row.id, 'ringing');
  else if (status === 'in-progress' || status === 'answered') await store.advanceRequest(deps.pool, row.id, 'in-progress');
  else if (FINAL_TWILIO_STATUS[status]) {
    const f = FINAL_TWILIO_STATUS[status]!;
    const code = params.ErrorCode || params.SipResponseCode;
    await finish(deps, row.id, { status: f.status, reason: f.status === 'failed' && code ? `${f.reason} (${params.ErrorCode ? 'error' : 'SIP'} ${code})` : f.reason });
  } else if (status === 'completed') {
    const call = callSid ? await getCall(deps.pool, callSid) : undefined;
    if (!call?.state.outcome) {
      await finish(deps, row.id, { status: 'failed', reason: 'the call ended before the consent question was answered' });
      return;
    }
    const scenario = deps.scenarios.byId(call.scenarioId) ?? deps.scenarios.forCalledNumber(undefined);
    await onCallEnded(deps, row.id, call.state, scenario.maxAttempts);
  }
}

/** The pipeline made the consent record of a request's call. */
export async function onConsentRecorded(
  deps: ConsentRequestDeps,
  consent: { id: string; callSid: string; status: string; evidence: { checks: { name: string; ok: boolean; reason: string }[] } },
): Promise<void> {
  const row = await store.requestByCallSid(deps.pool, consent.callSid);
  if (!row) return;
  if (consent.status === 'evidence_failed') {
    const failed = consent.evidence.checks.filter((c) => !c.ok).map((c) => c.reason).join('; ');
    return finish(deps, row.id, { status: 'failed', reason: `the recording did not pass the evidence check: ${failed}`, consentId: consent.id });
  }
  return finish(deps, row.id, { status: 'consented', reason: null, consentId: consent.id });
}

/** The payer consented, but the recording could not be turned into evidence. */
export async function onConsentFailed(deps: ConsentRequestDeps, callSid: string, reason: string): Promise<void> {
  const row = await store.requestByCallSid(deps.pool, callSid);
  if (row) await finish(deps, row.id, { status: 'failed', reason: `the consent was given but its recording failed: ${reason}` });
}

/** The live details a request's call needs when the payer answers; undefined when it is not to be answered. */
export async function forAnswer(deps: ConsentRequestDeps, requestId: string, callSid: string) {
  const row = await store.requestById(deps.pool, requestId);
  if (!row || row.finished_at || (row.call_sid && row.call_sid !== callSid)) return undefined;
  const account = checkAccount(row.bank_code, row.account_number);
  if (!account.ok) return undefined;
  await store.setCallSid(deps.pool, row.id, callSid);
  await store.advanceRequest(deps.pool, row.id, 'in-progress');
  return {
    requestId: row.id,
    scenarioId: row.scenario_id,
    code: row.code,
    payer: { payerNumber: row.payer_number, name: row.holder_name, birthDate: row.birth_date, phone: row.phone, businessNumber: row.business_number ?? undefined },
    account: { bankCode: account.bankCode, bankName: account.bankName, accountNumber: account.accountNumber },
  };
}
