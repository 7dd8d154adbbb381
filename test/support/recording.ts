import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ffmpegDecodeToPcm } from '../../src/audio/ffmpegEncoder.js';
import nock from 'nock';
import { estimatedSpeechSeconds } from '../../src/consents/evidence.js';
import { encodeWav } from '../../src/audio/wav.js';
import { dtmfTone, silence, speechLike, TwoTrackTape } from '../../src/simulator/signals.js';
import { api, postSigned, TEST_ACCOUNT_SID, type TestApp } from './app.js';

export function newRecordingSid(): string {
  return `RE${randomBytes(16).toString('hex')}`;
}

/** The recording of a consent as Twilio would make it: readback and question, the answer, the announcement. */
export function consentTape(opts: { readbackText?: string; answer: 'key' | 'voice'; extraSeconds?: number; announcement?: boolean }) {
  const readbackSeconds = estimatedSpeechSeconds(opts.readbackText ?? '가'.repeat(110)) / 0.8;
  const tape = new TwoTrackTape()
    .pause(0.3)
    .add('ars', speechLike(readbackSeconds, 11))
    .pause(0.4)
    .add('ars', speechLike(3, 12))
    .pause(1.2);
  if (opts.answer === 'key') tape.add('payer', dtmfTone('1', 0.12));
  else tape.add('payer', speechLike(0.6, 13, 0.3));
  tape.pause(1.5);
  if (opts.extraSeconds) tape.add('ars', speechLike(opts.extraSeconds, 14));
  if (opts.announcement !== false) tape.add('ars', speechLike(3.2, 15));
  tape.add('ars', silence(1));
  return tape;
}

/** Twilio's WAV: channel 1 the caller, channel 2 the ARS. */
export function tapeWav(tape: TwoTrackTape): Buffer {
  const { payer, ars } = tape.tracks();
  return encodeWav(8000, [payer, ars]);
}

export function mediaPath(recordingSid: string): string {
  return `/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Recordings/${recordingSid}`;
}

export function recordingCallbackParams(callSid: string, recordingSid: string, seconds: number, status = 'completed'): Record<string, string> {
  return {
    AccountSid: TEST_ACCOUNT_SID,
    CallSid: callSid,
    RecordingSid: recordingSid,
    RecordingUrl: `https://api.twilio.com${mediaPath(recordingSid)}`,
    RecordingStatus: status,
    RecordingDuration: String(Math.round(seconds)),
    RecordingChannels: '2',
    RecordingStartTime: new Date().toUTCString(),
    RecordingSource: 'StartCallRecording',
    RecordingTrack: 'both',
  };
}

export async function postRecordingCallback(app: TestApp, params: Record<string, string>, attempt = 1) {
  const res = await postSigned(app, `/twilio/recording?attempt=${attempt}`, params);
  return res.status;
}

/** Polls the API until the call has a consent (or the pipeline gave up). */
export async function waitForConsent(app: TestApp, callSid: string, timeoutMs = 20_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const r = await api(app, 'GET', `/api/consents?callSid=${callSid}`);
    if (r.json?.consents?.length) return r.json.consents[0];
    await new Promise((res) => setTimeout(res, 100));
  }
  return undefined;
}

export async function waitForPipeline(app: TestApp, recordingSid: string, states: string[], timeoutMs = 20_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const r = await app.db.pool.query('SELECT * FROM recordings WHERE recording_sid = $1', [recordingSid]);
    if (r.rows[0] && states.includes(r.rows[0].pipeline)) return r.rows[0];
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`recording ${recordingSid} did not reach ${states.join('/')}`);
}

/** Twilio's media server: serves the WAV with Basic auth checked. */
export function serveMedia(recordingSid: string, wav: Buffer, authToken: string) {
  const auth = `Basic ${Buffer.from(`${TEST_ACCOUNT_SID}:${authToken}`).toString('base64')}`;
  return nock('https://api.twilio.com', { reqheaders: { authorization: auth } })
    .get(`${mediaPath(recordingSid)}.wav`)
    .reply(200, wav, { 'Content-Type': 'audio/x-wav', 'Content-Length': String(wav.length) });
}

/** A consent's MP3 as the API serves it, decoded to 8 kHz samples. */
export async function decodedConsentAudio(app: TestApp, consentId: string): Promise<Int16Array> {
  const res = await fetch(`${app.url}/api/consents/${consentId}/audio`, { headers: { Authorization: `Bearer ${app.config.adminToken}` } });
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'consent-audio-')), 'c.mp3');
  writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  return ffmpegDecodeToPcm(file);
}
