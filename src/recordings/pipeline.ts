import { QUEUES } from '../jobs/queue.js';
import { createGroupCommit } from '../shared/groupCommit.js';
import { enqueue, type PipelineDeps } from './deps.js';
import { agentDecided, receiveRecordingCallback } from './intake.js';
import { deleteAtTwilioJob, fetchRecordingJob, notifyPayerJob, processRecordingJob, reconcileJob, type Job } from './jobs.js';
import { sweepLostWork } from './sweep.js';
import { prepareWorkDir } from './workDir.js';

export type { PipelineDeps } from './deps.js';

/**
 * From Twilio's recording status callback to the consent record, as jobs: the callback is stored
 * with its recording and its job in one transaction (intake.ts); `recording-fetch` keeps the WAV
 * master (I/O), `recording-process` makes the consent (CPU; the story is produceConsent.ts); then
 * the registration SMS and the deletion at Twilio, only once a ready consent's master was
 * verified (jobs.ts). A sweep every minute re-drives whatever was lost (sweep.ts).
 */
export function createRecordingPipeline(options: PipelineDeps) {
  const deps: PipelineDeps = { ...options, workDir: options.workDir ?? prepareWorkDir(options.recordingsDir) };
  const { queue } = deps;
  // Consents given at the same moment (a busy line) get their checks queued in one statement.
  const scheduleReconcile = createGroupCommit<{ callSid: string; attempt: number }, void>({
    commit: async (consents) => {
      await enqueue.reconcile(deps, consents.map(({ callSid, attempt }) => ({ callSid, attempt, key: `reconcile-${callSid}`, startAfterSeconds: deps.reconcileAfterSeconds })));
      return consents.map(() => undefined);
    },
    // The check runs RECORDING_RECONCILE_SECONDS later: waiting half a second for other consents
    // costs it nothing and makes one insert of many. Lost with the process meanwhile, the sweep
    // still re-drives the consent (unfinishedConsents).
    lingerMs: 500,
  });
  return {
    onCallback: (params: Record<string, string | undefined>, query: { attempt?: string | undefined; agentConsent?: string | undefined }) =>
      receiveRecordingCallback(deps, params, query),
    agentDecided: (recordingSid: string) => agentDecided(deps, recordingSid),
    sweep: () => sweepLostWork(deps),
    /** After a consent: if no recording callback came by RECORDING_RECONCILE_SECONDS, Twilio is asked. */
    scheduleReconcile: (callSid: string, attempt: number) => scheduleReconcile({ callSid, attempt }),
    /** Inserts the checks still waiting to be scheduled (a stopping process). */
    flushScheduled: () => scheduleReconcile.flush(),
    /** Downloads (I/O) and encoding (CPU) have their own slots: a slow download holds up no encoding. */
    async startWorkers(concurrency: number, fetchConcurrency = 4): Promise<void> {
      await queue.work(QUEUES.fetchRecording, fetchConcurrency, (data, job: Job) => fetchRecordingJob(deps, data, job));
      await queue.work(QUEUES.processRecording, concurrency, (data, job: Job) => processRecordingJob(deps, data, job));
      await queue.work(QUEUES.reconcileRecording, 2, (data) => reconcileJob(deps, data));
      await queue.work(QUEUES.deleteAtTwilio, 1, (data) => deleteAtTwilioJob(deps, data));
      await queue.work(QUEUES.notifyPayer, 1, (data) => notifyPayerJob(deps, data));
      await queue.work(QUEUES.sweepRecordings, 1, async () => void (await sweepLostWork(deps)));
      await queue.schedule(QUEUES.sweepRecordings, '* * * * *');
    },
  };
}

export type RecordingPipeline = ReturnType<typeof createRecordingPipeline>;
