import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readinessProblems } from '../src/http/readiness.js';
import { armFault, disarmFaults } from '../src/shared/faults.js';
import { api, startTestApp, TEST_ACCOUNT_SID, type TestApp } from './support/app.js';
import { TestCall } from './support/caller.js';
import { consentTape, mediaPath, newRecordingSid, postRecordingCallback, recordingCallbackParams, serveMedia, tapeWav, waitForPipeline } from './support/recording.js';
import { TEST_AUTH_TOKEN } from './support/app.js';

/**
 * The recording pipeline under faults, in-process on the real database: a statement failing at
 * each point between the callback and the deletion at Twilio, media faults, a full disk, a late
 * callback. Each ends with exactly one consent, one MP3, one SMS and one deletion at Twilio, or
 * (when good media never comes) with the recording kept at Twilio and the problem listed.
 */

let app: TestApp;
const PAYER = { payerNumber: '900200', name: '홍길동', birthDate: '19940424', phone: '+821012345678' };
const TWILIO = 'https://api.twilio.com';
const measured: string[] = [];

beforeAll(async () => {
  app = await startTestApp({
    JOB_POLL_SECONDS: '0.5',
    JOB_RETRY_LIMIT: '3',
    JOB_RETRY_DELAY_SECONDS: '1',
    MEDIA_RETRY_DELAYS_MS: '100,200',
    // A body cut short without the socket closing is noticed when the read times out.
    MEDIA_TIMEOUT_MS: '3000',
    SWEEP_GRACE_SECONDS: '1',
  });
  await api(app, 'POST', '/api/payers', PAYER);
});
afterEach(() => disarmFaults());
afterAll(async () => {
  console.log(`pipeline faults, measured:\n  ${measured.join('\n  ')}`);
  await app?.close();
});

async function consentCall(): Promise<TestCall> {
  const call = new TestCall(app);
  await call.toReadback();
  await call.press('1');
  await call.hangup();
  return call;
}

/** Twilio's side after the consent: SMS and deletions, counted. */
function twilioFollowUps(recordingSid: string) {
  const counts = { sms: 0, deletes: 0 };
  nock(TWILIO).post(`/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Messages.json`).times(10).reply(() => {
    counts.sms++;
    return [201, { sid: `SM${'1'.repeat(32)}` }];
  });
  nock(TWILIO).delete(`${mediaPath(recordingSid)}.json`).times(10).reply(() => {
    counts.deletes++;
    return [204, ''];
  });
  // The recording resource: gone once deleted.
  nock(TWILIO).get(`${mediaPath(recordingSid)}.json`).times(10).reply(() =>
    counts.deletes > 0 ? [404, { code: 20404, message: 'The requested resource was not found', status: 404 }] : [200, { sid: recordingSid, account_sid: TEST_ACCOUNT_SID, status: 'completed' }],
  );
  return counts;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => Promise<boolean> | boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(100);
  }
}

async function consentsOf(callSid: string): Promise<any[]> {
  return (await api(app, 'GET', `/api/consents?callSid=${callSid}`)).json.consents;
}

function filesOf(callSid: string, ext: string): string[] {
  return readdirSync(app.config.recordingsDir, { recursive: true }).map(String).filter((f) => f.includes(callSid) && f.endsWith(ext));
}

/** One consent ready, one MP3, one SMS, one deletion: waits for all, then a little longer for any second one. */
async function expectExactlyOnce(callSid: string, counts: { sms: number; deletes: number }, label: string) {
  await until(async () => (await consentsOf(callSid)).some((c) => c.status === 'ready') && counts.sms >= 1 && counts.deletes >= 1);
  await sleep(1500);
  const consents = await consentsOf(callSid);
  const mp3s = filesOf(callSid, '.mp3');
  measured.push(`${label}: ${consents.length} consent (${consents.map((c) => c.status).join(', ')}), ${mp3s.length} MP3, ${counts.sms} SMS, ${counts.deletes} delete, ${filesOf(callSid, '.tmp').length} temporary files`);
  expect(consents).toHaveLength(1);
  expect(consents[0].status).toBe('ready');
  expect(mp3s).toHaveLength(1);
  expect(counts.sms).toBe(1);
  expect(counts.deletes).toBe(1);
  expect(filesOf(callSid, '.tmp')).toHaveLength(0);
}

