import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { luhnCheckDigit } from '../src/consents/verification.js';
import { api, startTestApp, type TestApp } from './support/app.js';
import { storeConsent } from './support/consents.js';

let app: TestApp;
const dir = mkdtempSync(path.join(os.tmpdir(), 'ars-verify-'));

beforeAll(async () => {
  app = await startTestApp({ PIPELINE_WORKERS: 'false', VERIFY_RATE_LIMIT: '8' });
});
afterAll(async () => {
  await app?.close();
});

describe('public verification by number', () => {
  it('answers valid with no personal data, invalid for unknown or failed evidence, 400 for a mistyped number, and rate-limits', async () => {
    const ok = await storeConsent(app.db.pool, dir, Buffer.from('audio-1'));
    const failed = await storeConsent(app.db.pool, dir, Buffer.from('audio-2'), { status: 'evidence_failed' });
    const res = await fetch(`${app.url}/api/verify/${ok.verificationNumber}`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toEqual({ valid: true, organization: '한빛에너지', methodCode: 5, consentedAt: '2026-11-22T12:04:05+09:00', sha256: ok.fileSha256, timeMark: null, keyId: null, timeMarkValid: false });
    const text = JSON.stringify(body);
    for (const secret of ['홍길동', '75023332200333', '940424', 'P1', '+8210']) expect(text).not.toContain(secret);
    expect(await (await fetch(`${app.url}/api/verify/${failed.verificationNumber}`)).json()).toEqual({ valid: false });
    const body15 = '123456789012345';
    expect(await (await fetch(`${app.url}/api/verify/${body15}${luhnCheckDigit(body15)}`)).json()).toEqual({ valid: false });
    const typo = await fetch(`${app.url}/api/verify/${body15}${(luhnCheckDigit(body15) + 1) % 10}`);
    expect(typo.status).toBe(400);
    expect((await typo.json()).reason).toContain('check digit');
    expect((await fetch(`${app.url}/api/verify/12ab`)).status).toBe(400);
    let limited = 0;
    for (let i = 0; i < 8; i++) if ((await fetch(`${app.url}/api/verify/${ok.verificationNumber}`)).status === 429) limited++;
    expect(limited).toBeGreaterThan(0);
    const page = await fetch(`${app.url}/verify`);
    expect(await page.text()).toContain('출금동의 확인');
  });
});

describe('verify now and the access log', () => {
  it('re-hashes the stored file: intact, then altered after one byte changes; every check is logged', async () => {
    const c = await storeConsent(app.db.pool, dir, Buffer.from('x'.repeat(500)));
    expect((await api(app, 'POST', `/api/consents/${c.id}/verify`)).json).toMatchObject({ result: 'intact', intact: true });
    const buf = readFileSync(c.filePath);
    buf[10] = buf[10]! ^ 1;
    writeFileSync(c.filePath, buf);
    const altered = (await api(app, 'POST', `/api/consents/${c.id}/verify`)).json;
    expect(altered).toMatchObject({ result: 'altered', intact: false, expectedSha256: c.fileSha256 });
    expect(altered.actualSha256).not.toBe(c.fileSha256);
    const log = (await api(app, 'GET', `/api/consents/${c.id}/access-log`)).json;
    expect(log.entries.map((e: any) => [e.action, e.detail.result])).toEqual([['verify', 'intact'], ['verify', 'altered']]);
    expect(log.chain.intact).toBe(true);
  });

  it('a removed or altered log row breaks the chain, and shows where', async () => {
    const c = await storeConsent(app.db.pool, dir, Buffer.from('y'.repeat(100)));
    for (let i = 0; i < 3; i++) await api(app, 'POST', `/api/consents/${c.id}/verify`);
    expect((await api(app, 'GET', '/api/access-log/verify')).json.intact).toBe(true);
    const ids = (await app.db.pool.query('SELECT id FROM access_log ORDER BY id')).rows.map((r) => Number(r.id));
    // Someone with the database's own rights goes around the append-only trigger.
    await app.db.pool.query('ALTER TABLE access_log DISABLE TRIGGER access_log_append_only');
    await app.db.pool.query(`UPDATE access_log SET actor = 'someone-else' WHERE id = $1`, [ids.at(-2)]);
    await app.db.pool.query('ALTER TABLE access_log ENABLE TRIGGER access_log_append_only');
    const altered = (await api(app, 'GET', '/api/access-log/verify')).json;
    expect(altered).toMatchObject({ intact: false, brokenAt: ids.at(-2) });
    expect(altered.reason).toContain('altered');

    await app.db.pool.query('ALTER TABLE access_log DISABLE TRIGGER access_log_append_only');
    await app.db.pool.query(`UPDATE access_log SET actor = 'admin-token' WHERE id = $1`, [ids.at(-2)]);
    await app.db.pool.query('DELETE FROM access_log WHERE id = $1', [ids.at(-2)]);
    await app.db.pool.query('ALTER TABLE access_log ENABLE TRIGGER access_log_append_only');
    const removed = (await api(app, 'GET', '/api/access-log/verify')).json;
    expect(removed).toMatchObject({ intact: false, brokenAt: ids.at(-1) });
    expect(removed.reason).toContain('removed');
  });

  it('replays and downloads of the audio are logged with who, what and from where', async () => {
    const c = await storeConsent(app.db.pool, dir, Buffer.from('z'.repeat(300)));
    const headers = { Authorization: `Bearer ${app.config.adminToken}` };
    await (await fetch(`${app.url}/api/consents/${c.id}/audio`, { headers })).arrayBuffer();
    await (await fetch(`${app.url}/api/consents/${c.id}/audio`, { headers: { ...headers, Range: 'bytes=0-9' } })).arrayBuffer();
    const log = (await api(app, 'GET', `/api/consents/${c.id}/access-log`)).json.entries;
    expect(log.map((e: any) => e.action)).toEqual(['download', 'replay']);
    expect(log[0]).toMatchObject({ actor: 'admin-token', target: `consent:${c.id}` });
    expect(log[0].remote).toMatch(/127\.0\.0\.1/);
  });
});
