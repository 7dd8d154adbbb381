import { createHmac, randomBytes } from 'node:crypto';
import { open, seal, isSealed } from '../shared/secretBox.js';
import { postCallback } from './callbackTarget.js';
import type { ConsentRequestDeps } from './consentRequests.js';
import { requestJson } from './requests.js';
import * as store from './store.js';

/** The signed completion callback: delivered to a public address only, retried until acknowledged or given up. */

/** The secret an organisation's callbacks are signed with: CALLBACK_SECRET, or its own made at first use (stored encrypted). */
export async function secretFor(deps: ConsentRequestDeps, organizationCode: string): Promise<string> {
  if (deps.outbound.callbackSecret) return deps.outbound.callbackSecret;
  const stored = await store.organizationSecret(deps.pool, organizationCode, () => seal(deps.secretsKey, randomBytes(32).toString('base64url')));
  const secret = open(deps.secretsKey, stored);
  // A secret stored in clear before encryption: sealed now.
  if (!isSealed(stored)) await store.replaceOrganizationSecret(deps.pool, organizationCode, seal(deps.secretsKey, secret), stored);
  return secret;
}

export async function deliverCallback(deps: ConsentRequestDeps, data: { requestId: string }, job: { retryCount: number; retryLimit: number }): Promise<void> {
  const row = await store.requestById(deps.pool, data.requestId);
  if (!row?.callback_url || !row.finished_at || row.callback_state === 'delivered' || row.callback_state === 'given-up') return;
  const attempt = row.callback_attempts + 1;
  await store.countCallbackAttempt(deps.pool, row.id, attempt);
  const body = JSON.stringify({ event: 'consent-request.finished', sentAt: new Date().toISOString(), ...requestJson(row, await store.consentSummary(deps.pool, row.consent_id)) });
  const signature = createHmac('sha256', await secretFor(deps, row.organization_code)).update(body).digest('hex');
  const result = await postCallback(
    row.callback_url,
    body,
    { 'Content-Type': 'application/json', 'User-Agent': 'ars-consent', 'X-Ars-Signature': `sha256=${signature}`, 'X-Ars-Delivery': `${row.id}.${attempt}` },
    deps.callbackPolicy,
    deps.outbound.callbackTimeoutMs,
  );
  // The integration sees only the coarse result: no port-scan oracle.
  const problem = result.ok ? null : result.coarse;
  await store.recordDelivery(deps.pool, { requestId: row.id, attempt, httpStatus: result.status, error: problem });
  if (result.ok) {
    await store.setCallbackState(deps.pool, row.id, 'delivered', null);
    return;
  }
  if (job.retryCount >= job.retryLimit) {
    deps.log.error({ requestId: row.id, attempts: attempt, err: result.detail }, 'CALLBACK GIVEN UP: the completion callback was never acknowledged');
    await store.setCallbackState(deps.pool, row.id, 'given-up', problem);
    return;
  }
  await store.setCallbackState(deps.pool, row.id, 'pending', problem);
  deps.log.warn({ requestId: row.id, attempt, err: result.detail }, 'completion callback will be retried');
  throw new Error(problem!);
}