// after-twilio-delete: Twilio deleted the recording but its answer was never recorded; the retry asks
// Twilio (gone) and sends no second delete.
describe('a statement failing at each point from the callback to the deletion', () => {
  for (const point of ['after-callback-row', 'after-recording-row', 'after-job']) {
    it(`${point}: the callback is answered 503, nothing half-stored; Twilio's retry gives one consent`, async () => {
      const call = await consentCall();
      const recordingSid = newRecordingSid();
      const tape = consentTape({ answer: 'key' });
      serveMedia(recordingSid, tapeWav(tape), TEST_AUTH_TOKEN);
      const counts = twilioFollowUps(recordingSid);
      const params = recordingCallbackParams(call.callSid, recordingSid, tape.seconds);
      armFault(point);
      expect(await postRecordingCallback(app, params)).toBe(503);
      const stored = await app.db.pool.query('SELECT (SELECT count(*) FROM recording_callbacks WHERE recording_sid = $1) AS callbacks, (SELECT count(*) FROM recordings WHERE recording_sid = $1) AS recordings', [recordingSid]);
      expect(stored.rows[0]).toEqual({ callbacks: 0, recordings: 0 });
      expect(app.logs.some((l) => l.includes('"level":50') && l.includes('RECORDING CALLBACK NOT STORED'))).toBe(true);
      expect(await postRecordingCallback(app, params)).toBe(204);
      await expectExactlyOnce(call.callSid, counts, `fault ${point}`);
    });
  }

  it('after-callback-row, and Twilio never retries: the sweep lists the call at Twilio and makes the consent', async () => {
    const call = await consentCall();
    const recordingSid = newRecordingSid();
    const tape = consentTape({ answer: 'key' });
    serveMedia(recordingSid, tapeWav(tape), TEST_AUTH_TOKEN);
    const counts = twilioFollowUps(recordingSid);
    const params = recordingCallbackParams(call.callSid, recordingSid, tape.seconds);
    nock(TWILIO).get(`/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Recordings.json`).query(true).reply(200, {
      recordings: [{ sid: recordingSid, account_sid: TEST_ACCOUNT_SID, call_sid: call.callSid, status: 'completed', duration: String(Math.round(tape.seconds)), channels: 2, uri: `/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Recordings/${recordingSid}.json` }],
    });
    armFault('after-callback-row');
    expect(await postRecordingCallback(app, params)).toBe(503);
    await sleep(1200); // the sweep's grace
    await until(async () => (await app.pipeline.sweep()).reconciled > 0 || (await consentsOf(call.callSid)).length > 0, 10_000);
    await expectExactlyOnce(call.callSid, counts, 'lost callback, swept');
  });

  for (const point of ['during-download', 'during-encoding', 'after-consent-insert', 'after-sms', 'after-twilio-delete']) {
    it(`${point}: the job runs again; one consent, one MP3, one SMS, one delete`, async () => {
      const call = await consentCall();
      const recordingSid = newRecordingSid();
      const tape = consentTape({ answer: 'key' });
      const wav = tapeWav(tape);
      nock(TWILIO).get(`${mediaPath(recordingSid)}.wav`).times(3).reply(200, wav, { 'Content-Length': String(wav.length) });
      const counts = twilioFollowUps(recordingSid);
      armFault(point);
      expect(await postRecordingCallback(app, recordingCallbackParams(call.callSid, recordingSid, tape.seconds))).toBe(204);
      await expectExactlyOnce(call.callSid, counts, `fault ${point}`);
    });
  }
});

