import { readFileSync } from 'node:fs';
import { writeFile, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectDtmf } from '../src/audio/analysis.js';
import { ffmpegDecodeToPcm } from '../src/audio/ffmpegEncoder.js';
import { readMp3 } from '../src/audio/mp3.js';
import { encodeWav } from '../src/audio/wav.js';
import { isWellFormedVerificationNumber } from '../src/consents/verification.js';
import { api, startTestApp, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, type TestApp } from './support/app.js';
import { TestCall } from './support/caller.js';
import {
  consentTape, mediaPath, newRecordingSid, postRecordingCallback, recordingCallbackParams, serveMedia, tapeWav, waitForConsent, waitForPipeline,
} from './support/recording.js';

let app: TestApp;
const PAYER = { payerNumber: '900100', name: '홍길동', birthDate: '19940424', phone: '+821012345678' };

beforeAll(async () => {
  app = await startTestApp({
    JOB_POLL_SECONDS: '0.5',
    JOB_RETRY_LIMIT: '1',
    JOB_RETRY_DELAY_SECONDS: '1',
    MEDIA_RETRY_DELAYS_MS: '100,200',
  });
  await api(app, 'POST', '/api/payers', PAYER);
});
afterAll(async () => {
  await app?.close();
});

async function consentCall(answer: 'key' | 'voice'): Promise<TestCall> {
  const call = new TestCall(app);
  await call.toReadback();
  if (answer === 'key') await call.press('1');
  else await call.speak('네 맞습니다');
  expect(call.has('Hangup')).toBe(true);
  await call.hangup();
  return call;
}

/** Twilio's side after the record: the SMS and the deletion of the recording. */
function expectFollowUps(recordingSid: string) {
  const sms: Record<string, string>[] = [];
  const messages = nock('https://api.twilio.com')
    .post(`/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Messages.json`, (b) => {
      sms.push(b);
      return true;
    })
    .reply(201, { sid: `SM${'1'.repeat(32)}` });
  const deletion = nock('https://api.twilio.com').delete(`${mediaPath(recordingSid)}.json`).reply(204);
  return { sms, messages, deletion };
}

