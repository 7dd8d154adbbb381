import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWithinBudget } from '../src/audio/budget.js';
import { newVerificationNumber } from '../src/consents/verification.js';
import { markKeys, parsePrivateKey } from '../src/marks/keys.js';
import { signTimeMark } from '../src/marks/timeMark.js';
import { speechLike } from '../src/simulator/signals.js';
import { api, PUBLIC_BASE_URL, startTestApp, TEST_SIGNING_KEY, type TestApp } from './support/app.js';
import { launchChromium, noChromium, signIn } from './support/browser.js';
import { storeConsent } from './support/consents.js';

// jsqr is CommonJS (module.exports = jsQR): required as such.
const jsQR = createRequire(import.meta.url)('jsqr') as typeof import('jsqr').default;

/** Screenshots for people to look at: kept under the system's temp folder only while the test runs, unless MARKS_SCREENSHOTS names a folder. */
const tmp = mkdtempSync(path.join(os.tmpdir(), 'marks-pages-'));
const shots = process.env.MARKS_SCREENSHOTS ?? tmp;

let app: TestApp;
let browser: Browser;
let mp3: Buffer;
let marked: Awaited<ReturnType<typeof storeConsent>>;
let unmarked: Awaited<ReturnType<typeof storeConsent>>;

/** A consent stored as the pipeline stores it: signed before the insert. */
async function markedConsent(over: Parameters<typeof storeConsent>[3] = {}) {
  const keys = await markKeys(parsePrivateKey(TEST_SIGNING_KEY));
  const verificationNumber = newVerificationNumber();
  const consentedAt = new Date('2026-11-22T03:04:05Z');
  const timeMark = await signTimeMark(keys, {
    verificationNumber, sha256: createHash('sha256').update(mp3).digest('hex'), fileSize: mp3.length, consentedAt, organizationCode: '9912345678', methodCode: 5,
  });
  return storeConsent(app.db.pool, path.join(tmp, 'audio'), mp3, { verificationNumber, consentedAt, timeMark, ...over });
}

beforeAll(async () => {
  app = await startTestApp({ PIPELINE_WORKERS: 'false' });
  mp3 = (await encodeWithinBudget(speechLike(4, 5), 'ffmpeg')).mp3;
  marked = await markedConsent({ holderName: '홍길동', holderId: '940424' });
  unmarked = await storeConsent(app.db.pool, path.join(tmp, 'audio'), mp3);
  await api(app, 'POST', '/api/users', { username: 'auditor1', password: 'auditor-password-1', role: 'auditor' });
  await api(app, 'POST', '/api/users', { username: 'agent1', password: 'agent-password-11', role: 'agent' });
  if (!noChromium) browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const grouped = (n: string) => n.match(/.{4}/g)!.join('-');

/** The QR code on the page, read from its pixels as a phone would. */
async function readQr(page: Page): Promise<string | undefined> {
  const png = PNG.sync.read(await page.locator('.qr-code').screenshot());
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
}

function pdfPages(pdf: Buffer): number {
  return (pdf.toString('latin1').match(/\/Type\s*\/Page(?![a-zA-Z])/g) ?? []).length;
}

/** What a screen reader meets, in order: the aria snapshot's headings, terms and definitions. */
async function readingOrder(page: Page): Promise<string[]> {
  const yaml = await page.locator('main').ariaSnapshot();
  return yaml
    .split('\n')
    .map((l) => l.trim().replace(/^- /, ''))
    .filter((l) => /^(heading|term|definition)/.test(l));
}

async function checkReceipt(page: Page, consent: typeof marked, name: string) {
  const order = await readingOrder(page);
  const headings = order.filter((l) => l.startsWith('heading'));
  expect(headings).toEqual(['heading "출금동의 확인서" [level=1]', 'heading "동의 내용" [level=2]', 'heading "진위 확인" [level=2]']);
  const at = (text: string) => order.findIndex((l) => l.includes(text));
  const sequence = ['동의 내용', '이용기관', '한빛에너지', '동의 방법', 'ARS', '출금 은행', '출금 계좌', '**********0333', '예금주', '홍*동', '동의 일시', '2026년 11월 22일 12시 04분 05초', '진위 확인', '확인번호', grouped(consent.verificationNumber), '진본마크 서명 키 ID', '녹음 파일 지문', consent.fileSha256.slice(0, 4)];
  const positions = sequence.map(at);
  expect(positions.every((p) => p >= 0), `${sequence.filter((_, i) => positions[i]! < 0).join(', ')} missing in\n${order.join('\n')}`).toBe(true);
  expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  const html = await page.content();
  expect(html).not.toContain('75023332200333');
  expect(html).not.toContain('홍길동');
  expect(html).not.toContain('940424');
  expect(await page.locator('script:not([src])').count()).toBe(0);

  expect(await readQr(page)).toBe(`${PUBLIC_BASE_URL}/verify?number=${consent.verificationNumber}`);
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  await page.emulateMedia({ media: 'print' });
  await page.screenshot({ path: path.join(shots, `${name}-print.png`), fullPage: true });
  await page.emulateMedia({ media: 'screen' });
  const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true, printBackground: true });
  writeFileSync(path.join(shots, `${name}.pdf`), pdf);
  expect(pdfPages(pdf)).toBe(1);
}