describe('media faults: the recording is judged only on complete media, and kept at Twilio until a ready consent', () => {
  type Reply = (scope: nock.Scope, p: string, wav: Buffer) => void;
  const cases: [string, Reply][] = [
    ['404 for a while, then 200', (s, p, wav) => s.get(p).times(4).reply(404, { code: 20404 }).get(p).reply(200, wav, { 'Content-Length': String(wav.length) })],
    ['500s, then 200', (s, p, wav) => s.get(p).times(4).reply(500, 'boom').get(p).reply(200, wav, { 'Content-Length': String(wav.length) })],
    ['the connection cut mid-body, then 200', (s, p, wav) => s.get(p).reply(200, wav.subarray(0, wav.length >> 1), { 'Content-Length': String(wav.length) }).get(p).reply(200, wav, { 'Content-Length': String(wav.length) })],
    ['a truncated WAV, then a good one', (s, p, wav) => s.get(p).times(2).reply(200, wav.subarray(0, Math.floor(wav.length * 0.6))).get(p).reply(200, wav)],
    ['an empty 200, then a good one', (s, p, wav) => s.get(p).times(2).reply(200, Buffer.alloc(0), { 'Content-Length': '0' }).get(p).reply(200, wav)],
    ['an HTML 200, then a good one', (s, p, wav) => s.get(p).reply(200, '<html>busy</html>').get(p).reply(200, wav)],
  ];
  for (const [label, reply] of cases) {
    it(`${label}: ready, deleted at Twilio once`, async () => {
      const call = await consentCall();
      const recordingSid = newRecordingSid();
      const tape = consentTape({ answer: 'key' });
      reply(nock(TWILIO), `${mediaPath(recordingSid)}.wav`, tapeWav(tape));
      const counts = twilioFollowUps(recordingSid);
      await postRecordingCallback(app, recordingCallbackParams(call.callSid, recordingSid, tape.seconds));
      await expectExactlyOnce(call.callSid, counts, `media: ${label}`);
      const consent = (await consentsOf(call.callSid))[0];
      expect(consent.evidence.passed).toBe(true);
    }, 60_000);
  }

  it('a 100 MB body: cut off at the cap, never judged, never deleted at Twilio, listed as a problem', async () => {
    const call = await consentCall();
    const recordingSid = newRecordingSid();
    const tape = consentTape({ answer: 'key' });
    let sent = 0;
    nock(TWILIO).get(`${mediaPath(recordingSid)}.wav`).reply(200, () =>
      Readable.from((function* () {
        const chunk = Buffer.alloc(1024 * 1024, 1);
        for (let i = 0; i < 100; i++) {
          sent += chunk.length;
          yield chunk;
        }
      })()),
    );
    const counts = twilioFollowUps(recordingSid);
    await postRecordingCallback(app, recordingCallbackParams(call.callSid, recordingSid, tape.seconds));
    const rec = await waitForPipeline(app, recordingSid, ['failed'], 30_000);
    expect(rec.pipeline_error).toMatch(/over the \d+-byte cap/);
    await sleep(1000);
    expect(counts.deletes).toBe(0);
    expect(await consentsOf(call.callSid)).toHaveLength(0);
    const problems = (await api(app, 'GET', '/api/problems')).json.problems;
    const mine = problems.find((p: any) => p.callSid === call.callSid);
    expect(mine).toMatchObject({ kind: 'call', stage: 'failed', recordingSid });
    expect(mine.reason).toMatch(/cap/);
    measured.push(`media: 100 MB body: read ${Math.round(sent / 1e6)} MB before the cut, pipeline failed, ${counts.deletes} delete, listed in /api/problems`);
  });

  it('a recording whose media stays truncated: evidence_failed, kept at Twilio, listed as a problem', async () => {
    const call = await consentCall();
    const recordingSid = newRecordingSid();
    const tape = consentTape({ answer: 'key' });
    const wav = tapeWav(tape);
    nock(TWILIO).get(`${mediaPath(recordingSid)}.wav`).times(12).reply(200, wav.subarray(0, Math.floor(wav.length * 0.6)));
    const counts = twilioFollowUps(recordingSid);
    await postRecordingCallback(app, recordingCallbackParams(call.callSid, recordingSid, tape.seconds));
    await until(async () => (await consentsOf(call.callSid)).length > 0, 60_000);
    await sleep(1500);
    expect((await consentsOf(call.callSid))[0].status).toBe('evidence_failed');
    expect(counts.deletes).toBe(0);
    expect(counts.sms).toBe(0);
    const problems = (await api(app, 'GET', '/api/problems')).json.problems;
    expect(problems.find((p: any) => p.callSid === call.callSid)).toMatchObject({ stage: 'evidence-failed' });
    measured.push(`media: truncated every time: evidence_failed after 12 fetches, ${counts.deletes} delete, ${counts.sms} SMS, listed in /api/problems`);
  }, 90_000);
});

