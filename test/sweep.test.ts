import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { api, freshDatabase, startTestApp, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, type TestApp } from './support/app.js';
import { TestCall } from './support/caller.js';
import { consentTape, mediaPath, newRecordingSid, postRecordingCallback, recordingCallbackParams, serveMedia, tapeWav, waitForConsent } from './support/recording.js';

/**
 * Lost work found again: the sweep ends a call whose status callback was lost (abandoned, not left
 * at its last step); a consent whose recording callback never came is asked of Twilio
 * RECORDING_RECONCILE_SECONDS after it was given.
 */

let app: TestApp;
/** No workers: a fetch job stays queued, as it does between retries (backoff up to 10 minutes). */
let quiet: TestApp;
beforeAll(async () => {
  // Both apps start before either does any work (as the two-instance tests do).
  app = await startTestApp({ SILENT_CALL_SECONDS: '60', RECORDING_RECONCILE_SECONDS: '1', JOB_POLL_SECONDS: '0.5' });
  quiet = await startTestApp({ PIPELINE_WORKERS: 'false', SWEEP_GRACE_SECONDS: '1' });
  for (const a of [app, quiet]) await api(a, 'POST', '/api/payers', { payerNumber: '900400', name: '홍길동', birthDate: '19940424', phone: '+821012345678' });
});
afterAll(async () => {
  await app?.close();
  await quiet?.close();
});

describe('the sweep', () => {
  it('a call no webhook touched for SILENT_CALL_SECONDS is ended as abandoned; a live one is left alone', async () => {
    const silent = new TestCall(app);
    await silent.toReadback();
    const live = new TestCall(app);
    await live.toReadback();
    // The status callback of `silent` was lost an hour ago (its last webhook: an hour ago).
    await app.db.pool.query("UPDATE calls SET updated_at = now() - interval '1 hour' WHERE call_sid = $1", [silent.callSid]);
    const swept = await app.pipeline.sweep();
    expect(swept.ended).toBe(1);
    const rows = (await app.db.pool.query('SELECT call_sid, outcome, step FROM calls WHERE call_sid = ANY($1)', [[silent.callSid, live.callSid]])).rows;
    expect(rows.find((r) => r.call_sid === silent.callSid)).toMatchObject({ outcome: 'abandoned', step: 'ended' });
    expect(rows.find((r) => r.call_sid === live.callSid)!.outcome).toBeNull();
    expect((await app.pipeline.sweep()).ended).toBe(0);
  });
});

describe('a consent whose recording callback never comes', () => {
  it('three consents at the same moment: each call is listed at Twilio a second later and becomes one consent record', async () => {
    const calls = [new TestCall(app, '+821012345678'), new TestCall(app, '+821012345678'), new TestCall(app, '+821012345678')];
    for (const call of calls) await call.toReadback();
    const tape = consentTape({ answer: 'key' });
    const wav = tapeWav(tape);
    const listed: string[] = [];
    for (const call of calls) {
      const recordingSid = newRecordingSid();
      serveMedia(recordingSid, wav, TEST_AUTH_TOKEN);
      nock('https://api.twilio.com')
        .get(`/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Recordings.json`)
        .query((q) => q.CallSid === call.callSid)
        .reply(() => {
          listed.push(call.callSid);
          return [200, { recordings: [{ sid: recordingSid, account_sid: TEST_ACCOUNT_SID, call_sid: call.callSid, status: 'completed', duration: String(Math.round(tape.seconds)), channels: 2, uri: `${mediaPath(recordingSid)}.json` }] }];
        });
      nock('https://api.twilio.com').delete(`${mediaPath(recordingSid)}.json`).reply(204, '');
    }
    nock('https://api.twilio.com').post(`/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Messages.json`).times(3).reply(201, { sid: `SM${'2'.repeat(32)}` });
    // The three say yes at once; no recording callback ever arrives.
    await Promise.all(calls.map((c) => c.press('1')));
    for (const call of calls) expect(call.text()).toContain('1번을 선택하셨습니다');
    const consents = await Promise.all(calls.map((c) => waitForConsent(app, c.callSid, 30_000)));
    expect(consents.map((c) => c?.status)).toEqual(['ready', 'ready', 'ready']);
    expect(listed.sort()).toEqual(calls.map((c) => c.callSid).sort());
    for (const call of calls) expect((await api(app, 'GET', `/api/consents?callSid=${call.callSid}`)).json.consents).toHaveLength(1);
  });
});

describe('a recording whose download waits for its retry', () => {
  it('is not queued a second time by the sweep; once its job is gone, it is', async () => {
    const call = new TestCall(quiet);
    await call.toReadback();
    await call.press('1');
    await call.hangup();
    const recordingSid = newRecordingSid();
    expect(await postRecordingCallback(quiet, recordingCallbackParams(call.callSid, recordingSid, 30))).toBe(204);
    await quiet.db.pool.query("UPDATE recordings SET updated_at = now() - interval '1 hour' WHERE recording_sid = $1", [recordingSid]);
    expect((await quiet.pipeline.sweep()).requeued).toBe(0);
    // The job lost (as if its row went with a restored backup): the sweep queues the download again.
    await quiet.db.pool.query("DELETE FROM pgboss.job WHERE name = 'recording-fetch' AND singleton_key = $1", [recordingSid]);
    expect((await quiet.pipeline.sweep()).requeued).toBe(1);
    const jobs = await quiet.db.pool.query("SELECT state FROM pgboss.job WHERE name = 'recording-fetch' AND singleton_key = $1", [recordingSid]);
    expect(jobs.rows.map((r) => r.state)).toEqual(['created']);
  });
});

describe('a consent given just before the process stops', () => {
  it("still has its recording check scheduled: the stop inserts the checks that were waiting to share an insert", async () => {
    const url = await freshDatabase();
    const stopping = await startTestApp({ PIPELINE_WORKERS: 'false' }, url);
    await api(stopping, 'POST', '/api/payers', { payerNumber: '900401', name: '홍길동', birthDate: '19940424', phone: '+821012345679' });
    const call = new TestCall(stopping, '+821012345679');
    await call.toReadback();
    await call.press('1');
    await stopping.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const jobs = await client.query("SELECT data FROM pgboss.job WHERE name = 'recording-reconcile' AND data->>'callSid' = $1", [call.callSid]);
      expect(jobs.rows).toEqual([{ data: { callSid: call.callSid, attempt: 1 } }]);
    } finally {
      await client.end();
    }
  });
});

