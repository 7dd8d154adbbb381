import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ffmpegEncodeMp3 } from './ffmpegEncoder.js';
import { lameEncodeMp3 } from './lameEncoder.js';
import { readMp3, type Mp3Info } from './mp3.js';
import { encodeWav } from './wav.js';

/** KFTC's limit for an audio consent file (R5): 300 KB. */
export const KFTC_MAX_BYTES = 307_200;

/** MPEG-2.5 Layer III bitrates at 8 kHz that LAME produces, highest first. */
export const BITRATES_KBPS = [64, 56, 48, 40, 32, 24, 16, 8] as const;

const SAMPLES_PER_FRAME = 576;

/** Predicted size of a CBR MPEG-2.5 Layer III file: 72 ms frames of 9 bytes per kbps, plus encoder delay and padding. */
export function predictMp3Bytes(samples: number, kbps: number): number {
  const frames = Math.ceil((samples + 1105) / SAMPLES_PER_FRAME) + 1;
  return frames * 9 * kbps + 16;
}

export type Encoder = 'ffmpeg' | 'lame';

export type EncodedConsentAudio = { mp3: Buffer; kbps: number; info: Mp3Info; encoder: Encoder };

export class AudioBudgetError extends Error {}

async function encodeOnce(samples: Int16Array, kbps: number, encoder: Encoder, workDir: string): Promise<Buffer> {
  if (encoder === 'lame') return lameEncodeMp3(samples, kbps);
  const dir = await mkdtemp(path.join(workDir, 'ars-enc-'));
  try {
    const wav = path.join(dir, 'in.wav');
    const mp3 = path.join(dir, 'out.mp3');
    await writeFile(wav, encodeWav(8000, [samples]));
    await ffmpegEncodeMp3(wav, mp3, kbps);
    return await readFile(mp3);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The highest bitrate whose MP3 fits the budget; the size is proven on the encoded bytes, and a
 * file over budget is never returned.
 */
/** `workDir`: where ffmpeg's temporary files go (the system's temp folder unless given). */
export async function encodeWithinBudget(samples: Int16Array, encoder: Encoder, maxBytes = KFTC_MAX_BYTES, workDir = os.tmpdir()): Promise<EncodedConsentAudio> {
  const seconds = samples.length / 8000;
  const candidates = BITRATES_KBPS.filter((k) => predictMp3Bytes(samples.length, k) <= maxBytes);
  if (candidates.length === 0) {
    throw new AudioBudgetError(
      `the consent part is ${seconds.toFixed(1)} s long: too long for ${maxBytes} bytes even at 8 kbps (at most about ${Math.floor(((maxBytes - 16) / 72) * 0.072 - 0.15)} s)`,
    );
  }
  for (const kbps of candidates) {
    const mp3 = await encodeOnce(samples, kbps, encoder, workDir);
    if (mp3.length > maxBytes) continue;
    const info = readMp3(mp3);
    return { mp3, kbps, info, encoder };
  }
  throw new AudioBudgetError(`no bitrate gave a file within ${maxBytes} bytes for ${seconds.toFixed(1)} s of audio`);
}
