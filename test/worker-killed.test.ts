import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, freshDatabase, PUBLIC_BASE_URL, startTestApp, TEST_ACCOUNT_SID, TEST_ADMIN_TOKEN, TEST_AUTH_TOKEN, TEST_SIGNING_KEY, TEST_SECRETS_KEY, type TestApp } from './support/app.js';
import { TestCall } from './support/caller.js';
import { consentTape, newRecordingSid, postRecordingCallback, recordingCallbackParams, tapeWav } from './support/recording.js';

/**
 * The pipeline survives its process being killed mid-job: Twilio here is a local HTTP server (the
 * workers run in child processes, beyond nock's reach), which holds the first media download open
 * while the test kills the worker with SIGKILL.
 */

let web: TestApp;
let databaseUrl: string;
let twilio: Server;
let twilioBase: string;
const recordingsDir = mkdtempSync(path.join(os.tmpdir(), 'ars-killed-'));
const requests: string[] = [];
let holdMedia = true;
let wav: Buffer = Buffer.alloc(0);
let onMediaRequest: () => void = () => {};

function fakeTwilio(req: IncomingMessage, res: ServerResponse) {
  const auth = `Basic ${Buffer.from(`${TEST_ACCOUNT_SID}:${TEST_AUTH_TOKEN}`).toString('base64')}`;
  requests.push(`${req.method} ${req.url}`);
  if (req.headers.authorization !== auth) return void res.writeHead(401).end();
  if (req.method === 'GET' && req.url?.endsWith('.wav')) {
    onMediaRequest();
    if (holdMedia) return; // never answered: the worker dies waiting
    res.writeHead(200, { 'Content-Type': 'audio/x-wav', 'Content-Length': wav.length });
    return void res.end(wav);
  }
  if (req.method === 'POST' && req.url?.endsWith('/Messages.json')) {
    res.writeHead(201, { 'Content-Type': 'application/json' });
    return void res.end(JSON.stringify({ sid: `SM${'2'.repeat(32)}`, status: 'queued' }));
  }
  if (req.method === 'DELETE') return void res.writeHead(204).end();
  res.writeHead(404).end();
}

function startWorker(): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      PORT: '0',
      DATABASE_URL: databaseUrl,
      PUBLIC_BASE_URL,
      TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
      TWILIO_API_BASE_URL: twilioBase,
      TWILIO_SMS_FROM: '+15005550006',
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      SIGNING_KEY: TEST_SIGNING_KEY,
      SECRETS_KEY: TEST_SECRETS_KEY,
      RECORDINGS_DIR: recordingsDir,
      JOB_TIMEOUT_SECONDS: '3',
      JOB_SUPERVISE_SECONDS: '1',
      JOB_HEARTBEAT_SECONDS: '10',
      JOB_POLL_SECONDS: '0.5',
      JOB_RETRY_DELAY_SECONDS: '1',
      MEDIA_TIMEOUT_MS: '60000',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

beforeAll(async () => {
  twilio = createServer(fakeTwilio);
  await new Promise<void>((r) => twilio.listen(0, '127.0.0.1', () => r()));
  twilioBase = `http://127.0.0.1:${(twilio.address() as AddressInfo).port}`;
  databaseUrl = await freshDatabase();
  // The web process takes the webhooks; it runs no workers.
  web = await startTestApp({ PIPELINE_WORKERS: 'false', TWILIO_API_BASE_URL: twilioBase, RECORDINGS_DIR: recordingsDir, JOB_TIMEOUT_SECONDS: '3' }, databaseUrl);
  await api(web, 'POST', '/api/payers', { payerNumber: '31', name: '홍길동', birthDate: '19940424', phone: '+821012345678' });
});
afterAll(async () => {
  await web?.close();
  twilio?.closeAllConnections();
  twilio?.close();
});

describe('a worker killed in the middle of a job', () => {
  it('the job runs again in a new worker: one consent, one MP3, one SMS', async () => {
    const call = new TestCall(web);
    await call.toReadback();
    await call.press('1');
    const recordingSid = newRecordingSid();
    const tape = consentTape({ answer: 'key' });
    wav = tapeWav(tape);
    await postRecordingCallback(web, recordingCallbackParams(call.callSid, recordingSid, tape.seconds));

    const first = startWorker();
    await new Promise<void>((resolve) => {
      onMediaRequest = resolve;
    });
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const active = await web.db.pool.query("SELECT state FROM pgboss.job WHERE name = 'recording-fetch'");
    expect(active.rows[0].state).toBe('active');

    holdMedia = false;
    onMediaRequest = () => {};
    const second = startWorker();
    try {
      let consents: any[] = [];
      for (let i = 0; i < 300 && consents.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        consents = (await api(web, 'GET', `/api/consents?callSid=${call.callSid}`)).json.consents;
      }
      expect(consents).toHaveLength(1);
      expect(consents[0].status).toBe('ready');
      for (let i = 0; i < 100 && !requests.some((r) => r.startsWith('DELETE')); i++) await new Promise((r) => setTimeout(r, 100));
      expect(requests.filter((r) => r.startsWith('GET')).length).toBe(2);
      expect(requests.filter((r) => r.endsWith('/Messages.json'))).toHaveLength(1);
      expect(requests.filter((r) => r.startsWith('DELETE'))).toHaveLength(1);
      const files = readdirSync(recordingsDir, { recursive: true }).map(String);
      expect(files.filter((f) => f.endsWith('.mp3'))).toHaveLength(1);
      expect(files.filter((f) => f.endsWith('.tmp'))).toHaveLength(0);
    } finally {
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
    }
  }, 60_000);
});
