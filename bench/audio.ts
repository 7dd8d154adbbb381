import { runBench } from './scratch.js';
/**
 * npm run bench:audio
 *
 * For 30, 90, 150 and 280 s two-channel recordings: the bitrate chosen, the size against 307,200
 * bytes, and the time of the whole audio pipeline (decode the WAV, split and analyse both tracks,
 * mix, encode within the budget, check the MP3) for each encoder path, next to a raw ffmpeg command
 * on the same input in the same run.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { KFTC_MAX_BYTES } from '../src/audio/budget.js';
import { consentAudio } from '../src/audio/consentAudio.js';
import { FFMPEG_PATH } from '../src/audio/ffmpegEncoder.js';
import { readMp3 } from '../src/audio/mp3.js';
import { encodeWav } from '../src/audio/wav.js';
import { dtmfTone, speechLike, TwoTrackTape } from '../src/simulator/signals.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import {
  ADMIN_TOKEN, AUTH_TOKEN, PRODUCTION_KEYS, freePort, machinePostgres, PUBLIC, runPool, seedPayers, SID, startService, summarise, waitFor, wholeCall, fmt,
} from './webhooks.js';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-audio-'));
const REPEAT = 3;

function recording(seconds: number): Buffer {
  const tape = new TwoTrackTape();
  let seed = 1;
  while (tape.seconds < seconds - 4) {
    tape.add('ars', speechLike(Math.min(8, seconds - 4 - tape.seconds), seed++)).pause(0.6);
    tape.add('payer', seed % 3 === 0 ? dtmfTone('1') : speechLike(0.8, seed++, 0.3)).pause(0.6);
  }
  const { payer, ars } = tape.tracks();
  const n = Math.round(seconds * 8000);
  const pad = (t: Int16Array) => {
    const out = new Int16Array(n);
    out.set(t.subarray(0, n));
    return out;
  };
  return encodeWav(8000, [pad(payer), pad(ars)]);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

async function main(): Promise<void> {
  console.log(`bench:audio: median of ${REPEAT} runs each, ${os.cpus().length} cores, ffmpeg ${FFMPEG_PATH.split('/').slice(-2).join('/')}`);
  console.log('seconds  kbps  bytes    of 307200  raw ffmpeg  pipeline/ffmpeg (ratio)  pipeline/lame (ratio)');
  for (const seconds of [30, 90, 150, 280]) {
    const wav = recording(seconds);
    const input = path.join(dir, `in-${seconds}.wav`);
    writeFileSync(input, wav);
    const { encoded } = await consentAudio(wav, 1, 'ffmpeg');
    const info = readMp3(encoded.mp3);
    if (encoded.mp3.length > KFTC_MAX_BYTES) throw new Error('over budget');
    const raw = await time(() =>
      run(FFMPEG_PATH, ['-hide_banner', '-loglevel', 'error', '-y', '-i', input, '-ac', '1', '-ar', '8000', '-c:a', 'libmp3lame', '-b:a', `${encoded.kbps}k`, path.join(dir, 'raw.mp3')]),
    );
    const viaFfmpeg = await time(() => consentAudio(wav, 1, 'ffmpeg'));
    const viaLame = await time(() => consentAudio(wav, 1, 'lame'));
    const lame = await consentAudio(wav, 1, 'lame');
    if (lame.encoded.mp3.length > KFTC_MAX_BYTES) throw new Error('lame over budget');
    console.log(
      `${String(seconds).padStart(7)}  ${String(encoded.kbps).padStart(4)}  ${String(encoded.mp3.length).padStart(7)}  ${((100 * encoded.mp3.length) / KFTC_MAX_BYTES).toFixed(1).padStart(7)}%  ` +
        `${raw.toFixed(0).padStart(7)} ms  ${viaFfmpeg.toFixed(0).padStart(9)} ms (${(viaFfmpeg / raw).toFixed(2)}x)  ` +
        `${viaLame.toFixed(0).padStart(9)} ms (${(viaLame / raw).toFixed(2)}x)   [${info.durationSeconds.toFixed(2)} s decoded length; lame ${lame.encoded.kbps} kbps ${lame.encoded.mp3.length} B]`,
    );
  }
}

/** Webhook latency at 50 paced callers while the service's workers turn four 280 s recordings into consents. */
async function webhooksWhileProcessing(): Promise<void> {
  const wav = recording(280);
  const fake = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.endsWith('.wav')) {
      res.writeHead(200, { 'Content-Type': 'audio/x-wav', 'Content-Length': wav.length });
      return void res.end(wav);
    }
    if (req.method === 'POST') return void res.writeHead(201, { 'Content-Type': 'application/json' }).end('{"sid":"SM0"}');
    res.writeHead(204).end();
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', () => r()));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const database = (await machinePostgres()) ?? '';
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-data-'));
  (await import('node:fs')).chmodSync(dataDir, 0o755);
  const serviceEnv = {
    PUBLIC_BASE_URL: PUBLIC, TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_SMS_FROM: '+15005550006',
    ADMIN_TOKEN, ...PRODUCTION_KEYS, LOG_LEVEL: 'warn', RECORDINGS_DIR: mkdtempSync(path.join(os.tmpdir(), 'bench-rec-')),
    TWILIO_API_BASE_URL: `http://127.0.0.1:${(fake.address() as AddressInfo).port}`, JOB_POLL_SECONDS: '0.5',
    ...(database ? { DATABASE_URL: database } : { DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()) }),
  };
  // The webhooks in a web process; the four recordings processed by a separate worker process.
  const child = startService({ ...serviceEnv, PORT: String(port), ROLE: 'web' });
  let worker: ChildProcess | undefined;
  try {
    await waitFor(`${base}/healthz`, child);
    const workerPort = await freePort();
    worker = startService({ ...serviceEnv, PORT: String(workerPort), ROLE: 'worker' });
    await waitFor(`http://127.0.0.1:${workerPort}/healthz`, worker);
    await seedPayers(base);
    await runPool(20, 10, (i) => wholeCall(base, i, []));
    const callSids = Array.from({ length: 4 }, () => `CA${randomBytes(16).toString('hex')}`);
    await Promise.all(callSids.map((sid, i) => wholeCall(base, i, [], 0, sid)));
    const idle: number[] = [];
    const idleStart = performance.now();
    await runPool(150, 50, (i) => wholeCall(base, 5000 + i, idle, 500));
    const idleSeconds = (performance.now() - idleStart) / 1000;

    const latencies: number[] = [];
    let processing = true;
    const t0 = performance.now();
    const load = runPool(100_000, 50, async (i) => {
      if (processing) await wholeCall(base, 10_000 + i, latencies, 500);
    });
    await Promise.all(
      callSids.map(async (callSid) => {
        const recordingSid = `RE${randomBytes(16).toString('hex')}`;
        const params = {
          AccountSid: SID, CallSid: callSid, RecordingSid: recordingSid, RecordingStatus: 'completed', RecordingDuration: '280', RecordingChannels: '2',
          RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${SID}/Recordings/${recordingSid}`,
        };
        const url = '/twilio/recording?attempt=1';
        await fetch(base + url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, PUBLIC + url, params) },
          body: new URLSearchParams(params).toString(),
        });
      }),
    );
    let done = 0;
    while (done < 4 && performance.now() - t0 < 120_000) {
      await new Promise((r) => setTimeout(r, 200));
      const res = await fetch(`${base}/api/consents`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
      done = ((await res.json()) as { consents: unknown[] }).consents.length;
    }
    const seconds = (performance.now() - t0) / 1000;
    processing = false;
    await load;
    const during = summarise(latencies, seconds);
    console.log(`\nwebhooks at 50 paced callers (~500 ms between webhooks), ${database ? 'real' : 'embedded'} PostgreSQL:`);
    console.log(`  idle                               : ${fmt(summarise(idle, idleSeconds))}`);
    console.log(`  while a worker process handles 4 x 280 s recordings: ${fmt(during)}  (${done} consents in ${seconds.toFixed(1)} s)`);
    console.log(`  target p99 < 30 ms while processing: ${during.p99 < 30 ? 'met' : 'NOT met'} (${during.p99.toFixed(1)} ms)`);
  } finally {
    if (worker) {
      worker.kill('SIGTERM');
      await new Promise((r) => (worker!.exitCode === null ? worker!.once('exit', r) : r(undefined)));
    }
    child.kill('SIGTERM');
    fake.close();
  }
}

runBench(async () => {
  await main();
  await webhooksWhileProcessing();
});
