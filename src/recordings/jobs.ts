import { consentById, type Consent } from '../consents/store.js';
import { DiskFullError, sha256File } from '../shared/files.js';
import { faultPoint } from '../shared/faults.js';
import { MediaError } from '../telephony/media.js';
import { claimNotification, releaseNotification } from '../consents/store.js';
import { hasUsableConsent } from './consentSourcesStore.js';
import { enqueue, type PipelineDeps } from './deps.js';
import { fetchEvidenceMaster, storedMaster } from './evidenceMaster.js';
import { receiveRecordingCallback } from './intake.js';
import { PermanentFailure, produceConsentFromRecording } from './produceConsent.js';
import { registrationSmsText } from './registrationSms.js';
import { markDeletedAtTwilio, markDeleteRequested, markPipeline, recordingBySid, recordingsOfCall, type Recording } from './store.js';

/** The pipeline's job handlers: each loads what it needs, does one step, and hands on. */

export type Job = { retryCount: number; retryLimit: number };

/** A job that cannot go on: permanent, or out of retries. A full disk only waits (the sweep resumes it). */
async function failedForGood(deps: PipelineDeps, rec: Recording, err: unknown, job: Job): Promise<boolean> {
  const message = (err as Error).message;
  if (err instanceof DiskFullError) {
    deps.log.error({ recordingSid: rec.recordingSid, err: message }, 'DISK FULL: the consent recording waits for space');
    await markPipeline(deps.pool, rec.recordingSid, 'pending', message);
    return false;
  }
  const permanent = err instanceof PermanentFailure || (err instanceof MediaError && !err.retryable);
  if (!permanent && job.retryCount < job.retryLimit) {
    deps.log.warn({ recordingSid: rec.recordingSid, err: message, retry: job.retryCount + 1 }, 'recording pipeline will retry');
    await markPipeline(deps.pool, rec.recordingSid, 'pending', message);
    return false;
  }
  deps.log.error({ recordingSid: rec.recordingSid, callSid: rec.callSid, err: message }, 'CONSENT RECORDING FAILED: the pipeline gave up (the recording is kept at Twilio)');
  await markPipeline(deps.pool, rec.recordingSid, 'failed', message);
  await deps.onConsentFailed?.(rec.callSid, message);
  return true;
}

/** recording-fetch: keep the WAV master, then hand the recording to the encoder. I/O only. */
export async function fetchRecordingJob(deps: PipelineDeps, data: { recordingSid: string }, job: Job): Promise<void> {
  const rec = await recordingBySid(deps.pool, data.recordingSid);
  if (!rec || rec.pipeline !== 'pending') return;
  if (!(await storedMaster(rec))) {
    try {
      await fetchEvidenceMaster({ db: deps.pool, log: deps.log, twilioSettings: deps.twilioSettings, media: deps.media, recordingsDir: deps.recordingsDir }, rec, {
        lastTry: job.retryCount >= job.retryLimit,
      });
    } catch (err) {
      if (await failedForGood(deps, rec, err, job)) return;
      throw err;
    }
  }
  await enqueue.process(deps, deps.pool, rec.recordingSid);
}

/** recording-process: the consent from the kept master (CPU), then its follow-ups. */
export async function processRecordingJob(deps: PipelineDeps, data: { recordingSid: string }, job: Job): Promise<void> {
  const rec = await recordingBySid(deps.pool, data.recordingSid);
  if (!rec) return;
  try {
    const produced = await produceConsentFromRecording(deps, rec);
    if (produced.kind === 'needs-master') return void (await enqueue.fetch(deps, deps.pool, rec.recordingSid));
    if (produced.kind === 'not-evidence') return void (await markPipeline(deps.pool, rec.recordingSid, 'skipped', produced.why));
    await deps.onConsentRecorded?.(produced.consent);
    await followUps(deps, produced.consent);
  } catch (err) {
    if (await failedForGood(deps, rec, err, job)) return;
    throw err;
  }
}