describe.skipIf(noChromium)('출금동의 확인서 (receipt)', () => {
  it('for auditors and admins only: signed out to the login page, an agent refused', async () => {
    const res = await fetch(`${app.url}/consents/${marked.id}/receipt`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login');
    const page = await browser.newPage();
    await signIn(page, app.url, 'agent1', 'agent-password-11');
    const agent = await page.goto(`${app.url}/consents/${marked.id}/receipt`);
    expect(agent?.status()).toBe(403);
    await page.close();
  });

  it('the auditor’s receipt: contents in reading order, a QR code that opens /verify for the number, one A4 page when printed', async () => {
    const page = await browser.newPage();
    await signIn(page, app.url, 'auditor1', 'auditor-password-1');
    await page.waitForURL(/\/consents$/);
    const res = await page.goto(`${app.url}/consents/${marked.id}/receipt`);
    expect(res?.status()).toBe(200);
    await checkReceipt(page, marked, 'receipt-auditor');
    const log = (await app.db.pool.query("SELECT actor, action FROM access_log WHERE target = $1 AND action = 'receipt-view'", [`consent:${marked.id}`])).rows;
    expect(log).toContainEqual({ actor: 'auditor1', action: 'receipt-view' });
    await page.close();
  }, 60_000);

  it('the payer’s receipt from the SMS link asks for the birthdate first; wrong ones are logged and, repeated, lock the receipt', async () => {
    const page = await browser.newPage();
    await page.goto(`${PUBLIC_BASE_URL}/r/${marked.verificationNumber}`.replace(PUBLIC_BASE_URL, app.url));
    // Nothing shows before the birthdate: not even whether the number is registered.
    expect(await page.locator('main').textContent()).not.toContain('한빛에너지');
    await page.getByLabel(/생년월일/).fill('19940425');
    await page.getByRole('button', { name: '확인서 보기' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('맞지 않습니다');
    await page.getByLabel(/생년월일/).fill('19940424');
    await page.getByRole('button', { name: '확인서 보기' }).click();
    await page.getByRole('heading', { name: '진위 확인' }).waitFor();
    await checkReceipt(page, marked, 'receipt-payer');
    const log = (await app.db.pool.query('SELECT actor, action, detail FROM access_log WHERE target = $1 ORDER BY id', [`consent:${marked.id}`])).rows;
    expect(log.filter((e) => e.actor === 'payer').map((e) => e.action)).toEqual(['receipt-denied', 'receipt-view']);
    expect(JSON.stringify(log)).not.toMatch(/1994042/);

    // Five wrong birthdates within the hour lock this receipt, even for the right one.
    const other = await markedConsent();
    const post = (birthdate: string) =>
      fetch(`${app.url}/r/${other.verificationNumber}`, { method: 'POST', body: new URLSearchParams({ birthdate }) });
    for (let i = 0; i < 5; i++) expect((await post(`9001${String(i).padStart(2, '0')}`)).status).toBe(403);
    const locked = await post('940424');
    expect(locked.status).toBe(429);
    expect(await locked.text()).not.toContain('한빛에너지');
    // A number that is not registered answers exactly like a wrong birthdate.
    const unknown = await fetch(`${app.url}/r/${unmarked.verificationNumber.slice(0, 15)}${(Number(unmarked.verificationNumber[15]) + 5) % 10}`, { method: 'POST', body: new URLSearchParams({ birthdate: '940424' }) });
    expect([403, 404]).toContain(unknown.status);
    await page.close();
  }, 60_000);
});

describe.skipIf(noChromium)('/verify with a file', () => {
  async function drop(page: Page, bytes: Buffer, name: string) {
    await page.evaluate(
      ({ b64, name }) => {
        const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([data], name, { type: 'audio/mpeg' }));
        document.getElementById('drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      },
      { b64: bytes.toString('base64'), name },
    );
  }

  it('shows the mark’s validity and time; a dropped file is hashed in the browser and compared (right file, changed file), under a CSP without inline scripts', async () => {
    const page = await browser.newPage();
    // The page works under a policy that forbids inline scripts.
    await page.route(`${app.url}/verify**`, async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'" } });
    });
    const uploads: string[] = [];
    page.on('request', (r) => {
      if (r.method() !== 'GET') uploads.push(r.url());
    });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${app.url}/verify?number=${marked.verificationNumber}`);
    await page.locator('#out dl').waitFor();
    const out = await page.locator('#out').innerText();
    expect(out).toContain('유효한 서명');
    // Times in Korean (Korea time), as every page writes them: the consent time the mark fixes, and when it was signed.
    expect(out).toMatch(/진본마크의 동의 일시\s+2026년 11월 22일 12:04:05/);
    expect(out).toMatch(/진본마크 서명 일시\s+\d{4}년 \d{1,2}월 \d{1,2}일 \d\d:\d\d:\d\d/);
    expect(out).toMatch(/서명 키 ID\s+\S+/);

    await drop(page, mp3, 'consent.mp3');
    await page.locator('#file-out dl').waitFor();
    expect(await page.locator('#file-out').innerText()).toContain('일치: 기록된 녹음 파일과 같습니다');
    await page.screenshot({ path: path.join(shots, 'verify-right-file.png'), fullPage: true });

    const changed = Buffer.from(mp3);
    changed[100] = changed[100]! ^ 0xff;
    await drop(page, changed, 'changed.mp3');
    await page.getByText('불일치: 기록된 녹음 파일과 다릅니다').waitFor();
    await page.screenshot({ path: path.join(shots, 'verify-changed-file.png'), fullPage: true });
    expect(uploads).toEqual([]);
    expect(errors).toEqual([]);

    // A record from before the marks: registered, without a mark.
    await page.goto(`${app.url}/verify?number=${unmarked.verificationNumber}`);
    await page.locator('#out dl').waitFor();
    expect(await page.locator('#out').innerText()).toContain('없음');
    await page.close();
  }, 60_000);
});
