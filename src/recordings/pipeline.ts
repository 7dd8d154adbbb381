import type pg from 'pg';
import type { Encoder } from '../audio/budget.js';
import { consentById, type ConsentRow } from '../consents/consents.js';
import { withTransaction, type Db } from '../db/database.js';
import { QUEUES, type JobQueue } from '../jobs/queue.js';
import type { Logger } from '../log.js';
import type { ScenarioSet } from '../scenario/loader.js';
import { DiskFullError, sha256File } from '../shared/files.js';
import { faultPoint } from '../shared/faults.js';
import { MediaError, type MediaOptions } from '../telephony/media.js';
import type { TwilioRest, TwilioSettings } from '../telephony/rest.js';
import { parseRecordingCallback } from './callback.js';
import {
  agentConsentByRecording, agentConsentOfCallback, attachRecordingToAgentConsent, claimNotification, hasUsableConsent, releaseNotification,
  silentCalls, unfinishedConsents,
} from './consentSourcesStore.js';
import { agentPurpose, consentAttemptOf } from './consentSubject.js';
import { fetchEvidenceMaster, storedMaster } from './evidenceMaster.js';
import { PermanentFailure, produceConsentFromRecording } from './produceConsent.js';
import { registrationSmsText } from './registrationSms.js';
import { prepareWorkDir } from './workDir.js';
import {
  insertCallback, markDeletedAtTwilio, markPipeline, recordingBySid, recordingsOfCall, setPurpose, stalledConsentRecordings, touchRecording,
  upsertRecording, type Recording, type RecordingPurpose,
} from './store.js';

/**
 * From Twilio's recording status callback to the consent record, as jobs: the callback is stored
 * with its recording and its job in one transaction; `recording-fetch` keeps the WAV master
 * (I/O), `recording-process` makes the consent (CPU: the story is produceConsent.ts); then the
 * registration SMS and the deletion at Twilio, which happens only once a ready consent's master
 * was verified. A sweep every minute re-drives whatever was lost. Every step is idempotent.
 */

export type PipelineDeps = {
  pool: pg.Pool;
  queue: JobQueue;
  twilio: TwilioRest;
  twilioSettings: TwilioSettings;
  scenarios: ScenarioSet;
  log: Logger;
  recordingsDir: string;
  payerChannel: 1 | 2;
  deleteAtTwilio: boolean;
  encoder: () => Encoder;
  media: MediaOptions;
  reconcileAfterSeconds: number;
  /** How long a consent may go without its consent record before the sweep re-drives it. */
  sweepGraceSeconds?: number;
  /** A call no webhook touched for this long is taken as ended (its status callback was lost). */
  silentCallSeconds?: number;
  /** Ends a call whose status callback was lost (the call service's hang-up). */
  endSilentCall?: (callSid: string) => Promise<void>;
  /** After a consent record is stored (ready or evidence_failed): consent requests follow it. */
  onConsentRecorded?: (consent: ConsentRow) => Promise<void>;
  /** A consent was given but its recording could not be made evidence. */
  onConsentFailed?: (callSid: string, reason: string) => Promise<void>;
};

type Job = { retryCount: number; retryLimit: number };

/** Errors that never become a permanent failure: the work waits (and the sweep resumes it). */
const waitsForSpace = (err: unknown) => err instanceof DiskFullError;

