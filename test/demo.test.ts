import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from './support/app.js';
import { englishWords, horizontalOverflow, launchChromium, noChromium, PHONE, screenshotPath, signIn } from './support/browser.js';
import { freePort } from './support/ports.js';

/** Demo mode as a newcomer meets it: `npm start` with no Twilio credentials, then the CLI and the softphone page. */

const run = promisify(execFile);
let service: ChildProcess;
let base: string;
let env: NodeJS.ProcessEnv;


beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  env = {
    ...process.env,
    PORT: String(port),
    PUBLIC_BASE_URL: base,
    DATABASE_URL: await freshDatabase(),
    DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'ars-demo-data-')),
    RECORDINGS_DIR: mkdtempSync(path.join(os.tmpdir(), 'ars-demo-rec-')),
    JOB_POLL_SECONDS: '0.5',
    LOG_LEVEL: 'warn',
    QUIET_HOURS: 'off',
    // Demo mode against a DATABASE_URL only when asked for (issue 14).
    DEMO: 'true',
  };
  for (const k of ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'ADMIN_TOKEN', 'TWILIO_API_BASE_URL']) delete env[k];
  service = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      /* starting */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
});
afterAll(async () => {
  service?.kill('SIGTERM');
  if (service) await new Promise((r) => service.once('exit', r));
});

