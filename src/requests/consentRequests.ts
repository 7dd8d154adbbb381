import type pg from 'pg';
import type { Logger } from '../log.js';
import type { CallState } from '../scenario/engine.js';
import type { ScenarioSet } from '../scenario/loader.js';
import type { TwilioRest } from '../telephony/rest.js';
import { QUEUES, type JobQueue } from '../jobs/queue.js';
import type { Config } from '../config.js';
import type { CallbackPolicy } from './callbackTarget.js';
import { createConsentRequest, type Requester } from './createRequest.js';
import { deliverCallback, secretFor } from './delivery.js';
import { finish, forAnswer, onCallEnded, onConsentFailed, onConsentRecorded, onTwilioStatus, placeCall } from './progress.js';
import { requestJson, type RequestRow } from './requests.js';
import * as store from './store.js';

/**
 * Outbound ARS consent requests, end to end: make a request (createRequest.ts), place its call and
 * follow it (progress.ts), deliver the signed completion callback (delivery.ts). Every step is a
 * durable job; this module only wires them to their dependencies.
 */

export type ConsentRequestDeps = {
  pool: pg.Pool;
  queue: JobQueue;
  twilio: TwilioRest;
  scenarios: ScenarioSet;
  log: Logger;
  publicBaseUrl: string;
  outbound: Config['outbound'];
  callbackPolicy: CallbackPolicy;
  /** Encrypts the organisations' callback secrets at rest. */
  secretsKey: Buffer;
  logAccess: (entry: { actor: string; action: string; target: string; remote: string | undefined; detail?: Record<string, unknown> }) => Promise<void>;
};

export function createConsentRequests(deps: ConsentRequestDeps) {
  /** The request as the API shows it; undefined when unknown or (for an organisation's user) another organisation's. */
  async function show(id: string, viewer?: { organizationCode: string | undefined }): Promise<Record<string, unknown> | undefined> {
    const row = await store.requestById(deps.pool, id);
    if (!row) return undefined;
    if (viewer?.organizationCode !== undefined && row.organization_code !== viewer.organizationCode) return undefined;
    return requestJson(row, await store.consentSummary(deps.pool, row.consent_id));
  }

  return {
    create: (requester: Requester, body: unknown, idempotencyKey?: string): Promise<{ row: RequestRow; replayed: boolean }> =>
      createConsentRequest(deps, requester, body, idempotencyKey),
    show,
    finish: (id: string, outcome: store.RequestOutcome) => finish(deps, id, outcome),
    placeCall: (data: { requestId: string }, job: { retryCount: number; retryLimit: number }) => placeCall(deps, data, job),
    deliverCallback: (data: { requestId: string }, job: { retryCount: number; retryLimit: number }) => deliverCallback(deps, data, job),
    onCallEnded: (requestId: string, state: CallState, maxAttempts: number) => onCallEnded(deps, requestId, state, maxAttempts),
    onTwilioStatus: (requestId: string, params: Record<string, string | undefined>) => onTwilioStatus(deps, requestId, params),
    onConsentRecorded: (consent: Parameters<typeof onConsentRecorded>[1]) => onConsentRecorded(deps, consent),
    onConsentFailed: (callSid: string, reason: string) => onConsentFailed(deps, callSid, reason),
    forAnswer: (requestId: string, callSid: string) => forAnswer(deps, requestId, callSid),
    secretFor: (organizationCode: string) => secretFor(deps, organizationCode),
    async startWorkers(): Promise<void> {
      // Placing a call is a short request to Twilio: several at once.
      await deps.queue.work(QUEUES.placeConsentCall, 4, (data: { requestId: string }, job) => placeCall(deps, data, job));
      await deps.queue.work(QUEUES.requestCallback, 2, (data: { requestId: string }, job) => deliverCallback(deps, data, job));
    },
  };
}

export type ConsentRequests = ReturnType<typeof createConsentRequests>;
