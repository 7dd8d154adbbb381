// The one module that knows fluent-ffmpeg (archived upstream): replaceable by a child_process call.
import { execFile } from 'node:child_process';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import ffmpeg from 'fluent-ffmpeg';

export const FFMPEG_PATH: string = ffmpegInstaller.path;

/** Encodes a WAV file to a CBR mono 8 kHz MP3 without tags. */
export function ffmpegEncodeMp3(wavPath: string, mp3Path: string, kbps: number): Promise<void> {
  return new Promise((resolve, reject) => {
    ffmpeg(wavPath)
      .setFfmpegPath(FFMPEG_PATH)
      // Below the web server's priority: encoding may wait, a caller may not.
      .renice(10)
      .audioChannels(1)
      .audioFrequency(8000)
      .audioCodec('libmp3lame')
      .audioBitrate(kbps)
      .outputOptions(['-threads', '1', '-map_metadata', '-1', '-id3v2_version', '0', '-write_xing', '0', '-fflags', '+bitexact'])
      .format('mp3')
      .on('error', (err: Error) => reject(new Error(`ffmpeg: ${err.message}`)))
      .on('end', () => resolve())
      .save(mp3Path);
  });
}

/** Whether the bundled ffmpeg runs here and has libmp3lame. */
export function ffmpegAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(FFMPEG_PATH, ['-hide_banner', '-encoders'], { timeout: 10_000 }, (err, stdout) => {
      resolve(!err && stdout.includes('libmp3lame'));
    });
  });
}

/** Decodes any audio file to mono 16-bit PCM at 8 kHz (for checks and tests). */
export function ffmpegDecodeToPcm(path: string): Promise<Int16Array> {
  return new Promise((resolve, reject) => {
    execFile(
      FFMPEG_PATH,
      ['-hide_banner', '-loglevel', 'error', '-i', path, '-f', 's16le', '-ac', '1', '-ar', '8000', '-'],
      { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 },
      (err, stdout) => {
        if (err) return reject(new Error(`ffmpeg decode: ${err.message}`));
        const copy = Buffer.from(stdout);
        resolve(new Int16Array(copy.buffer, copy.byteOffset, Math.floor(copy.length / 2)));
      },
    );
  });
}