describe('a full disk', () => {
  it('the write fails with ENOSPC: no temporary file left, an error naming the folder, the consent once space is back', async () => {
    const call = await consentCall();
    const recordingSid = newRecordingSid();
    const tape = consentTape({ answer: 'key' });
    const wav = tapeWav(tape);
    nock(TWILIO).get(`${mediaPath(recordingSid)}.wav`).times(4).reply(200, wav, { 'Content-Length': String(wav.length) });
    const counts = twilioFollowUps(recordingSid);
    armFault('disk-write', 2);
    await postRecordingCallback(app, recordingCallbackParams(call.callSid, recordingSid, tape.seconds));
    await until(() => app.logs.some((l) => l.includes('DISK FULL') && l.includes(recordingSid)));
    const line = JSON.parse(app.logs.find((l) => l.includes('DISK FULL') && l.includes(recordingSid))!);
    expect(line.level).toBe(50);
    expect(line.err).toContain(path.join(app.config.recordingsDir));
    expect(line.err).toMatch(/\d+ bytes needed/);
    expect(filesOf(call.callSid, '.tmp')).toHaveLength(0);
    await expectExactlyOnce(call.callSid, counts, 'full disk (2 failed writes)');
  });
});

describe('late callbacks', () => {
  it('an absent after a ready consent changes nothing and alarms nobody', async () => {
    const call = await consentCall();
    const recordingSid = newRecordingSid();
    const tape = consentTape({ answer: 'key' });
    serveMedia(recordingSid, tapeWav(tape), TEST_AUTH_TOKEN);
    const counts = twilioFollowUps(recordingSid);
    const params = recordingCallbackParams(call.callSid, recordingSid, tape.seconds);
    await postRecordingCallback(app, params);
    await expectExactlyOnce(call.callSid, counts, 'before the late absent');
    const before = (await app.db.pool.query('SELECT status, pipeline, pipeline_error FROM recordings WHERE recording_sid = $1', [recordingSid])).rows[0];
    const logsBefore = app.logs.length;
    expect(await postRecordingCallback(app, { ...params, RecordingStatus: 'absent' })).toBe(204);
    expect(await postRecordingCallback(app, { ...params, RecordingStatus: 'failed', ErrorCode: '13617' })).toBe(204);
    await sleep(500);
    const after = (await app.db.pool.query('SELECT status, pipeline, pipeline_error FROM recordings WHERE recording_sid = $1', [recordingSid])).rows[0];
    expect(after).toEqual(before);
    const newLines = app.logs.slice(logsBefore);
    expect(newLines.filter((l) => /"level":(40|50)/.test(l))).toEqual([]);
    expect((await consentsOf(call.callSid)).map((c) => c.status)).toEqual(['ready']);
    expect((await api(app, 'GET', '/api/problems')).json.problems.some((p: any) => p.callSid === call.callSid)).toBe(false);
    measured.push(`late absent + failed after a ready consent: recording row unchanged, ${newLines.filter((l) => /"level":(40|50)/.test(l)).length} warnings or errors`);
  });
});

describe('readiness and the problems list', () => {
  it('GET /readyz is 200 when ready; /api/problems is for admins and auditors', async () => {
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true });
    expect((await fetch(`${app.url}/api/problems`)).status).toBe(401);
    const noRoom = await readinessProblems({ db: app.db.pool, recordingsDir: app.config.recordingsDir, minFreeBytes: Number.MAX_SAFE_INTEGER });
    expect(noRoom).toHaveLength(1);
    expect(noRoom[0]).toMatch(/bytes free; \d+ needed/);
    const nowhere = await readinessProblems({ db: app.db.pool, recordingsDir: path.join(app.config.recordingsDir, 'missing', 'dir'), minFreeBytes: 0 });
    expect(nowhere.join(' ')).toMatch(/not writable: ENOENT/);
  });
});
