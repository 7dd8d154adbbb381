import { withTransaction, type Db } from '../db/database.js';
import { faultPoint } from '../shared/faults.js';
import { parseRecordingCallback } from './callback.js';
import { agentConsentByRecording, agentConsentOfCallback, setAgentRecording } from '../agent/store.js';
import { hasUsableConsent } from './consentSourcesStore.js';
import { agentPurpose, consentAttemptOf } from './consentSubject.js';
import { enqueue, type PipelineDeps } from './deps.js';
import { insertCallback, markPipeline, recordingBySid, setPurpose, upsertRecording, type Recording, type RecordingPurpose } from './store.js';

/**
 * A recording arriving: Twilio's callback stored with the recording's row and its job in one
 * transaction, and an agent's answer meeting the recording it belongs to.
 */

/** What a terminal recording calls for, decided in the transaction; done after it commits. */
type Next = { kind: 'none' } | { kind: 'consent-without-recording'; callSid: string; recordingSid: string; status: string; errorCode: string | null };

const twilioSaid = (rec: { status: string; errorCode: string | null }) => `Twilio reported the recording as ${rec.status}${rec.errorCode ? ` (error ${rec.errorCode})` : ''}`;

/** Hands a terminal recording on by its purpose: the consent's work, or a skip (deleted at Twilio). */
async function handOn(deps: PipelineDeps, tx: Db, rec: Recording, purpose: RecordingPurpose): Promise<Next> {
  if (rec.pipeline !== 'pending') return { kind: 'none' };
  if (rec.status !== 'completed') {
    if (purpose === 'consent') {
      await markPipeline(tx, rec.recordingSid, 'failed', twilioSaid(rec));
      return { kind: 'consent-without-recording', callSid: rec.callSid, recordingSid: rec.recordingSid, status: rec.status, errorCode: rec.errorCode };
    }
    await markPipeline(tx, rec.recordingSid, 'skipped', twilioSaid(rec));
    return { kind: 'none' };
  }
  if (purpose === 'consent') {
    await enqueue.fetch(deps, tx, rec.recordingSid);
    return { kind: 'none' };
  }
  // Not evidence (R3): a readback the payer said no to, a call without consent, an agent's declined part.
  await markPipeline(tx, rec.recordingSid, 'skipped', 'not the consent part of the call');
  if (deps.deleteAtTwilio) await enqueue.deleteAtTwilio(deps, tx, rec.recordingSid);
  return { kind: 'none' };
}

async function afterCommit(deps: PipelineDeps, next: Next): Promise<void> {
  if (next.kind !== 'consent-without-recording') return;
  deps.log.error({ callSid: next.callSid, recordingSid: next.recordingSid, status: next.status, errorCode: next.errorCode }, 'CONSENT WITHOUT RECORDING: Twilio reports the consent recording as ' + next.status);
  await deps.onConsentFailed?.(next.callSid, twilioSaid(next));
}

/** Which part of the call a recording is: the consent's, not, or not known until the agent answers. */
async function purposeOf(tx: Db, cb: { recordingSid: string; callSid: string; attempt: number | null }, agentConsentParam: string | undefined): Promise<RecordingPurpose> {
  const agent = await agentConsentOfCallback(tx, agentConsentParam, cb.recordingSid, cb.callSid);
  if (agent) {
    if (!agent.recordingSid) await setAgentRecording(tx, agent.id, cb.recordingSid);
    return agentPurpose(agent.state);
  }
  const consentAttempt = await consentAttemptOf(tx, cb.callSid);
  return consentAttempt === undefined ? 'not-consent' : cb.attempt === null || cb.attempt === consentAttempt ? 'consent' : 'not-consent';
}

/**
 * POST /twilio/recording: the callback's row, the recording's row and its job in one transaction.
 * A repeat re-queues the work while no consent stands (idempotently); after a ready consent a
 * late callback changes nothing. Throws when it could not be stored (the route answers 5xx).
 */
export async function receiveRecordingCallback(
  deps: PipelineDeps,
  params: Record<string, string | undefined>,
  query: { attempt?: string | undefined; agentConsent?: string | undefined },
): Promise<void> {
  const parsed = parseRecordingCallback(params, query);
  if (!parsed.ok) {
    deps.log.warn({ recordingSid: (params.RecordingSid ?? '').slice(0, 40), status: (params.RecordingStatus ?? '').slice(0, 20) }, parsed.why);
    return;
  }
  const cb = parsed.callback;
  const next = await withTransaction(deps.pool, async (tx): Promise<Next> => {
    const fresh = await insertCallback(tx, cb);
    faultPoint('after-callback-row');
    if (await hasUsableConsent(tx, cb.recordingSid)) {
      deps.log.info({ recordingSid: cb.recordingSid, status: cb.status }, 'recording callback after its consent: nothing to do');
      return { kind: 'none' };
    }
    if (!fresh) deps.log.info({ recordingSid: cb.recordingSid, status: cb.status }, 'repeated recording callback: the work is queued again');
    const purpose = await purposeOf(tx, cb, query.agentConsent);
    const rec = await upsertRecording(tx, cb, purpose);
    faultPoint('after-recording-row');
    if (rec.status === 'in-progress' || purpose === 'awaiting-agent') return { kind: 'none' };
    const next = await handOn(deps, tx, rec, purpose);
    faultPoint('after-job');
    return next;
  });
  await afterCommit(deps, next);
}

/**
 * An agent's recording and the agent's answer arrive in either order; each side writes, then reads
 * the other, so whichever comes second hands the recording on.
 */
export async function agentDecided(deps: PipelineDeps, recordingSid: string): Promise<void> {
  const next = await withTransaction(deps.pool, async (tx): Promise<Next> => {
    const rec = await recordingBySid(tx, recordingSid);
    const agent = await agentConsentByRecording(tx, recordingSid);
    if (!rec || !agent || rec.pipeline !== 'pending' || rec.status === 'in-progress') return { kind: 'none' };
    const purpose = agentPurpose(agent.state);
    if (purpose === 'awaiting-agent') return { kind: 'none' };
    await setPurpose(tx, recordingSid, purpose);
    return handOn(deps, tx, rec, purpose);
  });
  await afterCommit(deps, next);
}
