import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../src/db/database.js';
import { api, postSigned, startTestApp, TEST_ACCOUNT_SID, type TestApp } from './support/app.js';
import { newCallSid, TestCall } from './support/caller.js';
import { consentTape, mediaPath, newRecordingSid, recordingCallbackParams, tapeWav } from './support/recording.js';
import { freePort } from './support/ports.js';

/**
 * The database failing under the service: stopped in the middle of a burst of recording
 * callbacks and started again 15 s later, then hung (SIGSTOP) while webhooks arrive. The database
 * is an embedded PostgreSQL this test starts for itself (never the shared server).
 */

const TWILIO = 'https://api.twilio.com';
const pgDir = mkdtempSync(path.join(os.tmpdir(), 'ars-outage-pg-'));
chmodSync(pgDir, 0o755);
let port: number;
let server: { url: string; stop: () => Promise<void> };
let app: TestApp;
const measured: string[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


/** The postmaster and its backends: the processes of the server this test started. */
function serverPids(): number[] {
  const postmaster = Number(readFileSync(path.join(pgDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
    } catch {
      return false;
    }
  });
  return [postmaster, ...children.map(Number)];
}

let frozen: number[] = [];
function freeze() {
  frozen = serverPids();
  for (const pid of frozen) process.kill(pid, 'SIGSTOP');
}
function thaw() {
  for (const pid of frozen) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      /* gone */
    }
  }
  frozen = [];
}

beforeAll(async () => {
  port = await freePort();
  server = await startEmbeddedPostgres(pgDir, port);
  app = await startTestApp(
    {
      JOB_POLL_SECONDS: '0.5', JOB_RETRY_DELAY_SECONDS: '1', JOB_RETRY_LIMIT: '10', MEDIA_RETRY_DELAYS_MS: '100',
      SWEEP_GRACE_SECONDS: '1', DB_CONNECT_TIMEOUT_MS: '1000', DB_STATEMENT_TIMEOUT_MS: '3000', LOG_LEVEL: 'info',
    },
    server.url,
  );
  await api(app, 'POST', '/api/payers', { payerNumber: '900300', name: '홍길동', birthDate: '19940424', phone: '+821012345678' });
}, 120_000);

afterAll(async () => {
  thaw();
  console.log(`database outage, measured:\n  ${measured.join('\n  ')}`);
  if (process.env.OUTAGE_LOGS) (await import('node:fs')).writeFileSync(process.env.OUTAGE_LOGS, app.logs.join(''));
  await app?.close().catch(() => {});
  await server?.stop().catch(() => {});
  rmSync(pgDir, { recursive: true, force: true });
}, 60_000);

describe('the database stopped in the middle of a burst of 40 recording callbacks, started again 15 s later', () => {
  it('40 consents, one SMS and one deletion each', async () => {
    const tape = consentTape({ answer: 'key' });
    const wav = tapeWav(tape);
    const calls: { callSid: string; recordingSid: string }[] = [];
    for (let i = 0; i < 40; i++) {
      const call = new TestCall(app);
      await call.toReadback();
      await call.press('1');
      await call.hangup();
      calls.push({ callSid: call.callSid, recordingSid: newRecordingSid() });
    }
    const byCall = new Map(calls.map((c) => [c.callSid, c.recordingSid]));
    let sms = 0;
    let deletes = 0;
    for (const c of calls) nock(TWILIO).get(`${mediaPath(c.recordingSid)}.wav`).times(20).reply(200, wav, { 'Content-Length': String(wav.length) });
    nock(TWILIO).post(`/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Messages.json`).times(200).reply(() => (sms++, [201, { sid: `SM${'1'.repeat(32)}` }]));
    const deleted = new Set<string>();
    const sidIn = (request: unknown) => /(RE[0-9a-f]{32})\.json/.exec(typeof request === 'string' ? request : (request as { url: string }).url)![1]!;
    nock(TWILIO).delete(/\/Recordings\/RE[0-9a-f]{32}\.json$/).times(200).reply((request: unknown) => (deletes++, deleted.add(sidIn(request)), [204, '']));
    // The recording resource, asked when a delete's answer was lost in the outage: gone once deleted.
    nock(TWILIO).get(/\/Recordings\/RE[0-9a-f]{32}\.json$/).times(200).reply((request: unknown) => (deleted.has(sidIn(request)) ? [404, { code: 20404, status: 404 }] : [200, { sid: sidIn(request), status: 'completed' }]));
    // Twilio's list of a call's recordings, for the sweep.
    nock(TWILIO).get(`/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Recordings.json`).query(true).times(200).reply((request: unknown) => {
      // nock 15 hands the request (older versions: its path).
      const url = typeof request === 'string' ? request : (request as { url: string }).url;
      const callSid = new URL(url, TWILIO).searchParams.get('CallSid') ?? '';
      const recordingSid = byCall.get(callSid);
      return [200, { recordings: recordingSid ? [{ sid: recordingSid, account_sid: TEST_ACCOUNT_SID, call_sid: callSid, status: 'completed', duration: String(Math.round(tape.seconds)), channels: 2 }] : [] }];
    });

    const answers: number[] = [];
    const burst = calls.map(async (c, i) => {
      await sleep(i * 100);
      const started = Date.now();
      const res = await postSigned(app, '/twilio/recording?attempt=1', recordingCallbackParams(c.callSid, c.recordingSid, tape.seconds)).catch(() => undefined);
      answers[i] = res?.status ?? 0;
      return Date.now() - started;
    });
    while (answers.filter((a) => a !== undefined).length < 20) await sleep(20); // half of them answered
    const stopped = Date.now();
    await server.stop();
    const durations = await Promise.all(burst);
    await sleep(Math.max(0, 15_000 - (Date.now() - stopped)));
    server = await startEmbeddedPostgres(pgDir, port);
    const restarted = Date.now();

    // The sweep runs every minute by itself; here it is run as soon as its grace has passed.
    let consents: any[] = [];
    for (;;) {
      await sleep(2000);
      await app.pipeline.sweep().catch(() => undefined);
      consents = (await api(app, 'GET', '/api/consents?status=ready').catch(() => ({ json: undefined }))).json?.consents ?? [];
      if (consents.filter((c: any) => byCall.has(c.callSid)).length >= 40 || Date.now() - restarted > 240_000) break;
    }
    await sleep(3000);
    consents = (await api(app, 'GET', '/api/consents')).json.consents.filter((c: any) => byCall.has(c.callSid));
    const perCall = new Map<string, number>();
    for (const c of consents) perCall.set(c.callSid, (perCall.get(c.callSid) ?? 0) + 1);
    const stored = answers.filter((s) => s === 204).length;
    const refused = answers.filter((s) => s === 503).length;
    measured.push(
      `stopped mid-burst: ${stored} callbacks stored (204), ${refused} answered 503, slowest answer ${Math.max(...durations)} ms; ` +
        `after the restart ${consents.length} consents (${consents.filter((c: any) => c.status === 'ready').length} ready) in ${((Date.now() - restarted) / 1000).toFixed(0)} s, ${sms} SMS, ${deletes} deletes`,
    );
    expect(refused).toBeGreaterThan(0);
    expect(answers.every((s) => s === 204 || s === 503)).toBe(true);
    expect(consents).toHaveLength(40);
    expect([...perCall.values()].every((n) => n === 1)).toBe(true);
    expect(consents.every((c: any) => c.status === 'ready')).toBe(true);
    await sleep(2000);
    expect(sms).toBe(40);
    expect(deletes).toBe(40);
  }, 500_000);
});

