import type pg from 'pg';
import type { Encoder } from '../audio/budget.js';
import type { Consent } from '../consents/store.js';
import type { Db } from '../db/database.js';
import { QUEUES, type JobQueue } from '../jobs/queue.js';
import type { Logger } from '../log.js';
import type { ScenarioSet } from '../scenario/loader.js';
import type { MarkFacts } from '../marks/timeMark.js';
import type { MediaOptions } from '../telephony/media.js';
import type { TwilioRest, TwilioSettings } from '../telephony/rest.js';

/** What the recording pipeline's parts work with. */
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
  /** Signs the consent's time mark (진본마크), stored with the record. */
  signTimeMark: (facts: MarkFacts) => Promise<string>;
  /** The payer's receipt link in the registration SMS: PUBLIC_BASE_URL/r/<number>. */
  publicBaseUrl: string;
  /** How long a consent may go without its consent record before the sweep re-drives it. */
  sweepGraceSeconds?: number;
  /** A call no webhook touched for this long is taken as ended (its status callback was lost). */
  silentCallSeconds?: number;
  /** Ends a call whose status callback was lost (the call service's hang-up). */
  endSilentCall?: (callSid: string) => Promise<void>;
  /** After a consent record is stored (ready or evidence_failed): consent requests follow it. */
  onConsentRecorded?: (consent: Consent) => Promise<void>;
  /** A consent was given but its recording could not be made evidence. */
  onConsentFailed?: (callSid: string, reason: string) => Promise<void>;
  /** The encoder's scratch folder (workDir.ts). */
  workDir?: string;
};

/** The pipeline's jobs, queued on `db` (a transaction's client: the job exists when it commits). */
export const enqueue = {
  fetch: (deps: PipelineDeps, db: Db, recordingSid: string) => deps.queue.send(QUEUES.fetchRecording, { recordingSid }, { singletonKey: recordingSid, db }),
  process: (deps: PipelineDeps, db: Db, recordingSid: string) => deps.queue.send(QUEUES.processRecording, { recordingSid }, { singletonKey: recordingSid, db }),
  deleteAtTwilio: (deps: PipelineDeps, db: Db, recordingSid: string) =>
    deps.queue.send(QUEUES.deleteAtTwilio, { recordingSid }, { singletonKey: `delete-${recordingSid}`, db }),
  notify: (deps: PipelineDeps, consentId: string) => deps.queue.send(QUEUES.notifyPayer, { consentId }, { singletonKey: `notify-${consentId}` }),
  /** Checks of consented calls' recordings, several in one statement. */
  reconcile: (deps: PipelineDeps, checks: { callSid: string; attempt: number; key: string; startAfterSeconds?: number }[]) =>
    deps.queue.sendMany(
      QUEUES.reconcileRecording,
      checks.map((c) => ({ data: { callSid: c.callSid, attempt: c.attempt }, singletonKey: c.key, ...(c.startAfterSeconds ? { startAfterSeconds: c.startAfterSeconds } : {}) })),
    ),
};
