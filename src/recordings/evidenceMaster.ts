import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseWav, WavError } from '../audio/wav.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../log.js';
import { evidencePath, sha256, sha256Async, writeFileAtomic } from '../shared/files.js';
import { faultPoint } from '../shared/faults.js';
import { downloadRecordingWav, MediaError, recordingMediaPath, type MediaOptions } from '../telephony/media.js';
import type { TwilioSettings } from '../telephony/rest.js';
import { saveMaster, type Recording } from './store.js';

/**
 * The evidence master: the recording's WAV as Twilio served it, kept next to the MP3. A download
 * that is empty, not a WAV or shorter than its data chunk declares is fetched again (with backoff)
 * before anyone judges it: Twilio still holds the complete original.
 */

export type MasterDeps = { db: Db; log: Logger; twilioSettings: TwilioSettings; media: MediaOptions; recordingsDir: string };

/** What is wrong with downloaded media, if anything. */
export function mediaProblem(wav: Buffer): { problem: string; judgeable: boolean } | undefined {
  if (wav.length === 0) return { problem: 'the media was empty', judgeable: false };
  try {
    const pcm = parseWav(wav);
    return pcm.truncated ? { problem: 'the WAV is shorter than its data chunk declares', judgeable: true } : undefined;
  } catch (err) {
    if (err instanceof WavError) return { problem: `the media is not the expected WAV: ${err.message}`, judgeable: false };
    throw err;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The stored master, when it is there and matches its hash. */
export async function storedMaster(rec: Recording): Promise<Buffer | undefined> {
  if (!rec.masterPath || !rec.masterSha256 || !existsSync(rec.masterPath)) return undefined;
  const buf = await readFile(rec.masterPath);
  return sha256(buf) === rec.masterSha256 ? buf : undefined;
}

/**
 * Downloads the master and keeps it. `lastTry`: the job's last run, when a WAV that is still cut
 * short is kept all the same so the evidence check can say what is missing.
 */
export async function fetchEvidenceMaster(deps: MasterDeps, rec: Recording, opts: { lastTry: boolean }): Promise<Buffer> {
  let mediaPath: string;
  try {
    mediaPath = recordingMediaPath(rec.mediaUrl ?? undefined, deps.twilioSettings.accountSid, rec.recordingSid);
  } catch (err) {
    throw new MediaError((err as Error).message, false);
  }
  let wav: Buffer | undefined;
  let problem: ReturnType<typeof mediaProblem>;
  for (let attempt = 0; attempt <= deps.media.retryDelaysMs.length; attempt++) {
    if (attempt > 0) await sleep(deps.media.retryDelaysMs[attempt - 1]!);
    wav = await downloadRecordingWav(deps.twilioSettings, mediaPath, deps.media);
    faultPoint('during-download');
    problem = mediaProblem(wav);
    if (!problem) break;
    deps.log.warn({ recordingSid: rec.recordingSid, problem: problem.problem, bytes: wav.length, attempt: attempt + 1 }, 'recording media not complete yet: fetching again');
  }
  if (problem && !(opts.lastTry && problem.judgeable)) throw new MediaError(problem.problem, true);
  const file = evidencePath(deps.recordingsDir, new Date(), rec.callSid, `${rec.recordingSid}.wav`);
  await writeFileAtomic(file, wav!);
  await saveMaster(deps.db, rec.recordingSid, { path: file, sha256: await sha256Async(wav!), bytes: wav!.length });
  return wav!;
}