async function waitUntil(check: () => boolean, ms = 10_000) {
  const until = Date.now() + ms;
  while (!check() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
}

describe('from recording to consent record', () => {
  it('key consent: a valid MP3 within 307,200 bytes, evidence passed, SMS with the verification number, recording deleted at Twilio', async () => {
    const call = await consentCall('key');
    const recordingSid = newRecordingSid();
    const tape = consentTape({ readbackText: call.transcript.find((t) => t.includes('고객님께서는'))!, answer: 'key' });
    const wav = tapeWav(tape);
    const media = serveMedia(recordingSid, wav, TEST_AUTH_TOKEN);
    const follow = expectFollowUps(recordingSid);
    expect(await postRecordingCallback(app, recordingCallbackParams(call.callSid, recordingSid, tape.seconds))).toBe(204);

    const consent = await waitForConsent(app, call.callSid);
    expect(consent, 'a consent record').toBeDefined();
    media.done();
    expect(consent).toMatchObject({
      status: 'ready',
      methodCode: 5,
      consentBy: 'key',
      callSid: call.callSid,
      recordingSid,
      serviceType: 'cms',
      organizationCode: '9912345678',
      payerNumber: '900100',
      holderName: '홍길동',
      birthDate: '940424',
      bankCode: '081',
      accountNumber: '75023332200333',
      fileExtension: 'mp3',
      bitrateKbps: 64,
    });
    expect(consent.applicationDate).toMatch(/^\d{8}$/);
    expect(consent.consentedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00$/);
    expect(isWellFormedVerificationNumber(consent.verificationNumber)).toBe(true);
    expect(consent.evidence.passed).toBe(true);
    expect(consent.evidence.checks.map((c: any) => c.name)).toEqual(['startsAtReadback', 'readbackWhole', 'complete', 'consentAnnounced']);

    // The audio: served with Range, hash and size as recorded, decodable, the right length.
    const audio = await fetch(`${app.url}/api/consents/${consent.id}/audio`, { headers: { Authorization: `Bearer ${app.config.adminToken}` } });
    expect(audio.status).toBe(200);
    expect(audio.headers.get('content-type')).toBe('audio/mpeg');
    const mp3 = Buffer.from(await audio.arrayBuffer());
    expect(mp3.length).toBe(consent.fileSize);
    expect(mp3.length).toBeLessThanOrEqual(307_200);
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(mp3).digest('hex')).toBe(consent.sha256);
    const info = readMp3(mp3);
    expect(info).toMatchObject({ version: 'MPEG-2.5', sampleRate: 8000, channels: 1, bitratesKbps: [64] });
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'mp3-')), 'c.mp3');
    await writeFile(file, mp3);
    const decoded = await ffmpegDecodeToPcm(file);
    expect(Math.abs(decoded.length / 8000 - tape.seconds)).toBeLessThan(0.3);
    // The key tone of the consent is in the MP3 (both voices mixed in).
    expect(detectDtmf(decoded, 8000).map((k) => k.key)).toContain('1');

    const partial = await fetch(`${app.url}/api/consents/${consent.id}/audio`, {
      headers: { Authorization: `Bearer ${app.config.adminToken}`, Range: 'bytes=0-99' },
    });
    expect(partial.status).toBe(206);
    expect((await partial.arrayBuffer()).byteLength).toBe(100);

    // The evidence master is kept with its hash.
    const rec = (await app.db.pool.query('SELECT * FROM recordings WHERE recording_sid = $1', [recordingSid])).rows[0];
    expect(readFileSync(rec.master_path).equals(wav)).toBe(true);

    await waitUntil(() => follow.sms.length > 0 && follow.deletion.isDone());
    expect(follow.sms[0]!.To).toBe('+821012345678');
    expect(follow.sms[0]!.Body).toContain(consent.verificationNumber);
    expect(follow.sms[0]!.Body).not.toContain('75023332200333');
    follow.deletion.done();
    await waitUntil(() => false, 300);
    const after = (await app.db.pool.query('SELECT deleted_at_twilio FROM recordings WHERE recording_sid = $1', [recordingSid])).rows[0];
    expect(after.deleted_at_twilio).not.toBeNull();
  });

  it('voice consent: the payer’s voice in the answer window and a recognised yes', async () => {
    const call = await consentCall('voice');
    const recordingSid = newRecordingSid();
    const tape = consentTape({ answer: 'voice' });
    serveMedia(recordingSid, tapeWav(tape), TEST_AUTH_TOKEN);
    expectFollowUps(recordingSid);
    await postRecordingCallback(app, recordingCallbackParams(call.callSid, recordingSid, tape.seconds));
    const consent = await waitForConsent(app, call.callSid);
    expect(consent.status).toBe('ready');
    expect(consent.consentBy).toBe('voice');
    expect(consent.evidence.checks.find((c: any) => c.name === 'payerSaidYes')).toMatchObject({ ok: true });
  });

  it('a voice consent whose payer track is silent fails the evidence check and is kept as evidence_failed', async () => {
    const call = await consentCall('voice');
    const recordingSid = newRecordingSid();
    const tape = consentTape({ answer: 'voice' });
    const { ars } = tape.tracks();
    const wav = encodeWav(8000, [new Int16Array(ars.length), ars]);
    serveMedia(recordingSid, wav, TEST_AUTH_TOKEN);
    nock('https://api.twilio.com').delete(`${mediaPath(recordingSid)}.json`).reply(204);
    await postRecordingCallback(app, recordingCallbackParams(call.callSid, recordingSid, tape.seconds));
    const consent = await waitForConsent(app, call.callSid);
    expect(consent.status).toBe('evidence_failed');
    const failed = consent.evidence.checks.find((c: any) => !c.ok);
    expect(failed.name).toBe('payerSaidYes');
    expect(failed.reason).toContain('납부자 음성');
    expect((await api(app, 'GET', '/api/consents?status=evidence_failed')).json.consents.map((c: any) => c.id)).toContain(consent.id);
  });

  it('media that 404s for a while is fetched once it is there', async () => {
    const call = await consentCall('key');
    const recordingSid = newRecordingSid();
    const tape = consentTape({ answer: 'key' });
    const notYet = nock('https://api.twilio.com').get(`${mediaPath(recordingSid)}.wav`).times(2).reply(404, { code: 20404 });
    const media = serveMedia(recordingSid, tapeWav(tape), TEST_AUTH_TOKEN);
    expectFollowUps(recordingSid);
    await postRecordingCallback(app, recordingCallbackParams(call.callSid, recordingSid, tape.seconds));
    const consent = await waitForConsent(app, call.callSid);
    expect(consent.status).toBe('ready');
    notYet.done();
    media.done();
  });

  it('repeated 500s: retried with backoff, then the pipeline gives up loudly and no consent is made', async () => {
    const call = await consentCall('key');
    const recordingSid = newRecordingSid();
    const tape = consentTape({ answer: 'key' });
    // 3 tries per job run, 2 runs (retry limit 1).
    const failing = nock('https://api.twilio.com').get(`${mediaPath(recordingSid)}.wav`).times(6).reply(500, 'boom');
    await postRecordingCallback(app, recordingCallbackParams(call.callSid, recordingSid, tape.seconds));
    const rec = await waitForPipeline(app, recordingSid, ['failed'], 20_000);
    failing.done();
    expect(rec.pipeline_error).toContain('500');
    expect(await waitForConsent(app, call.callSid, 300)).toBeUndefined();
    expect(app.logs.some((l) => l.includes('CONSENT RECORDING FAILED'))).toBe(true);
  });

  it('a truncated recording fails the evidence check with the reason', async () => {
    const call = await consentCall('key');
    const recordingSid = newRecordingSid();
    const tape = consentTape({ answer: 'key' });
    const wav = tapeWav(tape);
    // Still cut short after every fetch (3 a run, 2 runs): judged on the last run, and kept at Twilio.
    const cut = wav.subarray(0, Math.floor(wav.length * 0.6));
    const media = nock('https://api.twilio.com').get(`${mediaPath(recordingSid)}.wav`).times(6).reply(200, cut, { 'Content-Length': String(cut.length) });
    const deletion = nock('https://api.twilio.com').delete(`${mediaPath(recordingSid)}.json`).reply(204);
    await postRecordingCallback(app, recordingCallbackParams(call.callSid, recordingSid, tape.seconds));
    const consent = await waitForConsent(app, call.callSid);
    expect(consent.status).toBe('evidence_failed');
    media.done();
    await new Promise((r) => setTimeout(r, 1000));
    expect(deletion.isDone()).toBe(false);
    const reasons = consent.evidence.checks.filter((c: any) => !c.ok).map((c: any) => c.name);
    expect(reasons).toContain('complete');
    expect(reasons).toContain('consentAnnounced');
  });

  it('a recording too long even for 8 kbps fails with a clear reason, and no file over budget is produced', async () => {
    const call = await consentCall('key');
    const recordingSid = newRecordingSid();
    const tape = consentTape({ answer: 'key', extraSeconds: 300 });
    serveMedia(recordingSid, tapeWav(tape), TEST_AUTH_TOKEN);
    await postRecordingCallback(app, recordingCallbackParams(call.callSid, recordingSid, tape.seconds));
    const rec = await waitForPipeline(app, recordingSid, ['failed'], 30_000);
    expect(rec.pipeline_error).toMatch(/too long for 307200 bytes even at 8 kbps/);
    expect(await waitForConsent(app, call.callSid, 300)).toBeUndefined();
  });

  it('duplicate and out-of-order callbacks give exactly one consent', async () => {
    const call = await consentCall('key');
    const recordingSid = newRecordingSid();
    const tape = consentTape({ answer: 'key' });
    const media = serveMedia(recordingSid, tapeWav(tape), TEST_AUTH_TOKEN);
    expectFollowUps(recordingSid);
    const params = recordingCallbackParams(call.callSid, recordingSid, tape.seconds);
    await Promise.all([1, 2, 3].map(() => postRecordingCallback(app, params)));
    await postRecordingCallback(app, { ...params, RecordingStatus: 'in-progress' });
    const consent = await waitForConsent(app, call.callSid);
    await postRecordingCallback(app, params);
    await new Promise((r) => setTimeout(r, 1000));
    const all = (await api(app, 'GET', `/api/consents?callSid=${call.callSid}`)).json.consents;
    expect(all).toHaveLength(1);
    expect(all[0].id).toBe(consent.id);
    media.done();
    const rec = (await app.db.pool.query('SELECT status FROM recordings WHERE recording_sid = $1', [recordingSid])).rows[0];
    expect(rec.status).toBe('completed');
  });

  it('a recording of a declined readback is not evidence: not downloaded, deleted at Twilio', async () => {
    const call = new TestCall(app);
    await call.toReadback();
    nock('https://api.twilio.com').post(/Recordings\/Twilio\.CURRENT\.json/).reply(200, {});
    await call.press('2');
    const recordingSid = newRecordingSid();
    const deletion = nock('https://api.twilio.com').delete(`${mediaPath(recordingSid)}.json`).reply(204);
    await postRecordingCallback(app, recordingCallbackParams(call.callSid, recordingSid, 20), 1);
    const rec = await waitForPipeline(app, recordingSid, ['skipped']);
    expect(rec.purpose).toBe('not-consent');
    await waitUntil(() => deletion.isDone());
    deletion.done();
  });

  it('the consent API filters, validates and answers 404', async () => {
    const all = (await api(app, 'GET', '/api/consents')).json.consents;
    expect(all.length).toBeGreaterThan(0);
    expect((await api(app, 'GET', '/api/consents?methodCode=5&payerNumber=900100')).json.consents.length).toBe(all.length);
    expect((await api(app, 'GET', '/api/consents?methodCode=4')).json.consents).toHaveLength(0);
    const today = all[0].consentedAt.slice(0, 10);
    expect((await api(app, 'GET', `/api/consents?from=${today}&to=${today}`)).json.consents.length).toBe(all.length);
    expect((await api(app, 'GET', '/api/consents?from=2000-01-01&to=2000-01-02')).json.consents).toHaveLength(0);
    const bad = await api(app, 'GET', '/api/consents?from=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.json.field).toBe('from');
    expect((await api(app, 'GET', '/api/consents?status=weird')).status).toBe(400);
    expect((await api(app, 'GET', '/api/consents/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    // Issue 14: a malformed id is a 400 naming it (it was answered like an unknown one).
    expect((await api(app, 'GET', '/api/consents/not-a-uuid')).json).toMatchObject({ error: 'validation', field: 'id' });
    expect((await api(app, 'GET', `/api/consents/${all[0].id}`)).json.id).toBe(all[0].id);
  });

  it('never logs the account number, birthdate or verification numbers', async () => {
    const joined = app.logs.join('\n');
    expect(joined).not.toContain('75023332200333');
    expect(joined).not.toContain('19940424');
    const numbers = (await api(app, 'GET', '/api/consents')).json.consents.map((c: any) => c.verificationNumber);
    for (const n of numbers) expect(joined).not.toContain(n);
  });
});
