import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestApp, type TestApp } from './support/app.js';
import { storeConsent } from './support/consents.js';

let app: TestApp;
const dir = mkdtempSync(path.join(os.tmpdir(), 'ars-search-'));
const ids: Record<string, string> = {};

beforeAll(async () => {
  app = await startTestApp({ PIPELINE_WORKERS: 'false' });
  const pool = app.db.pool;
  ids.kim = (await storeConsent(pool, dir, Buffer.from('a'), {
    payerNumber: 'SRCH100', holderName: '김민준', phone: '+821055556666', accountNumber: '110123456789', verificationNumber: '1234567890123452',
  })).id;
  ids.lee = (await storeConsent(pool, dir, Buffer.from('b'), {
    payerNumber: 'SRCH200', holderName: '이서연', phone: '+821077778888', accountNumber: '75023332200333', consentedAt: new Date('2026-10-01T03:00:00Z'),
  })).id;
  await api(app, 'POST', '/api/users', { username: 'searcher', password: 'searcher-password-1', role: 'auditor' });
});
afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

const found = async (query: string) => {
  const r = await api(app, 'GET', `/api/consents?${query}`);
  expect(r.status, query).toBe(200);
  return (r.json.consents as { id: string }[]).map((c) => c.id).sort();
};

describe('one consent search for the API and the auditor page', () => {
  it('finds by phone in any Korean form, part of the name, payer number prefix, account end, verification number with hyphens, dates', async () => {
    for (const phone of ['010-5555-6666', '01055556666', '%2B821055556666', '010 5555 6666']) expect(await found(`phone=${phone}`)).toEqual([ids.kim]);
    expect(await found(`name=${encodeURIComponent('민준')}`)).toEqual([ids.kim]);
    expect(await found('payerNumber=SRCH')).toEqual([ids.kim, ids.lee].sort());
    expect(await found('payerNumber=SRCH2')).toEqual([ids.lee]);
    expect(await found('accountLast=0333')).toEqual([ids.lee]);
    expect(await found('verificationNumber=1234-5678-9012-3452')).toEqual([ids.kim]);
    expect(await found('payerNumber=SRCH&from=2026-09-30&to=2026-10-01')).toEqual([ids.lee]);
    expect(await found('payerNumber=SRCH&methodCode=5&status=ready&name=')).toEqual([ids.kim, ids.lee].sort());
    const one = (await api(app, 'GET', `/api/consents?phone=01055556666`)).json.consents[0];
    expect(one).toMatchObject({ id: ids.kim, payerNumber: 'SRCH100', holderName: '김민준', accountNumber: '110123456789', verificationNumber: '1234567890123452' });
  });

  it('refuses an invalid, repeated or unknown filter with 400 naming it, never listing everything', async () => {
    for (const [query, field] of [
      ['phone=12345', 'phone'],
      ['accountLast=1234567', 'accountLast'],
      ['accountLast=12a', 'accountLast'],
      ['verificationNumber=1234', 'verificationNumber'],
      ['from=yesterday', 'from'],
      ['from=2026-10-02&to=2026-10-01', 'to'],
      ['status=ready&status=sent', 'status'],
      ['payerNumber=SRCH1&payerNumber=SRCH2', 'payerNumber'],
      ['methodCode=3', 'methodCode'],
      ['payernumber=SRCH100', 'payernumber'],
    ]) {
      const r = await api(app, 'GET', `/api/consents?${query}`);
      expect(r.status, query).toBe(400);
      expect(r.json, query).toMatchObject({ error: 'validation', field });
      expect(r.json.consents, query).toBeUndefined();
      expect(typeof r.json.message).toBe('string');
    }
  });

  it('the page runs the same search and shows the Korean message and no results for a bad filter', async () => {
    const form = await fetch(`${app.url}/login`);
    const csrfCookie = /ars_login_csrf=([^;]+)/.exec(form.headers.get('set-cookie') ?? '')![1]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    const login = await fetch(`${app.url}/login`, {
      method: 'POST', redirect: 'manual',
      headers: { Cookie: `ars_login_csrf=${csrfCookie}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'searcher', password: 'searcher-password-1', csrf }),
    });
    const cookie = `ars_session=${/ars_session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1]!}`;
    const page = async (query: string) => {
      const r = await fetch(`${app.url}/consents?${query}`, { headers: { Cookie: cookie } });
      return { status: r.status, html: await r.text() };
    };
    const good = await page('phone=010-7777-8888&name=&accountLast=&methodCode=');
    expect(good.status).toBe(200);
    expect(good.html).toContain('SRCH200');
    expect(good.html).not.toContain('SRCH100');
    const bad = await page('phone=010-7777&payerNumber=SRCH');
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('전화번호는 010-1234-5678처럼 국내 번호로 입력해 주세요.');
    expect(bad.html).not.toContain('SRCH200');
  });
});