describe('demo mode', () => {
  it('npm run call drives a whole consent call against the running service and prints the record and the MP3', async () => {
    const { stdout } = await run('npx', ['tsx', 'src/cli/call.ts', '--from', '+821012345678', '--keys', '2 19940424 081 75023332200333# 1'], { env, timeout: 60_000 });
    expect(stdout).toContain('ARS   : 한빛에너지 고객센터입니다');
    expect(stdout).toContain('caller: presses 19940424');
    expect(stdout).toContain('1번을 선택하셨습니다');
    expect(stdout).toContain('"status": "ready"');
    const mp3 = /MP3: (.+\.mp3)/.exec(stdout)?.[1];
    expect(mp3 && existsSync(mp3)).toBe(true);
  }, 90_000);

  it('a spoken 예 with --say', async () => {
    const { stdout } = await run('npx', ['tsx', 'src/cli/call.ts', '--from', '+821099990000', '--keys', '2 19800102 088 110123456789#', '--say', '예'], { env, timeout: 60_000 });
    expect(stdout).toContain('caller: says "예"');
    expect(stdout).toContain('"consentBy": "voice"');
  }, 90_000);

  it('npm run call -- --request: the service calls the payer, who keys in the code shown; a declined one too', async () => {
    const { stdout } = await run('npx', ['tsx', 'src/cli/call.ts', '--request', '--from', '+821099990000', '--payer', '100300', '--bank', '088', '--account', '110123456789'], { env, timeout: 60_000 });
    const code = /the website shows the code (\d\d)/.exec(stdout)?.[1];
    expect(code).toMatch(/^\d\d$/);
    expect(stdout).toContain('김영희 고객님께서는');
    expect(stdout).toContain(`caller: presses ${code}`);
    expect(stdout).toContain(`${code}번을 입력하셨습니다`);
    expect(stdout).toContain('consent request: consented');
    expect(stdout).toContain('"methodCode": 5');
    const declined = await run('npx', ['tsx', 'src/cli/call.ts', '--request', '--from', '010-9999-0000', '--payer', '100300', '--bank', '088', '--account', '110123456789', '--keys', '*'], { env, timeout: 60_000 }).catch((e) => e);
    expect(declined.stdout ?? '').toContain('consent request: declined (the payer declined)');
  }, 90_000);

  it.skipIf(noChromium)('the softphone page: keypad, transcript, and the finished consent with a playable MP3', async () => {
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await browser.newPage();
      await page.goto(`${base}/`);
      await expect(page.title()).resolves.toContain('ARS');
      await page.getByRole('button', { name: '전화 걸기' }).click();
      await page.getByText('고객센터입니다').first().waitFor();
      const keypad = page.getByRole('group', { name: '키패드' });
      for (const key of '2' + '19940424' + '08175023332200333#' + '1') {
        await keypad.getByRole('button', { name: key, exact: true }).click();
        await page.waitForTimeout(40);
      }
      await page.locator('#consent').waitFor({ state: 'visible', timeout: 45_000 }).catch(async (e) => { console.log(await page.locator('#transcript').innerText()); throw e; });
      await expect(page.locator('#fields').textContent()).resolves.toContain('75023332200333');
      const duration = await page.locator('#player').evaluate(
        (el: HTMLAudioElement) =>
          new Promise<number>((resolve) => {
            if (el.readyState >= 1) resolve(el.duration);
            else el.addEventListener('loadedmetadata', () => resolve(el.duration));
          }),
      );
      expect(duration).toBeGreaterThan(10);
      await page.screenshot({ path: screenshotPath('softphone-1280'), fullPage: true });
    } finally {
      await browser?.close();
    }
  }, 90_000);

  it.skipIf(noChromium)('the softphone answers an outbound consent request: readback, the code keyed in, the consent', async () => {
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await browser.newPage();
      await page.goto(`${base}/`);
      await page.getByLabel('발신 번호').fill('+821099990000');
      await page.getByRole('button', { name: '전화 받기 대기' }).click();
      await page.getByText('번호로 오는 전화를 기다립니다').waitFor();
      // Against a database it was given (DEMO=true) the demo creates no users: ADMIN_TOKEN still bootstraps the API.
      const { adminToken } = JSON.parse(readFileSync(path.join(env.DATA_DIR!, 'demo-secrets.json'), 'utf8'));
      const res = await fetch(`${base}/api/consent-requests`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ payerNumber: '100300', phone: '+821099990000', bankCode: '088', accountNumber: '110123456789' }),
      });
      expect(res.status).toBe(201);
      const { id, code } = (await res.json()) as { id: string; code: string };
      await page.getByText('김영희 고객님께서는').first().waitFor({ timeout: 20_000 });
      const keypad = page.getByRole('group', { name: '키패드' });
      for (const key of code) await keypad.getByRole('button', { name: key, exact: true }).click();
      await page.getByText(`${code}번을 입력하셨습니다`).first().waitFor();
      await page.locator('#consent').waitFor({ state: 'visible', timeout: 45_000 });
      await expect(page.locator('#fields').textContent()).resolves.toContain('110123456789');
      const request = await (await fetch(`${base}/api/consent-requests/${id}`, { headers: { Authorization: `Bearer ${adminToken}` } })).json();
      expect(request).toMatchObject({ status: 'consented' });
      expect(request.consentId).toBeTruthy();
    } finally {
      await browser?.close();
    }
  }, 90_000);

  it.skipIf(noChromium)('press 0 on the softphone, the demo agent takes a recorded consent at /agent (method 4)', async () => {
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const phone = await (await browser.newContext()).newPage();
      await phone.goto(`${base}/`);
      await phone.getByRole('button', { name: '전화 걸기' }).click();
      await phone.getByText('고객센터입니다').first().waitFor();
      await phone.getByRole('group', { name: '키패드' }).getByRole('button', { name: '0', exact: true }).click();
      await phone.getByText('상담원에게 연결해 드리겠습니다').first().waitFor();

      // Against a database it was given (DEMO=true), the demo creates no users: the operator does.
      const { adminToken } = JSON.parse(readFileSync(path.join(env.DATA_DIR!, 'demo-secrets.json'), 'utf8'));
      const agentPassword = 'demo-agent-password-1';
      const made = await fetch(`${base}/api/users`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'agent', password: agentPassword, role: 'agent' }),
      });
      expect(made.status).toBe(201);
      const agent = await (await browser.newContext()).newPage();
      await signIn(agent, base, 'agent', agentPassword);
      await agent.waitForURL(/\/agent$/);
      await agent.getByRole('button', { name: /통화 선택$/ }).click();
      await expect(agent.locator('#payer-chosen').textContent()).resolves.toContain('홍길동');
      await agent.getByLabel('은행코드').fill('081');
      await agent.getByLabel('계좌번호').fill('75023332200333');
      await agent.getByRole('button', { name: '녹음 시작' }).click();
      await phone.getByText('지금부터 출금동의 내용을 녹음합니다').first().waitFor({ timeout: 20_000 });
      await phone.getByRole('button', { name: '“예” 말하기' }).click();
      await phone.getByText('말함: 예').first().waitFor();
      await agent.getByRole('button', { name: '동의함' }).click();
      await agent.locator('#message', { hasText: '출금동의 기록이 완료되었습니다' }).waitFor({ timeout: 45_000 });
      await phone.getByRole('button', { name: '끊기' }).click();
    } finally {
      await browser?.close();
    }
  }, 90_000);

  it.skipIf(noChromium)('the softphone at 390 px: a domestic number, the sign-up screen shows the code, keys from the keyboard; closing the tab hangs up', async () => {
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await browser.newPage({ viewport: PHONE });
      await page.goto(`${base}/`);
      await page.getByLabel('발신 번호').fill('010-9999-0000');
      await page.getByRole('button', { name: '자동이체 신청' }).click();
      await page.getByText('+821099990000 번호로 오는 전화를 기다립니다').waitFor();
      const code = (await page.locator('#signup-code strong').textContent({ timeout: 10_000 }))!;
      expect(code).toMatch(/^\d{2,}$/);
      await page.getByText('김영희 고객님께서는').first().waitFor({ timeout: 20_000 });
      await page.getByRole('heading', { name: '소프트폰' }).click();
      for (const key of code) await page.keyboard.press(key);
      await page.getByText(`${code}번을 입력하셨습니다`).first().waitFor();
      await page.locator('#consent').waitFor({ state: 'visible', timeout: 45_000 });
      await expect(page.locator('#consent-h').textContent()).resolves.toBe('등록된 출금동의');
      await expect(page.locator('#transcript li time').first().textContent()).resolves.toMatch(/^\d\d:\d\d:\d\d$/);
      await expect(page.getByText('녹음 파일을 처리하고 있습니다').count()).resolves.toBe(0);
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      expect(await englishWords(page)).toEqual([]);
      await page.screenshot({ path: screenshotPath('softphone-390'), fullPage: true });

      // A call handed to an agent ends when the softphone's tab is closed.
      // Against a database it was given (DEMO=true) the demo creates no users: this test makes its agent.
      const { adminToken } = JSON.parse(readFileSync(path.join(env.DATA_DIR!, 'demo-secrets.json'), 'utf8'));
      const agentPassword = 'demo-agent390-password-1';
      const made = await fetch(`${base}/api/users`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'agent390', password: agentPassword, role: 'agent' }),
      });
      expect(made.status).toBe(201);
      const agent = await (await browser.newContext()).newPage();
      await signIn(agent, base, 'agent390', agentPassword);
      await agent.waitForURL(/\/agent$/);
      const phone = await (await browser.newContext()).newPage();
      await phone.goto(`${base}/`);
      await phone.getByRole('button', { name: '전화 걸기' }).click();
      await phone.getByText('고객센터입니다').first().waitFor();
      await phone.getByRole('heading', { name: '소프트폰' }).click();
      await phone.keyboard.press('0');
      await agent.getByRole('button', { name: /통화 선택$/ }).waitFor({ timeout: 20_000 });
      await phone.close({ runBeforeUnload: true });
      await agent.getByText('상담원에게 연결된 통화가 없습니다').waitFor({ timeout: 20_000 });
    } finally {
      await browser?.close();
    }
  }, 120_000);
});
