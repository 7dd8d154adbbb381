import type { Db } from '../db/database.js';

/**
 * Two reads of `recordings` that the agent console and the demo need: where a recording is in the
 * pipeline. `recordings` is owned by src/recordings/store.ts (being written in parallel): after the
 * merge these statements belong there, and this file goes.
 */

const PIPELINE_OF = 'SELECT pipeline, pipeline_error FROM recordings WHERE recording_sid = $1';
const FAILED_CONSENT_RECORDING = "SELECT pipeline_error FROM recordings WHERE call_sid = $1 AND purpose = 'consent' AND pipeline = 'failed' LIMIT 1";

/** The pipeline state of a recording (queued, done, failed, …) and its error. */
export async function recordingPipelineState(db: Db, recordingSid: string): Promise<{ state: string; error: string | null } | undefined> {
  const r = (await db.query<{ pipeline: string; pipeline_error: string | null }>(PIPELINE_OF, [recordingSid])).rows[0];
  return r ? { state: r.pipeline, error: r.pipeline_error } : undefined;
}

/** Why the call's consent recording failed in the pipeline, if it did. */
export async function failedConsentRecordingError(db: Db, callSid: string): Promise<string | undefined> {
  return (await db.query<{ pipeline_error: string }>(FAILED_CONSENT_RECORDING, [callSid])).rows[0]?.pipeline_error;
}