async function followUps(deps: PipelineDeps, consent: Consent): Promise<void> {
  if (consent.status !== 'ready') return; // evidence_failed: the recording stays at Twilio
  if (!consent.phone) deps.log.warn({ consentId: consent.id }, 'no phone on file: no registration SMS');
  else await enqueue.notify(deps, consent.id);
  if (deps.deleteAtTwilio) await enqueue.deleteAtTwilio(deps, deps.pool, consent.recordingSid);
}

/**
 * recording-reconcile: a consented call's recordings. Known ones still pending are queued again;
 * with none known, Twilio lists them and each is handled as its callback.
 */
export async function reconcileJob(deps: PipelineDeps, data: { callSid: string; attempt: number }): Promise<void> {
  const known = (await recordingsOfCall(deps.pool, data.callSid)).filter((r) => r.status !== 'in-progress');
  for (const rec of known.filter((r) => r.pipeline === 'pending' && r.purpose === 'consent')) await enqueue.fetch(deps, deps.pool, rec.recordingSid);
  if (known.some((r) => r.purpose === 'consent' || r.purpose === 'awaiting-agent')) return;
  deps.log.warn({ callSid: data.callSid }, 'no recording callback for a consent call: asking Twilio for its recordings');
  const found = await deps.twilio.listCallRecordings(data.callSid);
  if (found.length === 0) {
    deps.log.error({ callSid: data.callSid }, 'CONSENT WITHOUT RECORDING: Twilio lists no recording for the call');
    return;
  }
  for (const params of found) await receiveRecordingCallback(deps, params, { attempt: found.length === 1 ? String(data.attempt) : undefined });
}

/** recording-delete: never before a ready consent whose local master matches its hash (or a recording that is not evidence). */
export async function deleteAtTwilioJob(deps: PipelineDeps, data: { recordingSid: string }): Promise<void> {
  const rec = await recordingBySid(deps.pool, data.recordingSid);
  if (!rec || rec.deletedAtTwilio) return;
  if (rec.pipeline !== 'skipped') {
    if (!(await hasUsableConsent(deps.pool, rec.recordingSid))) {
      deps.log.warn({ recordingSid: rec.recordingSid }, 'not deleting at Twilio: no ready consent for the recording');
      return;
    }
    if (!rec.masterPath || !rec.masterSha256 || (await sha256File(rec.masterPath).catch(() => undefined)) !== rec.masterSha256) {
      deps.log.error({ recordingSid: rec.recordingSid }, 'not deleting at Twilio: the local master is missing or does not match its hash');
      return;
    }
  }
  // Sent before and its answer never recorded (the process or the database gone just after): Twilio
  // is asked first, and the delete is sent again only if the recording is still there.
  if (rec.twilioDeleteRequestedAt && !(await deps.twilio.recordingExists(rec.recordingSid))) {
    await markDeletedAtTwilio(deps.pool, rec.recordingSid);
    return;
  }
  await markDeleteRequested(deps.pool, rec.recordingSid);
  await deps.twilio.deleteRecording(rec.recordingSid);
  faultPoint('after-twilio-delete');
  await markDeletedAtTwilio(deps.pool, rec.recordingSid);
}

/** consent-notify: the registration SMS, at most once: claimed first, released when the send fails. */
export async function notifyPayerJob(deps: PipelineDeps, data: { consentId: string }): Promise<void> {
  const consent = await consentById(deps.pool, data.consentId);
  if (!consent || consent.notifiedAt || !consent.phone || consent.status === 'evidence_failed') return;
  if (!deps.twilioSettings.smsFrom) {
    deps.log.warn({ consentId: consent.id }, 'no SMS sender configured (TWILIO_SMS_FROM): the registration SMS was not sent');
    return;
  }
  if (!(await claimNotification(deps.pool, consent.id))) return;
  const text = registrationSmsText({ organizationName: consent.organizationName, accountNumber: consent.accountNumber, verificationNumber: consent.verificationNumber }, deps.publicBaseUrl);
  try {
    await deps.twilio.sendSms(consent.phone, text);
  } catch (err) {
    await releaseNotification(deps.pool, consent.id);
    throw err;
  }
  faultPoint('after-sms');
}
