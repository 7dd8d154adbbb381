import { execFile } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, verify as cryptoVerify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWithinBudget } from '../src/audio/budget.js';
import { loadMarkKeys } from '../src/marks/marks.js';
import { speechLike } from '../src/simulator/signals.js';
import { api, PUBLIC_BASE_URL, startTestApp, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, TEST_SIGNING_KEY, type TestApp } from './support/app.js';
import { TestCall } from './support/caller.js';
import { storeConsent } from './support/consents.js';
import { consentTape, mediaPath, newRecordingSid, postRecordingCallback, recordingCallbackParams, serveMedia, tapeWav, waitForConsent } from './support/recording.js';

const run = promisify(execFile);
const TSX = path.resolve('node_modules/.bin/tsx');
const PAYER = { payerNumber: '910100', name: '홍길동', birthDate: '19940424', phone: '+821012345678' };

let app: TestApp;
let consent: any;
let mp3: Buffer;
let sms: Record<string, string>[] = [];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'marks-test-'));

type Jwks = { keys: { kid: string; x: string; kty: string; crv: string }[] };

/** Checks a mark without our code: Node's crypto.verify on the JWS signing input with the JWKS key. */
function independentlyVerify(mark: string, jwks: Jwks): { ok: boolean; header: any; payload: any } {
  const [h, p, s] = mark.split('.') as [string, string, string];
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) return { ok: false, header, payload: undefined };
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
  const ok = cryptoVerify(null, Buffer.from(`${h}.${p}`, 'ascii'), key, Buffer.from(s, 'base64url'));
  return { ok, header, payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) };
}

async function verifyMark(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(TSX, ['src/cli/verifyMark.ts', ...args], { env: { ...process.env, PUBLIC_BASE_URL: '' } });
    return { code: 0, out: stdout + stderr };
  } catch (err: any) {
    return { code: err.code, out: String(err.stdout) + String(err.stderr) };
  }
}

function file(name: string, content: string | Buffer): string {
  const f = path.join(tmp, name);
  writeFileSync(f, content);
  return f;
}

/** One byte of a base64url segment's decoded content changed, then encoded again. */
function changeSegmentByte(mark: string, segment: 1 | 2, at: (bytes: Buffer) => number): string {
  const parts = mark.split('.');
  const bytes = Buffer.from(parts[segment]!, 'base64url');
  const i = at(bytes);
  bytes[i] = bytes[i]! ^ 0x01;
  parts[segment] = bytes.toString('base64url');
  return parts.join('.');
}

beforeAll(async () => {
  app = await startTestApp({ JOB_POLL_SECONDS: '0.5' });
  await api(app, 'POST', '/api/payers', PAYER);
  // A consent through the whole pipeline: the ARS call, Twilio's recording, the MP3, the mark.
  const call = new TestCall(app);
  await call.toReadback();
  await call.press('1');
  await call.hangup();
  const recordingSid = newRecordingSid();
  const tape = consentTape({ readbackText: call.transcript.find((t) => t.includes('고객님께서는'))!, answer: 'key' });
  serveMedia(recordingSid, tapeWav(tape), TEST_AUTH_TOKEN);
  nock('https://api.twilio.com')
    .post(`/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Messages.json`, (b) => {
      sms.push(b);
      return true;
    })
    .reply(201, { sid: `SM${'1'.repeat(32)}` });
  nock('https://api.twilio.com').delete(`${mediaPath(recordingSid)}.json`).reply(204);
  expect(await postRecordingCallback(app, recordingCallbackParams(call.callSid, recordingSid, tape.seconds))).toBe(204);
  const listed = await waitForConsent(app, call.callSid);
  consent = (await api(app, 'GET', `/api/consents/${listed.id}`)).json;
  const audio = await fetch(`${app.url}/api/consents/${consent.id}/audio`, { headers: { Authorization: `Bearer ${app.config.adminToken}` } });
  mp3 = Buffer.from(await audio.arrayBuffer());
}, 60_000);

