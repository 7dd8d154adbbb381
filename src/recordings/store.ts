import type { Db } from '../db/database.js';

/**
 * The recordings and recording_callbacks tables: every recording status callback as Twilio sent it,
 * and one row per recording with what the pipeline did with it. Plain named SQL; rows come back
 * camelCase, parsed once here.
 */

export const TERMINAL_STATUSES = ['completed', 'absent', 'failed'] as const;
export type RecordingStatus = 'in-progress' | (typeof TERMINAL_STATUSES)[number];
/** `awaiting-agent`: an agent's marked part whose answer the agent has not marked yet. */
export type RecordingPurpose = 'consent' | 'not-consent' | 'awaiting-agent' | 'unknown';
export type PipelineState = 'pending' | 'done' | 'failed' | 'skipped';

export type Recording = {
  recordingSid: string;
  callSid: string;
  attempt: number | null;
  status: RecordingStatus;
  mediaUrl: string | null;
  durationSeconds: number | null;
  channels: number | null;
  startedAt: Date | null;
  errorCode: string | null;
  purpose: RecordingPurpose;
  pipeline: PipelineState;
  pipelineError: string | null;
  masterPath: string | null;
  masterSha256: string | null;
  masterBytes: number | null;
  deletedAtTwilio: Date | null;
  /** When its delete at Twilio was sent (deletedAtTwilio: when Twilio's answer was recorded). */
  twilioDeleteRequestedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

/** A recording status callback, parsed (src/recordings/callback.ts). */
export type RecordingCallback = {
  recordingSid: string;
  callSid: string;
  status: RecordingStatus;
  attempt: number | null;
  mediaUrl: string | null;
  durationSeconds: number | null;
  channels: number | null;
  startedAt: Date | null;
  errorCode: string | null;
  /** As Twilio sent them, kept for the record. */
  params: Record<string, string | undefined>;
};

type RecordingDbRow = {
  recording_sid: string;
  call_sid: string;
  attempt: number | null;
  status: RecordingStatus;
  media_url: string | null;
  duration_seconds: number | null;
  channels: number | null;
  started_at: Date | null;
  error_code: string | null;
  purpose: RecordingPurpose;
  pipeline: PipelineState;
  pipeline_error: string | null;
  master_path: string | null;
  master_sha256: string | null;
  master_bytes: number | null;
  deleted_at_twilio: Date | null;
  twilio_delete_requested_at: Date | null;
  created_at: Date;
  updated_at: Date;
};

function toRecording(r: RecordingDbRow): Recording {
  return {
    recordingSid: r.recording_sid,
    callSid: r.call_sid,
    attempt: r.attempt,
    status: r.status,
    mediaUrl: r.media_url,
    durationSeconds: r.duration_seconds,
    channels: r.channels,
    startedAt: r.started_at,
    errorCode: r.error_code,
    purpose: r.purpose,
    pipeline: r.pipeline,
    pipelineError: r.pipeline_error,
    masterPath: r.master_path,
    masterSha256: r.master_sha256,
    masterBytes: r.master_bytes === null ? null : Number(r.master_bytes),
    deletedAtTwilio: r.deleted_at_twilio,
    twilioDeleteRequestedAt: r.twilio_delete_requested_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const INSERT_CALLBACK = `INSERT INTO recording_callbacks (recording_sid, call_sid, status, attempt, params) VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (recording_sid, status) DO NOTHING`;

/** Keeps the callback; false when the same recording and status was stored before (a repeat). */
export async function insertCallback(db: Db, cb: RecordingCallback): Promise<boolean> {
  const r = await db.query(INSERT_CALLBACK, [cb.recordingSid, cb.callSid, cb.status, cb.attempt, cb.params]);
  return r.rowCount === 1;
}

/**
 * A recording's row from a callback. `completed` wins over every other status, and a terminal one
 * over `in-progress`, whatever order they arrive in.
 */
const UPSERT_RECORDING = `INSERT INTO recordings (recording_sid, call_sid, attempt, status, media_url, duration_seconds, channels, started_at, error_code, purpose)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
  ON CONFLICT (recording_sid) DO UPDATE SET
    status = CASE WHEN recordings.status = 'completed' OR EXCLUDED.status = 'in-progress' THEN recordings.status ELSE EXCLUDED.status END,
    media_url = COALESCE(EXCLUDED.media_url, recordings.media_url),
    duration_seconds = COALESCE(EXCLUDED.duration_seconds, recordings.duration_seconds),
    channels = COALESCE(EXCLUDED.channels, recordings.channels),
    started_at = COALESCE(recordings.started_at, EXCLUDED.started_at),
    error_code = COALESCE(EXCLUDED.error_code, recordings.error_code),
    purpose = EXCLUDED.purpose, updated_at = now()
  RETURNING *`;

export async function upsertRecording(db: Db, cb: RecordingCallback, purpose: RecordingPurpose): Promise<Recording> {
  const r = await db.query<RecordingDbRow>(UPSERT_RECORDING, [
    cb.recordingSid, cb.callSid, cb.attempt, cb.status, cb.mediaUrl, cb.durationSeconds, cb.channels, cb.startedAt, cb.errorCode, purpose,
  ]);
  return toRecording(r.rows[0]!);
}

const RECORDING_BY_SID = 'SELECT * FROM recordings WHERE recording_sid = $1';

export async function recordingBySid(db: Db, recordingSid: string): Promise<Recording | undefined> {
  const r = await db.query<RecordingDbRow>(RECORDING_BY_SID, [recordingSid]);
  return r.rows[0] ? toRecording(r.rows[0]) : undefined;
}

const MARK_PIPELINE = 'UPDATE recordings SET pipeline = $2, pipeline_error = $3, updated_at = now() WHERE recording_sid = $1';

export async function markPipeline(db: Db, recordingSid: string, pipeline: PipelineState, error: string | null): Promise<void> {
  await db.query(MARK_PIPELINE, [recordingSid, pipeline, error]);
}

const SET_PURPOSE = 'UPDATE recordings SET purpose = $2, updated_at = now() WHERE recording_sid = $1';

export async function setPurpose(db: Db, recordingSid: string, purpose: RecordingPurpose): Promise<void> {
  await db.query(SET_PURPOSE, [recordingSid, purpose]);
}

const SAVE_MASTER = 'UPDATE recordings SET master_path = $2, master_sha256 = $3, master_bytes = $4, updated_at = now() WHERE recording_sid = $1';

/** Where the evidence master (the WAV as Twilio served it) is kept, and its hash. */
export async function saveMaster(db: Db, recordingSid: string, master: { path: string; sha256: string; bytes: number }): Promise<void> {
  await db.query(SAVE_MASTER, [recordingSid, master.path, master.sha256, master.bytes]);
}

const MARK_DELETED_AT_TWILIO = 'UPDATE recordings SET deleted_at_twilio = now(), updated_at = now() WHERE recording_sid = $1';
const MARK_DELETE_REQUESTED = 'UPDATE recordings SET twilio_delete_requested_at = now(), updated_at = now() WHERE recording_sid = $1';

/** Before the delete is sent to Twilio (a retry then asks Twilio first, see deleteAtTwilioJob). */
export async function markDeleteRequested(db: Db, recordingSid: string): Promise<void> {
  await db.query(MARK_DELETE_REQUESTED, [recordingSid]);
}

export async function markDeletedAtTwilio(db: Db, recordingSid: string): Promise<void> {
  await db.query(MARK_DELETED_AT_TWILIO, [recordingSid]);
}

/**
 * Consent recordings the pipeline has not finished and that nothing has touched for a while:
 * their job may be gone (lost with a process, or never queued). Re-queueing is idempotent.
 */
const STALLED_CONSENT_RECORDINGS = `SELECT * FROM recordings
  WHERE pipeline = 'pending' AND purpose = 'consent' AND status = 'completed'
    AND updated_at < now() - make_interval(secs => $1)
  ORDER BY updated_at LIMIT 200`;

export async function stalledConsentRecordings(db: Db, graceSeconds: number): Promise<Recording[]> {
  const r = await db.query<RecordingDbRow>(STALLED_CONSENT_RECORDINGS, [graceSeconds]);
  return r.rows.map(toRecording);
}

const TOUCH_RECORDING = 'UPDATE recordings SET updated_at = now() WHERE recording_sid = $1';

/** Marks a recording as just handled, so the sweep leaves it alone for a grace period. */
export async function touchRecording(db: Db, recordingSid: string): Promise<void> {
  await db.query(TOUCH_RECORDING, [recordingSid]);
}

const RECORDINGS_OF_CALL = 'SELECT * FROM recordings WHERE call_sid = $1 ORDER BY created_at';

export async function recordingsOfCall(db: Db, callSid: string): Promise<Recording[]> {
  const r = await db.query<RecordingDbRow>(RECORDINGS_OF_CALL, [callSid]);
  return r.rows.map(toRecording);
}
