import { silentCalls, unfinishedConsents } from './consentSourcesStore.js';
import { QUEUES } from '../jobs/queue.js';
import { enqueue, type PipelineDeps } from './deps.js';
import { recordingsOfCall, stalledConsentRecordings, touchRecording } from './store.js';

/**
 * recording-sweep, every minute, once however many processes run: consent recordings left pending
 * are queued again; consents given with no consent record after the grace period are re-driven
 * (listed at Twilio when no callback was stored); calls no webhook touched for long are ended.
 * Decided by what matters (is there a consent record), never by "a callback row exists".
 */
async function hasUnfinishedJob(deps: PipelineDeps, recordingSid: string): Promise<boolean> {
  return (await deps.queue.hasUnfinished(QUEUES.fetchRecording, recordingSid)) || (await deps.queue.hasUnfinished(QUEUES.processRecording, recordingSid));
}

export async function sweepLostWork(deps: PipelineDeps): Promise<{ requeued: number; reconciled: number; ended: number }> {
  const graceSeconds = deps.sweepGraceSeconds ?? 120;
  let requeued = 0;
  let reconciled = 0;
  let ended = 0;
  for (const rec of await stalledConsentRecordings(deps.pool, graceSeconds)) {
    // Waiting for a retry (backoff up to 10 minutes) or running is not lost: a second job would
    // race the first for the same recording.
    if (await hasUnfinishedJob(deps, rec.recordingSid)) continue;
    await touchRecording(deps.pool, rec.recordingSid);
    await enqueue.fetch(deps, deps.pool, rec.recordingSid);
    requeued++;
  }
  for (const c of await unfinishedConsents(deps.pool, graceSeconds)) {
    const pending = (await recordingsOfCall(deps.pool, c.callSid)).filter((r) => r.pipeline === 'pending' && r.purpose === 'consent');
    if (pending.length) continue; // re-queued above, or still within its grace
    // Its own key: the reconcile scheduled at the consent may still be waiting (RECORDING_RECONCILE_SECONDS).
    await enqueue.reconcile(deps, [{ callSid: c.callSid, attempt: c.attempt, key: `sweep-${c.callSid}` }]);
    reconciled++;
  }
  if (deps.endSilentCall) {
    for (const callSid of await silentCalls(deps.pool, deps.silentCallSeconds ?? 4 * 3600)) {
      await deps.endSilentCall(callSid);
      ended++;
    }
  }
  if (requeued || reconciled || ended) deps.log.warn({ requeued, reconciled, ended }, 'recording sweep re-drove lost work');
  return { requeued, reconciled, ended };
}