export function createRecordingPipeline(deps: PipelineDeps) {
  const { pool, log, queue } = deps;
  const graceSeconds = deps.sweepGraceSeconds ?? 120;
  const produceDeps = { ...deps, workDir: prepareWorkDir(deps.recordingsDir) };

  const fetchJob = (db: Db, recordingSid: string) => queue.send(QUEUES.fetchRecording, { recordingSid }, { singletonKey: recordingSid, db });
  const processJob = (db: Db, recordingSid: string) => queue.send(QUEUES.processRecording, { recordingSid }, { singletonKey: recordingSid, db });
  const deleteJob = (db: Db, recordingSid: string) => queue.send(QUEUES.deleteAtTwilio, { recordingSid }, { singletonKey: `delete-${recordingSid}`, db });

  /** What a terminal recording calls for, decided in the callback's transaction; done after it commits. */
  type Next = { kind: 'none' } | { kind: 'consent-without-recording'; callSid: string; recordingSid: string; status: string; errorCode: string | null };

  /** Hands a terminal recording on by its purpose: the consent's work, or a skip (deleted at Twilio). */
  async function handOn(tx: Db, rec: Recording, purpose: RecordingPurpose): Promise<Next> {
    if (rec.pipeline !== 'pending') return { kind: 'none' };
    if (rec.status !== 'completed') {
      if (purpose === 'consent') {
        await markPipeline(tx, rec.recordingSid, 'failed', `Twilio reported the recording as ${rec.status}${rec.errorCode ? ` (error ${rec.errorCode})` : ''}`);
        return { kind: 'consent-without-recording', callSid: rec.callSid, recordingSid: rec.recordingSid, status: rec.status, errorCode: rec.errorCode };
      }
      await markPipeline(tx, rec.recordingSid, 'skipped', `Twilio reported the recording as ${rec.status}`);
      return { kind: 'none' };
    }
    if (purpose === 'consent') {
      await fetchJob(tx, rec.recordingSid);
      return { kind: 'none' };
    }
    // Not evidence (R3): a readback the payer said no to, a call without consent, an agent's declined part.
    await markPipeline(tx, rec.recordingSid, 'skipped', 'not the consent part of the call');
    if (deps.deleteAtTwilio) await deleteJob(tx, rec.recordingSid);
    return { kind: 'none' };
  }

  async function afterCommit(next: Next): Promise<void> {
    if (next.kind !== 'consent-without-recording') return;
    log.error({ callSid: next.callSid, recordingSid: next.recordingSid, status: next.status, errorCode: next.errorCode }, 'CONSENT WITHOUT RECORDING: Twilio reports the consent recording as ' + next.status);
    await deps.onConsentFailed?.(next.callSid, `Twilio reported the recording as ${next.status}${next.errorCode ? ` (error ${next.errorCode})` : ''}`);
  }

  /**
   * POST /twilio/recording: the callback's row, the recording's row and its job in one transaction.
   * A repeat re-queues the work while no consent stands (idempotently); after a ready consent a
   * late callback changes nothing. Throws when it could not be stored (the route answers 5xx).
   */
  async function onCallback(params: Record<string, string | undefined>, query: { attempt?: string | undefined; agentConsent?: string | undefined }): Promise<void> {
    const parsed = parseRecordingCallback(params, query);
    if (!parsed.ok) {
      log.warn({ recordingSid: (params.RecordingSid ?? '').slice(0, 40), status: (params.RecordingStatus ?? '').slice(0, 20) }, parsed.why);
      return;
    }
    const cb = parsed.callback;
    const next = await withTransaction(pool, async (tx): Promise<Next> => {
      const fresh = await insertCallback(tx, cb);
      faultPoint('after-callback-row');
      if (await hasUsableConsent(tx, cb.recordingSid)) {
        log.info({ recordingSid: cb.recordingSid, status: cb.status }, 'recording callback after its consent: nothing to do');
        return { kind: 'none' };
      }
      if (!fresh) log.info({ recordingSid: cb.recordingSid, status: cb.status }, 'repeated recording callback: the work is queued again');
      const agent = await agentConsentOfCallback(tx, query.agentConsent, cb.recordingSid, cb.callSid);
      let purpose: RecordingPurpose;
      if (agent) {
        purpose = agentPurpose(agent.state) === 'consent' ? 'consent' : agentPurpose(agent.state) === 'awaiting-agent' ? 'unknown' : 'not-consent';
        if (!agent.recordingSid) await attachRecordingToAgentConsent(tx, agent.id, cb.recordingSid);
      } else {
        const consentAttempt = await consentAttemptOf(tx, cb.callSid);
        purpose = consentAttempt === undefined ? 'not-consent' : cb.attempt === null || cb.attempt === consentAttempt ? 'consent' : 'not-consent';
      }
      const rec = await upsertRecording(tx, cb, purpose);
      faultPoint('after-recording-row');
      if (rec.status === 'in-progress' || purpose === 'unknown') return { kind: 'none' };
      const next = await handOn(tx, rec, purpose);
      faultPoint('after-job');
      return next;
    });
    await afterCommit(next);
  }

  /**
   * An agent's recording and the agent's answer arrive in either order; each side writes, then reads
   * the other, so whichever comes second hands the recording on.
   */
  async function agentDecided(recordingSid: string): Promise<void> {
    const next = await withTransaction(pool, async (tx): Promise<Next> => {
      const rec = await recordingBySid(tx, recordingSid);
      const agent = await agentConsentByRecording(tx, recordingSid);
      if (!rec || !agent || rec.pipeline !== 'pending' || rec.status === 'in-progress') return { kind: 'none' };
      const purpose = agentPurpose(agent.state);
      if (purpose === 'awaiting-agent') return { kind: 'none' };
      await setPurpose(tx, recordingSid, purpose);
      return handOn(tx, rec, purpose);
    });
    await afterCommit(next);
  }

  /** A job that cannot go on: permanent, or out of retries (a full disk only waits). */
  async function failedForGood(rec: Recording, err: unknown, job: Job): Promise<boolean> {
    const permanent = err instanceof PermanentFailure || (err instanceof MediaError && !err.retryable);
    if (waitsForSpace(err)) {
      log.error({ recordingSid: rec.recordingSid, err: (err as Error).message }, 'DISK FULL: the consent recording waits for space');
      await markPipeline(pool, rec.recordingSid, 'pending', (err as Error).message);
      return false;
    }
    if (!permanent && job.retryCount < job.retryLimit) {
      log.warn({ recordingSid: rec.recordingSid, err: (err as Error).message, retry: job.retryCount + 1 }, 'recording pipeline will retry');
      await markPipeline(pool, rec.recordingSid, 'pending', (err as Error).message);
      return false;
    }
    const message = (err as Error).message;
    log.error({ recordingSid: rec.recordingSid, callSid: rec.callSid, err: message }, 'CONSENT RECORDING FAILED: the pipeline gave up (the recording is kept at Twilio)');
    await markPipeline(pool, rec.recordingSid, 'failed', message);
    await deps.onConsentFailed?.(rec.callSid, message);
    return true;
  }

  /** recording-fetch: keep the WAV master, then hand the recording to the encoder. I/O only. */
  async function fetchRecording(data: { recordingSid: string }, job: Job): Promise<void> {
    const rec = await recordingBySid(pool, data.recordingSid);
    if (!rec || rec.pipeline !== 'pending') return;
    if (!(await storedMaster(rec))) {
      try {
        await fetchEvidenceMaster({ db: pool, log, twilioSettings: deps.twilioSettings, media: deps.media, recordingsDir: deps.recordingsDir }, rec, {
          lastTry: job.retryCount >= job.retryLimit,
        });
      } catch (err) {
        if (await failedForGood(rec, err, job)) return;
        throw err;
      }
    }
    await processJob(pool, rec.recordingSid);
  }

  /** recording-process: the consent from the kept master (CPU), then its follow-ups. */
  async function processRecording(data: { recordingSid: string }, job: Job): Promise<void> {
    const rec = await recordingBySid(pool, data.recordingSid);
    if (!rec) return;
    try {
      const produced = await produceConsentFromRecording(produceDeps, rec);
      if (produced.kind === 'needs-master') return void (await fetchJob(pool, rec.recordingSid));
      if (produced.kind === 'not-evidence') return void (await markPipeline(pool, rec.recordingSid, 'skipped', produced.why));
      await deps.onConsentRecorded?.(produced.consent);
      await followUps(produced.consent);
    } catch (err) {
      if (await failedForGood(rec, err, job)) return;
      throw err;
    }
  }

  async function followUps(consent: ConsentRow): Promise<void> {
    if (consent.status !== 'ready') return; // evidence_failed: the recording stays at Twilio
    if (!consent.phone) log.warn({ consentId: consent.id }, 'no phone on file: no registration SMS');
    else await queue.send(QUEUES.notifyPayer, { consentId: consent.id }, { singletonKey: `notify-${consent.id}` });
    if (deps.deleteAtTwilio) await deleteJob(pool, consent.recording_sid);
  }

  /**
   * Asks Twilio for a consented call's recordings and handles each as its callback; an agent's
   * consent or a call whose recording is already known is re-queued instead.
   */
  async function reconcile(data: { callSid: string; attempt: number }): Promise<void> {
    const known = (await recordingsOfCall(pool, data.callSid)).filter((r) => r.status !== 'in-progress');
    const pending = known.filter((r) => r.pipeline === 'pending' && r.purpose === 'consent');
    for (const rec of pending) await fetchJob(pool, rec.recordingSid);
    if (known.some((r) => r.purpose === 'consent' || r.purpose === 'unknown')) return;
    log.warn({ callSid: data.callSid }, 'no recording callback for a consent call: asking Twilio for its recordings');
    const found = await deps.twilio.listCallRecordings(data.callSid);
    if (found.length === 0) {
      log.error({ callSid: data.callSid }, 'CONSENT WITHOUT RECORDING: Twilio lists no recording for the call');
      return;
    }
    for (const params of found) await onCallback(params, { attempt: found.length === 1 ? String(data.attempt) : undefined });
  }

  /** Deletes the recording at Twilio: never before a ready consent whose local master matches its hash (or a recording that is not evidence). */
  async function deleteAtTwilio(data: { recordingSid: string }): Promise<void> {
    const rec = await recordingBySid(pool, data.recordingSid);
    if (!rec || rec.deletedAtTwilio) return;
    if (rec.pipeline !== 'skipped') {
      if (!(await hasUsableConsent(pool, rec.recordingSid))) {
        log.warn({ recordingSid: rec.recordingSid }, 'not deleting at Twilio: no ready consent for the recording');
        return;
      }
      if (!rec.masterPath || !rec.masterSha256 || (await sha256File(rec.masterPath).catch(() => undefined)) !== rec.masterSha256) {
        log.error({ recordingSid: rec.recordingSid }, 'not deleting at Twilio: the local master is missing or does not match its hash');
        return;
      }
    }
    await deps.twilio.deleteRecording(rec.recordingSid);
    await markDeletedAtTwilio(pool, rec.recordingSid);
  }

  /** The registration SMS, at most once: claimed first, released when the send fails. */
  async function notifyPayer(data: { consentId: string }): Promise<void> {
    const consent = await consentById(pool, data.consentId);
    if (!consent || consent.notified_at || !consent.phone || consent.status === 'evidence_failed') return;
    if (!deps.twilioSettings.smsFrom) {
      log.warn({ consentId: consent.id }, 'no SMS sender configured (TWILIO_SMS_FROM): the registration SMS was not sent');
      return;
    }
    if (!(await claimNotification(pool, consent.id))) return;
    const text = registrationSmsText({ organizationName: consent.organization_name, accountNumber: consent.account_number, verificationNumber: consent.verification_number });
    try {
      await deps.twilio.sendSms(consent.phone, text);
    } catch (err) {
      await releaseNotification(pool, consent.id);
      throw err;
    }
    faultPoint('after-sms');
  }

  /**
   * Every minute, once however many processes run: consents given with no consent record after
   * the grace period are re-driven (their recording re-queued, or listed at Twilio), and calls
   * that no webhook touched for long are ended.
   */
  async function sweep(): Promise<{ requeued: number; reconciled: number; ended: number }> {
    let requeued = 0;
    let reconciled = 0;
    let ended = 0;
    for (const rec of await stalledConsentRecordings(pool, graceSeconds)) {
      await touchRecording(pool, rec.recordingSid);
      await fetchJob(pool, rec.recordingSid);
      requeued++;
    }
    for (const c of await unfinishedConsents(pool, graceSeconds)) {
      const known = (await recordingsOfCall(pool, c.callSid)).filter((r) => r.pipeline === 'pending' && r.purpose === 'consent');
      if (known.length) continue; // re-queued above, or still within its grace
      // Its own key: the reconcile scheduled at the consent may still be waiting (RECORDING_RECONCILE_SECONDS).
      await queue.send(QUEUES.reconcileRecording, { callSid: c.callSid, attempt: c.attempt }, { singletonKey: `sweep-${c.callSid}` });
      reconciled++;
    }
    if (deps.endSilentCall) {
      for (const callSid of await silentCalls(pool, deps.silentCallSeconds ?? 4 * 3600)) {
        await deps.endSilentCall(callSid);
        ended++;
      }
    }
    if (requeued || reconciled || ended) log.warn({ requeued, reconciled, ended }, 'recording sweep re-drove lost work');
    return { requeued, reconciled, ended };
  }

  return {
    onCallback,
    agentDecided,
    fetchRecording,
    processRecording,
    reconcile,
    deleteAtTwilio,
    notifyPayer,
    sweep,
    async scheduleReconcile(callSid: string, attempt: number): Promise<void> {
      await queue.send(QUEUES.reconcileRecording, { callSid, attempt }, { singletonKey: `reconcile-${callSid}`, startAfterSeconds: deps.reconcileAfterSeconds });
    },
    /** Downloads (I/O) and encoding (CPU) have their own slots: a slow download holds up no encoding. */
    async startWorkers(concurrency: number, fetchConcurrency = 4): Promise<void> {
      await queue.work(QUEUES.fetchRecording, fetchConcurrency, fetchRecording);
      await queue.work(QUEUES.processRecording, concurrency, processRecording);
      await queue.work(QUEUES.reconcileRecording, 2, reconcile);
      await queue.work(QUEUES.deleteAtTwilio, 1, deleteAtTwilio);
      await queue.work(QUEUES.notifyPayer, 1, notifyPayer);
      await queue.work(QUEUES.sweepRecordings, 1, async () => void (await sweep()));
      await queue.schedule(QUEUES.sweepRecordings, '* * * * *');
    },
  };
}

export type RecordingPipeline = ReturnType<typeof createRecordingPipeline>;
