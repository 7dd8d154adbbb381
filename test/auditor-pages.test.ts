import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWithinBudget } from '../src/audio/budget.js';
import { speechLike } from '../src/simulator/signals.js';
import { api, startTestApp, type TestApp } from './support/app.js';
import { storeConsent } from './support/consents.js';
import { launchChromium, noChromium, signIn as signInAs } from './support/browser.js';

let app: TestApp;
let browser: Browser | undefined;
let consent: Awaited<ReturnType<typeof storeConsent>>;

beforeAll(async () => {
  app = await startTestApp({ PIPELINE_WORKERS: 'false' });
  const mp3 = (await encodeWithinBudget(speechLike(12, 5), 'ffmpeg')).mp3;
  consent = await storeConsent(app.db.pool, mkdtempSync(path.join(os.tmpdir(), 'ars-pages-')), mp3, { payerNumber: 'PG1', durationSeconds: 12 });
  await api(app, 'POST', '/api/users', { username: 'auditor1', password: 'auditor-password-1', role: 'auditor' });
  await api(app, 'POST', '/api/users', { username: 'agent1', password: 'agent-password-11', role: 'agent' });
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const signIn = (page: Page, username: string, password: string) => signInAs(page, app.url, username, password);

describe('auditor pages', () => {
  it('nobody signed in is sent to the login page; the API refuses a session change without its CSRF token', async () => {
    const res = await fetch(`${app.url}/consents`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login');
    const badLogin = await fetch(`${app.url}/login`, { method: 'POST', body: new URLSearchParams({ username: 'auditor1', password: 'auditor-password-1', csrf: 'x' }), redirect: 'manual' });
    expect(badLogin.status).toBe(403);
  });

  it.skipIf(noChromium)('search, open a consent, play it, verify it, in Chromium; an agent cannot open it', async () => {
    browser = await launchChromium();
    const page = await browser.newPage();
    await signIn(page, 'auditor1', 'auditor-password-1');
    await page.waitForURL(/\/consents$/);
    await page.getByLabel('납부자번호').fill('PG1');
    await page.getByRole('button', { name: '검색' }).click();
    await expect(page.getByText('1건').isVisible()).resolves.toBe(true);
    await page.locator('tbody a').first().click();
    await page.waitForURL(new RegExp(`/consents/${consent.id}$`));
    // The player does not preload: opening the page logs no replay; starting playback logs one.
    const before = (await api(app, 'GET', `/api/consents/${consent.id}/access-log`)).json.entries.map((e: any) => e.action);
    expect(before).not.toContain('replay');
    const duration = await page.locator('#player').evaluate(
      (el: HTMLAudioElement) =>
        new Promise<number>((resolve) => {
          el.muted = true;
          el.addEventListener('loadedmetadata', () => resolve(el.duration));
          void el.play();
        }),
    );
    expect(Math.abs(duration - 12)).toBeLessThan(0.5);
    await page.getByRole('button', { name: '지금 검증' }).click();
    await page.locator('#verify-result.ok').waitFor();
    await expect(page.locator('#verify-result').textContent()).resolves.toContain('원본과 같습니다');
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'ars_session')!;
    expect(session.httpOnly).toBe(true);
    expect(session.sameSite).toBe('Lax');
    const noCsrf = await fetch(`${app.url}/api/consents/${consent.id}/verify`, { method: 'POST', headers: { Cookie: `ars_session=${session.value}` } });
    expect(noCsrf.status).toBe(403);
    const log = (await api(app, 'GET', `/api/consents/${consent.id}/access-log`)).json.entries.map((e: any) => `${e.actor}:${e.action}`);
    expect(log).toContain('auditor1:verify');
    expect(log.filter((e: string) => e === 'auditor1:replay')).toHaveLength(1);

    const agent = await browser.newPage();
    await signIn(agent, 'agent1', 'agent-password-11');
    const forbidden = await agent.goto(`${app.url}/consents/${consent.id}`);
    expect(forbidden?.status()).toBe(403);
  }, 60_000);
});

describe('pages by role', () => {
  /** Signs in as a browser would: the login form's CSRF cookie and hidden field, then the post. */
  async function login(username: string, password: string): Promise<Response> {
    const form = await fetch(`${app.url}/login`);
    const csrfCookie = /ars_login_csrf=([^;]+)/.exec(form.headers.get('set-cookie') ?? '')![1]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    return fetch(`${app.url}/login`, {
      method: 'POST',
      headers: { Cookie: `ars_login_csrf=${csrfCookie}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username, password, csrf }),
      redirect: 'manual',
    });
  }

  async function sessionCookie(username: string, password: string): Promise<string> {
    const res = await login(username, password);
    expect(res.status).toBe(303);
    return /ars_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1]!;
  }

  it('admin and auditor see the pages, an agent gets 403, nobody is sent to sign in, a wrong password is refused', async () => {
    await api(app, 'POST', '/api/users', { username: 'admin9', password: 'admin-password-99', role: 'admin' });
    const sessions = {
      admin: await sessionCookie('admin9', 'admin-password-99'),
      auditor: await sessionCookie('auditor1', 'auditor-password-1'),
      agent: await sessionCookie('agent1', 'agent-password-11'),
    };
    for (const page of ['/consents', `/consents/${consent.id}`, '/consents?payerNumber=PG1&methodCode=5&status=ready&accountLast=0333']) {
      for (const [role, expected] of [['admin', 200], ['auditor', 200], ['agent', 403]] as const) {
        const res = await fetch(`${app.url}${page}`, { headers: { Cookie: `ars_session=${sessions[role]}` }, redirect: 'manual' });
        expect(res.status, `${role} ${page}`).toBe(expected);
        if (expected === 200) expect(await res.text()).toContain('PG1');
      }
      expect((await fetch(`${app.url}${page}`, { redirect: 'manual' })).status).toBe(303);
    }
    const wrong = await login('auditor1', 'nope');
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('아이디 또는 비밀번호가 맞지 않습니다');
  });
});