afterAll(async () => {
  await app?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('the signed time mark (진본마크)', () => {
  it('every consent is stored with a mark that Node’s own Ed25519 check accepts with the key from the public JWKS', async () => {
    expect(consent.timeMark).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const jwksRes = await fetch(`${app.url}/.well-known/jwks.json`);
    expect(jwksRes.status).toBe(200);
    const jwks = (await jwksRes.json()) as Jwks;
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(JSON.stringify(jwks)).not.toMatch(/"d"/);
    const { ok, header, payload } = independentlyVerify(consent.timeMark, jwks);
    expect(ok).toBe(true);
    expect(header).toMatchObject({ alg: 'EdDSA', kid: jwks.keys[0]!.kid });
    expect(payload).toMatchObject({
      verificationNumber: consent.verificationNumber,
      sha256: consent.sha256,
      fileSize: consent.fileSize,
      consentedAt: consent.consentedAt,
      organizationCode: '9912345678',
      methodCode: 5,
    });
    expect(payload.consentedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00$/);
    expect(payload.issuedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00$/);
    expect(Date.parse(payload.issuedAt)).toBeGreaterThanOrEqual(Date.parse(payload.consentedAt));
    // The hash in the mark is the hash of the MP3 the API serves.
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(mp3).digest('hex')).toBe(payload.sha256);
  });

  it('the mark never changes once stored', async () => {
    await expect(app.db.pool.query('UPDATE consents SET time_mark = $2 WHERE id = $1', [consent.id, 'a.b.c'])).rejects.toThrow(/never changes/);
    expect((await api(app, 'GET', `/api/consents/${consent.id}`)).json.timeMark).toBe(consent.timeMark);
  });

  it('the registration SMS carries the verification number and the receipt link', async () => {
    const until = Date.now() + 10_000;
    const registration = () => sms.find((m) => typeof m?.Body === 'string');
    while (!registration() && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(registration()?.Body).toContain(consent.verificationNumber);
    expect(registration()?.Body).toContain(`${PUBLIC_BASE_URL}/r/${consent.verificationNumber}`);
  });

  it('the public verification adds the mark and its key id, still nothing personal', async () => {
    const r = await fetch(`${app.url}/api/verify/${consent.verificationNumber}`);
    const j = (await r.json()) as any;
    expect(j).toMatchObject({ valid: true, timeMark: consent.timeMark, timeMarkValid: true, sha256: consent.sha256 });
    expect(j.keyId).toBe(independentlyVerify(consent.timeMark, (await (await fetch(`${app.url}/.well-known/jwks.json`)).json()) as Jwks).header.kid);
    const text = JSON.stringify(j);
    for (const secret of ['홍길동', '940424', '75023332200333', '+821012345678']) expect(text).not.toContain(secret);
  });
});

describe('npm run verify-mark', () => {
  it('a file, its mark and the JWKS: valid, the key, the hash and the consent time; one changed byte anywhere fails', async () => {
    const jwks = file('jwks.json', await (await fetch(`${app.url}/.well-known/jwks.json`)).text());
    const mp3File = file('consent.mp3', mp3);
    const markFile = file('consent.jws', consent.timeMark);
    const kid = consent.timeMark && JSON.parse(Buffer.from(consent.timeMark.split('.')[0], 'base64url').toString()).kid;

    const good = await verifyMark([mp3File, markFile, '--jwks', jwks]);
    expect(good.code, good.out).toBe(0);
    expect(good.out).toContain('서명 (signature): OK');
    expect(good.out).toContain(kid);
    expect(good.out).toContain('파일 SHA-256: OK');
    expect(good.out).toContain(consent.consentedAt);

    const changedMp3 = Buffer.from(mp3);
    changedMp3[Math.floor(mp3.length / 2)] = changedMp3[Math.floor(mp3.length / 2)]! ^ 0x01;
    const badFile = await verifyMark([file('changed.mp3', changedMp3), markFile, '--jwks', jwks]);
    expect(badFile.code).toBe(1);
    expect(badFile.out).toContain('파일 SHA-256: FAIL');

    // A byte of the payload: a digit of the file size changes.
    const payloadChanged = changeSegmentByte(consent.timeMark, 1, (b) => b.indexOf(Buffer.from(`"fileSize":${consent.fileSize}`)) + 12);
    expect(JSON.parse(Buffer.from(payloadChanged.split('.')[1]!, 'base64url').toString()).fileSize).not.toBe(consent.fileSize);
    const badPayload = await verifyMark([mp3File, payloadChanged, '--jwks', jwks]);
    expect(badPayload.code).toBe(1);
    expect(badPayload.out).toContain('서명 (signature): FAIL');

    const badSignature = await verifyMark([mp3File, changeSegmentByte(consent.timeMark, 2, (b) => 10), '--jwks', jwks]);
    expect(badSignature.code).toBe(1);
    expect(badSignature.out).toContain('서명 (signature): FAIL');

    // By number: the mark and the JWKS from the service.
    const byNumber = await verifyMark([mp3File, '--number', consent.verificationNumber, '--server', app.url]);
    expect(byNumber.code, byNumber.out).toBe(0);
    const usage = await verifyMark([mp3File]);
    expect(usage.code).toBe(2);
  }, 60_000);

  it('after a key rotation the JWKS lists the new key first and the retired one after it, and old marks still verify', async () => {
    const oldJwksServed = await (await fetch(`${app.url}/.well-known/jwks.json`)).text();
    // npm run rotate-signing-key with the current key configured: a new key and the JWKS to retire.
    const printed = (await run(TSX, ['src/cli/rotateSigningKey.ts'], { env: { ...process.env, SIGNING_KEY: TEST_SIGNING_KEY, TWILIO_ACCOUNT_SID: '', TWILIO_AUTH_TOKEN: '' } })).stdout;
    const newKey = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(printed)![0];
    const oldJwks = printed.split('\n').find((l) => l.startsWith('{"keys"'))!;
    expect(JSON.parse(oldJwks)).toEqual(JSON.parse(oldJwksServed));
    expect(printed).toContain('SIGNING_KEYS_RETIRED');
    const rotated = await startTestApp({ SIGNING_KEY: newKey, SIGNING_KEYS_RETIRED: oldJwks, PIPELINE_WORKERS: 'false' }, app.config.databaseUrl);
    try {
      const jwks = (await (await fetch(`${rotated.url}/.well-known/jwks.json`)).json()) as Jwks;
      const oldKid = (JSON.parse(oldJwks) as Jwks).keys[0]!.kid;
      expect(jwks.keys.map((k) => k.kid)).toHaveLength(2);
      expect(jwks.keys[1]!.kid).toBe(oldKid);
      expect(jwks.keys[0]!.kid).not.toBe(oldKid);
      expect(jwks.keys[0]!.kid).toBe(/key id \(kid\) (\S+):/.exec(printed)![1]);
      expect(independentlyVerify(consent.timeMark, jwks).ok).toBe(true);
      const byNumber = await verifyMark([file('old.mp3', mp3), '--number', consent.verificationNumber, '--server', rotated.url]);
      expect(byNumber.code, byNumber.out).toBe(0);
      expect(byNumber.out).toContain(oldKid);
      expect(((await (await fetch(`${rotated.url}/api/verify/${consent.verificationNumber}`)).json()) as any).timeMarkValid).toBe(true);
      // Without the retired key the old mark no longer verifies: the retired list is what keeps it.
      const withoutRetired = file('new-only.json', JSON.stringify({ keys: [jwks.keys[0]] }));
      expect((await verifyMark([file('old2.mp3', mp3), consent.timeMark, '--jwks', withoutRetired])).code).toBe(1);
    } finally {
      await rotated.close();
    }
  }, 60_000);
});

describe('marks for consents recorded before this feature', () => {
  it('npm run sign-existing-consents signs each once, says what and when, issuedAt the signing time', async () => {
    const audio = (await encodeWithinBudget(speechLike(3, 7), 'ffmpeg')).mp3;
    const old = await storeConsent(app.db.pool, path.join(tmp, 'old'), audio, { consentedAt: new Date('2025-01-02T03:04:05Z') });
    const env = { ...process.env, DATABASE_URL: app.config.databaseUrl!, SIGNING_KEY: TEST_SIGNING_KEY, DATA_DIR: path.join(tmp, 'data'), TWILIO_ACCOUNT_SID: '', TWILIO_AUTH_TOKEN: '' };
    const started = Math.floor(Date.now() / 1000) * 1000;
    const first = await run(TSX, ['src/cli/signExistingConsents.ts'], { env });
    expect(first.stdout).toContain(`signed ${old.verificationNumber}`);
    expect(first.stdout).toContain('done: 1 signed, 0 not signed');
    const mark = (await app.db.pool.query('SELECT time_mark FROM consents WHERE id = $1', [old.id])).rows[0].time_mark as string;
    const jwks = (await (await fetch(`${app.url}/.well-known/jwks.json`)).json()) as Jwks;
    const checked = independentlyVerify(mark, jwks);
    expect(checked.ok).toBe(true);
    expect(checked.payload.consentedAt).toBe('2025-01-02T12:04:05+09:00');
    expect(Date.parse(checked.payload.issuedAt)).toBeGreaterThanOrEqual(started);
    expect(first.stdout).toContain(checked.payload.issuedAt);
    const second = await run(TSX, ['src/cli/signExistingConsents.ts'], { env });
    expect(second.stdout).toContain('done: 0 signed');
    expect((await app.db.pool.query('SELECT time_mark FROM consents WHERE id = $1', [old.id])).rows[0].time_mark).toBe(mark);
  }, 60_000);
});

describe('the signing key', () => {
  it('production without SIGNING_KEY, or with a key that is not Ed25519, stops the start with one line', async () => {
    const base = { ...process.env, TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'x'.repeat(32), ADMIN_TOKEN: 'y'.repeat(40), SECRETS_KEY: 'ab'.repeat(32), PUBLIC_BASE_URL: 'https://ars.example', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const cases = [
      [{ ...base, SIGNING_KEY: '' }, /^configuration: SIGNING_KEY is required with Twilio credentials/],
      [{ ...base, SIGNING_KEY: rsa }, /^configuration: SIGNING_KEY is a rsa key, not Ed25519$/],
      [{ ...base, SIGNING_KEY: 'not a key' }, /^configuration: SIGNING_KEY is not a private key/],
    ] as const;
    const results = await Promise.all(
      cases.map(([env]) => run(TSX, ['src/main.ts'], { env }).then(() => ({ code: 0, stderr: '' }), (err: any) => ({ code: err.code, stderr: String(err.stderr) }))),
    );
    results.forEach((result, i) => {
      expect(result.code).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(cases[i]![1]);
    });
  }, 90_000);

  it('demo mode makes its key once and keeps it under DATA_DIR, readable by its owner only', async () => {
    const dataDir = path.join(tmp, 'demo-data');
    const first = await loadMarkKeys({ demo: true, dataDir, signing: { privateKey: undefined, retired: [] } });
    const again = await loadMarkKeys({ demo: true, dataDir, signing: { privateKey: undefined, retired: [] } });
    expect(again.kid).toBe(first.kid);
    const keyFile = path.join(dataDir, 'signing-key.pem');
    expect(readFileSync(keyFile, 'utf8')).toContain('BEGIN PRIVATE KEY');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  });
});
