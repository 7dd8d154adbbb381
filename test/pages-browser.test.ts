import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWithinBudget } from '../src/audio/budget.js';
import { speechLike } from '../src/simulator/signals.js';
import { api, startTestApp, type TestApp } from './support/app.js';
import { DESKTOP, englishWords, horizontalOverflow, launchChromium, noChromium, PHONE, screenshotPath, signIn } from './support/browser.js';
import { insertResultFile, setRegistrations } from '../src/export/resultStore.js';
import { responseCodeMeaning } from '../src/kftc/responseCodes.js';
import { storeConsent } from './support/consents.js';

/**
 * The pages as a Korean auditor and a member of the public use them, in Chromium at 1280×800 and
 * 390×844: search that finds by every phone form and refuses a bad filter with a Korean message and
 * no results, no sideways scrolling, no English words, /verify with hyphens, Korean 404.
 */

let app: TestApp;
let browser: Browser | undefined;
let dir: string;
let hong: Awaited<ReturnType<typeof storeConsent>>;
let kim: Awaited<ReturnType<typeof storeConsent>>;

beforeAll(async () => {
  app = await startTestApp({ PIPELINE_WORKERS: 'false' });
  dir = mkdtempSync(path.join(os.tmpdir(), 'ars-pages-ui-'));
  const mp3 = (await encodeWithinBudget(speechLike(6, 3), 'ffmpeg')).mp3;
  hong = await storeConsent(app.db.pool, dir, mp3, { payerNumber: '770001', holderName: '홍길동', phone: '+821012345678', accountNumber: '75023332200333' });
  kim = await storeConsent(app.db.pool, dir, mp3, { payerNumber: '880002', holderName: '김영희', phone: '+821099990000', accountNumber: '1002003004005', consentedAt: new Date('2026-11-23T01:00:00Z') });
  await api(app, 'POST', '/api/users', { username: 'auditor1', password: 'auditor-password-1', role: 'auditor' });
  if (!noChromium) browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function auditorPage(viewport = DESKTOP): Promise<Page> {
  const page = await browser!.newPage({ viewport });
  await signIn(page, app.url, 'auditor1', 'auditor-password-1');
  await page.waitForURL(/\/consents$/);
  return page;
}

/** The names in the result table after a search by the given filters. */
async function search(page: Page, query: Record<string, string>): Promise<{ names: string[]; alert: string | null; status: number }> {
  const res = await page.goto(`${app.url}/consents?${new URLSearchParams(query)}`);
  const names = await page.locator('tbody td[data-label="예금주"]').allTextContents();
  const alert = (await page.locator('[role=alert]').count()) ? await page.locator('[role=alert]').textContent() : null;
  return { names, alert, status: res!.status() };
}

describe.skipIf(noChromium)('consent search page', () => {
  it('finds a payer by every form of the phone number, by part of the name, by the start of the payer number and the account end', async () => {
    const page = await auditorPage();
    for (const phone of ['010-1234-5678', '01012345678', '+821012345678', '010 1234 5678']) {
      expect((await search(page, { phone })).names, phone).toEqual(['홍길동']);
    }
    expect((await search(page, { name: '홍' })).names).toEqual(['홍길동']);
    expect((await search(page, { name: '영희' })).names).toEqual(['김영희']);
    expect((await search(page, { payerNumber: '88' })).names).toEqual(['김영희']);
    expect((await search(page, { accountLast: '0333' })).names).toEqual(['홍길동']);
    expect((await search(page, { verificationNumber: kim.verificationNumber.replace(/(\d{4})(?=\d)/g, '$1-') })).names).toEqual(['김영희']);
    expect((await search(page, {})).names.sort()).toEqual(['김영희', '홍길동']);
    // By typing into the form, as a person does.
    await page.goto(`${app.url}/consents`);
    await page.getByLabel('전화번호').fill('010-9999-0000');
    await page.getByRole('button', { name: '검색' }).click();
    await page.getByText('1건').waitFor();
    await expect(page.locator('tbody td[data-label="예금주"]').allTextContents()).resolves.toEqual(['김영희']);
    await page.screenshot({ path: screenshotPath('consents-search-1280'), fullPage: true });
    await page.close();
  }, 60_000);

  it('a filter the search cannot use shows a Korean message and no results, never everything', async () => {
    const page = await auditorPage(PHONE);
    const bad: [Record<string, string>, RegExp][] = [
      [{ accountLast: '75023332200333' }, /계좌 끝자리는 숫자 1~6자리/],
      [{ accountLast: '0333abc' }, /계좌 끝자리는 숫자 1~6자리/],
      [{ from: '2026-13-45' }, /시작일이 올바른 날짜가 아닙니다/],
      [{ to: '어제' }, /종료일이 올바른 날짜가 아닙니다/],
      [{ from: '2026-11-30', to: '2026-11-01' }, /종료일이 시작일보다 앞섭니다/],
      [{ phone: '12345' }, /전화번호는/],
      [{ verificationNumber: '1234' }, /확인번호는 숫자 16자리/],
      [{ status: 'lost' }, /상태를 목록에서/],
      [{ methodCode: '9' }, /방법은/],
    ];
    for (const [query, message] of bad) {
      const r = await search(page, query);
      expect(r.status, JSON.stringify(query)).toBe(400);
      expect(r.alert, JSON.stringify(query)).toMatch(message);
      expect(r.names, JSON.stringify(query)).toEqual([]);
    }
    // A filter given twice is refused too.
    await page.goto(`${app.url}/consents?phone=01012345678&phone=01099990000`);
    await expect(page.locator('[role=alert]').textContent()).resolves.toMatch(/두 번/);
    await page.goto(`${app.url}/consents?accountLast=75023332200333`);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    expect(await englishWords(page)).toEqual([]);
    await page.screenshot({ path: screenshotPath('consents-bad-filter-390'), fullPage: true });
    await page.close();
  }, 60_000);
});

describe.skipIf(noChromium)('every page at 390 px and in Korean', () => {
  it('login, search, a consent, verify and 404: no sideways scrolling at 390 px, no English words', async () => {
    for (const [viewport, size] of [[PHONE, '390'], [DESKTOP, '1280']] as const) {
      const anon = await browser!.newPage({ viewport });
      const auditor = await auditorPage(viewport);
      const pages: [string, Page, string][] = [
        ['login', anon, '/login'],
        ['verify', anon, '/verify'],
        ['not-found', anon, '/nope'],
        ['consents', auditor, '/consents'],
        ['consent', auditor, `/consents/${hong.id}`],
      ];
      for (const [name, page, url] of pages) {
        await page.goto(`${app.url}${url}`);
        await page.screenshot({ path: screenshotPath(`${name}-${size}`), fullPage: true });
        expect(await horizontalOverflow(page), `${name} at ${size}`).toBeLessThanOrEqual(0);
        expect(await englishWords(page), `${name} at ${size}`).toEqual([]);
      }
      await anon.close();
      await auditor.close();
    }
  }, 90_000);

  it('the consent page: times in Korean, sizes in KB, statuses and check names as words, the timeline as sentences', async () => {
    const page = await auditorPage();
    await page.goto(`${app.url}/consents/${hong.id}`);
    const text = await page.locator('main').innerText();
    expect(text).toContain('2026년 11월 22일 12:04:05');
    expect(text).toMatch(/MP3 · \d+ KB/);
    expect(text).toContain('등록 완료');
    expect(text).not.toMatch(/\d{4}-\d\d-\d\dT/);
    await expect(page.title()).resolves.toMatch(/^출금동의 · 홍길동 · 2026년 11월 22일/);
    await page.close();
  });

  it('the consent page shows the KFTC registration result with the code’s Korean meaning, a legal hold with its reason, and links the receipt; the search filters by both', async () => {
    const park = await storeConsent(app.db.pool, dir, (await encodeWithinBudget(speechLike(5, 9), 'ffmpeg')).mp3, { payerNumber: '990003', holderName: '박민수' });
    // The FB0120 answer as the import stores it: this consent rejected with 7121.
    const file = await insertResultFile(app.db.pool, {
      format: 'FB0120', name: 'FB0120-1127.txt', sha256: 'a'.repeat(64), organizationCode: park.organizationCode, processingDate: '20261127',
      total: 1, normal: 0, errors: 1, matched: 1, unmatched: [], receivedBy: 'admin',
    });
    await setRegistrations(app.db.pool, [{ consentId: park.id, status: 'rejected', code: '7121', reason: responseCodeMeaning('7121') }], { id: file.id, name: 'FB0120-1127.txt', receivedAt: file.receivedAt });
    expect((await api(app, 'POST', `/api/consents/${park.id}/hold`, { reason: '분쟁: 민원 2026-201' })).status).toBe(201);

    const page = await auditorPage(PHONE);
    await page.goto(`${app.url}/consents/${park.id}`);
    const registration = await page.locator('#registration').innerText();
    expect(registration).toMatch(/반려: 응답코드 7121 증빙자료 크기 오류/);
    expect(registration).toContain('FB0120-1127.txt');
    expect(registration).toMatch(/\d{4}년 \d{1,2}월 \d{1,2}일 \d\d:\d\d:\d\d/);
    const hold = await page.locator('#hold').innerText();
    expect(hold).toContain('보존 중: 분쟁: 민원 2026-201');
    expect(hold).toMatch(/보존 조치한 사람\s+admin-token/);
    expect(hold).toMatch(/보존 시작\s+\d{4}년/);
    await expect(page.locator('#access-log').innerText()).resolves.toContain('보존 조치 (사유: 분쟁: 민원 2026-201)');
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    expect(await englishWords(page, [/^(admin|token|txt)$/])).toEqual([]);
    await page.screenshot({ path: screenshotPath('consent-kftc-hold-390'), fullPage: true });
    // A consent with neither says so.
    await page.goto(`${app.url}/consents/${hong.id}`);
    await expect(page.locator('#registration').innerText()).resolves.toContain('아직 결과 파일이 없습니다');
    await expect(page.locator('#hold').innerText()).resolves.toContain('보존 조치 없음');
    // The receipt is one link away.
    await page.getByRole('link', { name: '확인서' }).click();
    await page.getByRole('heading', { name: '출금동의 확인서' }).waitFor();

    expect((await search(page, { registration: 'rejected' })).names).toEqual(['박민수']);
    expect((await search(page, { registration: 'none' })).names.sort()).toEqual(['김영희', '홍길동']);
    expect((await search(page, { held: 'true' })).names).toEqual(['박민수']);
    expect((await search(page, { held: 'false', registration: 'none' })).names.sort()).toEqual(['김영희', '홍길동']);
    const bad = await search(page, { registration: 'maybe' });
    expect([bad.status, bad.names]).toEqual([400, []]);
    expect(bad.alert).toMatch(/등록 결과를 목록에서/);
    // Chosen from the form, as a person does.
    await page.goto(`${app.url}/consents`);
    await page.getByLabel('보존 조치').selectOption('true');
    await page.getByLabel('등록 결과').selectOption('rejected');
    await page.getByRole('button', { name: '검색' }).click();
    await page.getByText('1건').waitFor();
    await expect(page.locator('tbody td[data-label="예금주"]').allTextContents()).resolves.toEqual(['박민수']);
    await page.close();
  }, 60_000);

  it('/verify takes the number with hyphens or spaces and clears the previous answer', async () => {
    const page = await browser!.newPage({ viewport: PHONE });
    await page.goto(`${app.url}/verify`);
    const grouped = hong.verificationNumber.replace(/(\d{4})(?=\d)/g, '$1-');
    await page.getByLabel('확인번호 (16자리)').fill(grouped);
    await page.getByRole('button', { name: '확인' }).click();
    await page.getByText('유효한 출금동의입니다').waitFor();
    await page.screenshot({ path: screenshotPath('verify-valid-390'), fullPage: true });
    await page.getByLabel('확인번호 (16자리)').fill('1234 5678 9012 3456');
    await expect(page.getByText('유효한 출금동의입니다').count()).resolves.toBe(0);
    await page.getByRole('button', { name: '확인' }).click();
    await page.locator('#out .alert').waitFor();
    await expect(page.locator('#out').textContent()).resolves.toMatch(/검증 숫자가 맞지 않습니다|등록된 출금동의가 없습니다/);
    expect(await englishWords(page)).toEqual([]);
    const spaced = await fetch(`${app.url}/api/verify/${encodeURIComponent(hong.verificationNumber.replace(/(\d{4})(?=\d)/g, '$1 '))}`);
    await expect(spaced.json()).resolves.toMatchObject({ valid: true });
    await page.close();
  });

  it('a favicon, and a Korean 404 page', async () => {
    const icon = await fetch(`${app.url}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toContain('image/svg+xml');
    const missing = await fetch(`${app.url}/nope`, { headers: { Accept: 'text/html' } });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('페이지를 찾을 수 없습니다');
  });
});

describe.skipIf(noChromium)('user management', () => {
  it('an admin creates a user, changes the role, disables and enables it, in Korean at 390 px', async () => {
    await api(app, 'POST', '/api/users', { username: 'boss', password: 'boss-password-123', role: 'admin' });
    const page = await browser!.newPage({ viewport: PHONE });
    await signIn(page, app.url, 'boss', 'boss-password-123');
    await page.waitForURL(/\/consents$/);
    await page.getByRole('link', { name: '사용자 관리' }).click();
    await page.waitForURL(/\/admin\/users$/);
    await page.getByLabel(/^아이디/).fill('newagent');
    await page.getByLabel(/^처음 비밀번호/).fill('short');
    await page.getByRole('button', { name: '사용자 만들기' }).click();
    await page.getByText('비밀번호는 12자 이상이어야 합니다.').waitFor();
    await page.getByLabel(/^처음 비밀번호/).fill('new-agent-password-1');
    await page.locator('form.stack select').selectOption('agent');
    await page.getByRole('button', { name: '사용자 만들기' }).click();
    await page.getByText('사용자 newagent을(를) 만들었습니다.').waitFor();
    await page.getByLabel('newagent 역할').selectOption('auditor');
    await page.getByText('newagent의 역할을 감사 담당자(으)로 바꿨습니다.').waitFor();
    await page.getByRole('button', { name: 'newagent 사용 중지' }).click();
    await page.getByRole('button', { name: 'newagent 다시 사용' }).waitFor();
    const users = (await api(app, 'GET', '/api/users', undefined, (await api(app, 'POST', '/api/tokens', { username: 'boss', password: 'boss-password-123' }, 'none')).json.token)).json.users;
    expect(users.find((u: any) => u.username === 'newagent')).toMatchObject({ role: 'auditor', disabledAt: expect.any(String) });
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    expect(await englishWords(page, [/^(newagent|boss|auditor)$/])).toEqual([]);
    await page.screenshot({ path: screenshotPath('admin-users-390'), fullPage: true });
    await page.close();
  }, 60_000);
});