describe('the database hung (SIGSTOP), not refusing', () => {
  it('every webhook is answered within 5 s, and the service recovers by itself when it is back', async () => {
    const live: TestCall[] = [];
    for (let i = 0; i < 10; i++) {
      const call = new TestCall(app);
      await call.start();
      live.push(call);
    }
    const tape = consentTape({ answer: 'key' });
    freeze();
    const timings: { kind: string; ms: number; status: number; apology: boolean }[] = [];
    const timed = async (kind: string, work: () => Promise<Response>) => {
      const started = Date.now();
      const res = await work();
      const body = await res.text();
      timings.push({ kind, ms: Date.now() - started, status: res.status, apology: body.includes('죄송합니다') });
    };
    try {
      const base = (callSid: string) => ({ CallSid: callSid, AccountSid: TEST_ACCOUNT_SID, From: '+821012345678', To: '+8215880000', CallStatus: 'in-progress', Direction: 'inbound' });
      await Promise.all([
        ...Array.from({ length: 10 }, () => timed('voice', () => postSigned(app, '/twilio/voice', base(newCallSid())))),
        ...live.map((c) => timed('gather', () => postSigned(app, '/twilio/voice/gather?turn=1', { ...base(c.callSid), Digits: '2' }))),
        ...Array.from({ length: 10 }, () => timed('recording', () => postSigned(app, '/twilio/recording?attempt=1', recordingCallbackParams(newCallSid(), newRecordingSid(), tape.seconds)))),
        ...live.map((c) => timed('status', () => postSigned(app, '/twilio/status', { ...base(c.callSid), CallStatus: 'completed' }))),
      ]);
    } finally {
      thaw();
    }
    const slowest = Math.max(...timings.map((t) => t.ms));
    const voice = timings.filter((t) => t.kind === 'voice' || t.kind === 'gather');
    // Back: a new call is served without a restart.
    const thawed = Date.now();
    let recovered = false;
    while (!recovered && Date.now() - thawed < 30_000) {
      const call = new TestCall(app);
      const res = await postSigned(app, '/twilio/voice', { CallSid: call.callSid, AccountSid: TEST_ACCOUNT_SID, From: '+821012345678', To: '+8215880000', CallStatus: 'in-progress', Direction: 'inbound' });
      recovered = res.status === 200 && !(await res.text()).includes('일시적인 오류');
      if (!recovered) await sleep(500);
    }
    const ready = await fetch(`${app.url}/readyz`);
    measured.push(
      `hung: ${timings.length} webhooks, slowest ${slowest} ms, ${timings.filter((t) => t.ms <= 5000).length} within 5 s; ` +
        `${voice.filter((t) => t.status === 200 && t.apology).length}/${voice.length} voice webhooks got the apology TwiML; ` +
        `recording callbacks ${timings.filter((t) => t.kind === 'recording').map((t) => t.status).join(',')}; recovered in ${Date.now() - thawed} ms; /readyz ${ready.status}`,
    );
    expect(timings).toHaveLength(40);
    expect(slowest).toBeLessThanOrEqual(5000);
    expect(voice.every((t) => t.status === 200 && t.apology)).toBe(true);
    expect(timings.filter((t) => t.kind === 'recording').every((t) => t.status === 503)).toBe(true);
    expect(recovered).toBe(true);
    expect(ready.status).toBe(200);
  }, 120_000);
});
