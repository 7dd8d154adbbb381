import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectDtmf } from '../src/audio/analysis.js';
import { parseCallerScript, runCall, scriptedInputs, startStandInServer, type Conversation } from '../src/simulator/index.js';
import { api, PUBLIC_BASE_URL, startTestApp, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, type TestApp } from './support/app.js';
import { until } from './support/callbacks.js';
import { decodedConsentAudio, waitForConsent } from './support/recording.js';
import { scenariosDir } from './support/scenarios.js';
import { englishWords, focusedName, horizontalOverflow, launchChromium, noChromium, PHONE, screenshotPath, signIn, tabTo } from './support/browser.js';

/**
 * Agent-recorded consent (method 4): a call the ARS hands to an agent, the agent marks the consent
 * part. Keys pressed on the simulated call mark where we are: 7 before Start, 5 in the recorded
 * part, 8 while paused, 9 after the answer. Only 5 may be in the MP3 (R3).
 */

let app: TestApp;
let sim: Awaited<ReturnType<typeof startStandInServer>>;
let agentToken: string;

beforeAll(async () => {
  sim = await startStandInServer(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN);
  app = await startTestApp({
    TWILIO_API_BASE_URL: sim.url, JOB_POLL_SECONDS: '0.5',
    SCENARIOS_DIR: scenariosDir((s) => { s.agentNumber = '+8215889999'; }),
  });
  await api(app, 'POST', '/api/payers', { payerNumber: '77', name: '홍길동', birthDate: '19940424', phone: '+821012345678' });
  await api(app, 'POST', '/api/users', { username: 'agent1', password: 'agent-password-11', role: 'agent' });
  await api(app, 'POST', '/api/users', { username: 'auditor1', password: 'auditor-password-1', role: 'auditor' });
  agentToken = (await api(app, 'POST', '/api/tokens', { username: 'agent1', password: 'agent-password-11' }, 'none')).json.token;
});
afterAll(async () => {
  await app?.close();
  await sim?.close();
});

/** Points the caller's side and the agent's side of a test wait for. */
class Steps {
  private reached = new Set<string>();
  reach(step: string) {
    this.reached.add(step);
  }
  at(step: string, ms = 20_000) {
    return until(() => this.reached.has(step), ms, `step ${step}`);
  }
}

/** The payer's side after the transfer: talks before, during and after the marked part. */
function payerAfterTransfer(steps: Steps, script: () => string | undefined) {
  return async (conv: Conversation) => {
    await conv.payerPresses('7');
    await conv.payerSays('제 생일은 사월 이십사일이고요 요금 문의 좀 드릴게요');
    steps.reach('talking');
    await until(() => conv.recording() === 'recording', 20_000, 'the recording to start');
    await conv.agentSays(await until(script, 5000, 'the script'));
    await conv.payerPresses('5');
    steps.reach('scriptRead');
    await until(() => conv.recording() === 'paused', 20_000, 'the pause');
    await conv.payerPresses('8');
    await conv.payerSays('잠깐만요 카드번호가 어디 있더라');
    steps.reach('pausedTalk');
    await until(() => conv.recording() === 'recording', 20_000, 'the resume');
    await conv.payerSays('예 동의합니다');
    steps.reach('answered');
    await until(() => conv.recording() === 'none', 20_000, 'the recording to stop');
    await conv.payerPresses('9');
  };
}

function callToAgent(onDial: (conv: Conversation) => Promise<void>) {
  return runCall({
    serviceUrl: app.url, publicBaseUrl: PUBLIC_BASE_URL, authToken: TEST_AUTH_TOKEN, standIn: sim.standIn,
    from: '+821012345678', to: '+8215880000', inputs: scriptedInputs(parseCallerScript('0')), onDial,
  });
}

async function liveCallSid(): Promise<string> {
  const r = await until(async () => (await api(app, 'GET', '/api/agent/calls', undefined, agentToken)).json.calls[0], 10_000, 'a live call');
  return r.callSid;
}

/**
 * A transfer where the agent starts at once with the usual account, reads the script, and the payer
 * answers; then the payer waits for the recording to stop, or hangs up at once.
 */
async function agentStartsAtOnce(answer: string, waitForStop: boolean) {
  const steps = new Steps();
  let script: string | undefined;
  const call = callToAgent(async (conv) => {
    steps.reach('talking');
    await until(() => conv.recording() === 'recording');
    await conv.agentSays(await until(() => script));
    await conv.payerSays(answer);
    steps.reach('answered');
    if (waitForStop) await until(() => conv.recording() === 'none');
  });
  await steps.at('talking');
  const callSid = await liveCallSid();
  const started = await api(app, 'POST', '/api/agent-consents', { callSid, payerNumber: '77', bankCode: '081', accountNumber: '75023332200333' }, agentToken);
  expect(started.status, started.text).toBe(201);
  script = started.json.script;
  return { call, steps, callSid, id: started.json.id as string };
}

async function expectOnlyTheMarkedPart(consentId: string) {
  const keys = detectDtmf(await decodedConsentAudio(app, consentId), 8000).map((k) => k.key).join('');
  expect(keys).toBe('5');
}

describe('agent-recorded consent (method 4)', () => {
  it('start, pause, resume, consented: a method-4 record whose MP3 holds only the marked part', async () => {
    const steps = new Steps();
    let script: string | undefined;
    const call = callToAgent(payerAfterTransfer(steps, () => script));
    await steps.at('talking');
    const calls = (await api(app, 'GET', '/api/agent/calls', undefined, agentToken)).json.calls;
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ payerNumber: '77', holderName: '홍길동', reason: 'requested', agentConsent: null });
    const callSid = calls[0].callSid;
    const found = (await api(app, 'GET', '/api/payers?q=홍', undefined, agentToken)).json.payers;
    expect(found[0]).toMatchObject({ payerNumber: '77', name: '홍길동', birthDate: '19940424' });

    const started = await api(app, 'POST', '/api/agent-consents', { callSid, payerNumber: '77', bankCode: '081', accountNumber: '750-233-322-00333' }, agentToken);
    expect(started.status, started.text).toBe(201);
    expect(started.json).toMatchObject({ state: 'recording', accountNumber: '75023332200333' });
    for (const item of ['1994년 4월 24일생', '홍길동', '한빛에너지', '하나은행', '7 5 0 2 3 3 3 2 2 0 0 3 3 3', '출금이체']) expect(started.json.script).toContain(item);
    script = started.json.script;
    const id = started.json.id;
    expect((await api(app, 'POST', '/api/agent-consents', { callSid, payerNumber: '77', bankCode: '081', accountNumber: '75023332200333' }, agentToken)).status).toBe(409);

    await steps.at('scriptRead');
    expect((await api(app, 'POST', `/api/agent-consents/${id}/pause`, undefined, agentToken)).json.state).toBe('paused');
    expect((await api(app, 'POST', `/api/agent-consents/${id}/pause`, undefined, agentToken)).status).toBe(409);
    await steps.at('pausedTalk');
    expect((await api(app, 'POST', `/api/agent-consents/${id}/resume`, undefined, agentToken)).json.state).toBe('recording');
    await steps.at('answered');
    const finished = await api(app, 'POST', `/api/agent-consents/${id}/consented`, undefined, agentToken);
    expect(finished.json.state).toBe('consented');
    const result = await call;
    expect(result.recordings).toHaveLength(1);

    const consent = await waitForConsent(app, callSid, 30_000);
    expect(consent).toMatchObject({ status: 'ready', methodCode: 4, consentBy: 'voice', payerNumber: '77', bankCode: '081', accountNumber: '75023332200333', birthDate: '940424' });
    expect(consent.evidence.passed, JSON.stringify(consent.evidence)).toBe(true);
    expect(consent.evidence.checks.map((c: any) => c.name)).toEqual(['markedPart', 'scriptRead', 'complete', 'payerSaidYes']);
    await expectOnlyTheMarkedPart(consent.id);
    const shown = (await api(app, 'GET', `/api/agent-consents/${id}`, undefined, agentToken)).json;
    expect(shown.events.map((e: any) => e.kind)).toEqual(['start', 'pause', 'resume', 'finish']);
    expect(shown).toMatchObject({ consentId: consent.id, consentStatus: 'ready', agent: 'agent1' });
    const origin = (await api(app, 'GET', `/api/consents/${consent.id}`)).json.origin;
    expect(origin).toMatchObject({ kind: 'agent', agentConsentId: id, agent: 'agent1' });
    expect(origin.events.map((e: any) => `${e.kind}:${e.actor}`)).toEqual(['start:agent1', 'pause:agent1', 'resume:agent1', 'finish:agent1']);
    const log = (await api(app, 'GET', `/api/access-log/verify`)).json;
    expect(log.intact).toBe(true);
  }, 60_000);

  it('declined: the recording is not evidence, no consent, and it is deleted at Twilio', async () => {
    const { call, steps, callSid, id } = await agentStartsAtOnce('아니요 동의 안 합니다', true);
    await steps.at('answered');
    expect((await api(app, 'POST', `/api/agent-consents/${id}/declined`, undefined, agentToken)).json.state).toBe('declined');
    const result = await call;
    const recordingSid = result.recordings[0]!.sid;
    await until(() => sim.standIn.recordings.get(recordingSid)?.deleted, 10_000, 'the deletion at Twilio');
    expect(await waitForConsent(app, callSid, 1000)).toBeUndefined();
    const rec = (await app.db.pool.query('SELECT purpose, pipeline, master_path FROM recordings WHERE recording_sid = $1', [recordingSid])).rows[0];
    expect(rec).toMatchObject({ purpose: 'not-consent', pipeline: 'skipped', master_path: null });
  }, 60_000);

  it('the payer says yes and hangs up before the agent answers: the recording waits for the agent, then becomes the consent', async () => {
    const { call, callSid, id } = await agentStartsAtOnce('네 맞습니다', false);
    const result = await call;
    const recordingSid = result.recordings[0]!.sid;
    const waiting = await until(async () => (await app.db.pool.query('SELECT purpose, status FROM recordings WHERE recording_sid = $1', [recordingSid])).rows[0]);
    expect(waiting).toMatchObject({ purpose: 'awaiting-agent', status: 'completed' });
    const listed = (await api(app, 'GET', '/api/agent/calls', undefined, agentToken)).json.calls;
    expect(listed).toEqual([expect.objectContaining({ callSid, hungUp: true, agentConsent: { id, state: 'recording' } })]);
    const finished = await api(app, 'POST', `/api/agent-consents/${id}/consented`, undefined, agentToken);
    expect(finished.status).toBe(200);
    expect(finished.json.events.at(-1)).toMatchObject({ kind: 'finish' });
    const consent = await waitForConsent(app, callSid, 30_000);
    expect(consent).toMatchObject({ status: 'ready', methodCode: 4 });
  }, 60_000);

  it('refuses what cannot be done, with the reason; other roles cannot use it', async () => {
    const steps = new Steps();
    const call = callToAgent(async () => {
      steps.reach('talking');
      await steps.at('done');
    });
    await steps.at('talking');
    const callSid = await liveCallSid();
    const good = { callSid, payerNumber: '77', bankCode: '081', accountNumber: '75023332200333' };
    const cases: [Record<string, unknown>, number, string | undefined][] = [
      [{ ...good, bankCode: '999' }, 400, 'bankCode'],
      [{ ...good, accountNumber: '123' }, 400, 'accountNumber'],
      [{ ...good, payerNumber: 'NOBODY' }, 400, 'payerNumber'],
      [{ ...good, callSid: 'CA' + '0'.repeat(32) }, 404, 'callSid'],
      [{ ...good, callSid: 'nope' }, 400, 'callSid'],
    ];
    for (const [body, status, field] of cases) {
      const r = await api(app, 'POST', '/api/agent-consents', body, agentToken);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.json.field).toBe(field);
      expect(r.json.error).toBe(status === 404 ? 'not_found' : 'validation');
    }
    const auditor = (await api(app, 'POST', '/api/tokens', { username: 'auditor1', password: 'auditor-password-1' }, 'none')).json.token;
    expect((await api(app, 'POST', '/api/agent-consents', good, auditor)).status).toBe(403);
    expect((await api(app, 'GET', '/api/agent/calls', undefined, auditor)).status).toBe(403);
    expect((await api(app, 'POST', '/api/agent-consents/00000000-0000-4000-8000-000000000000/pause', undefined, agentToken)).status).toBe(404);
    steps.reach('done');
    await call;
    // The call ended: it is no longer live with an agent.
    const ended = await api(app, 'POST', '/api/agent-consents', good, agentToken);
    expect(ended.status).toBe(409);
    expect(ended.json).toMatchObject({ error: 'conflict', field: 'callSid', reason: 'the call is not live with an agent' });
    expect((await api(app, 'GET', '/api/agent/calls', undefined, agentToken)).json.calls).toEqual([]);
  }, 60_000);

  it.skipIf(noChromium)('the agent console by keyboard alone: pick the call and the payer, start, reload, pause, resume, consent; focus survives refreshes', async () => {
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await browser.newPage({ viewport: PHONE });
      await signIn(page, app.url, 'agent1', 'agent-password-11');
      await page.waitForURL(/\/agent$/);

      const steps = new Steps();
      let script: string | undefined;
      const call = callToAgent(payerAfterTransfer(steps, () => script));
      await steps.at('talking');
      await page.locator('ul.calls li').first().waitFor();
      // The call row's button says which call it is.
      await tabTo(page, /^\d\d:\d\d .+ 010-1\*{3}-5678, 상담원 연결 요청 통화 선택$/);
      // Focus stays on it across list refreshes (every 2 s).
      await page.waitForTimeout(4500);
      expect(await focusedName(page)).toMatch(/통화 선택$/);
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      await page.keyboard.press('Enter');
      await tabTo(page, /^납부자 검색/);
      await page.keyboard.type('홍길');
      await page.keyboard.press('Enter');
      await tabTo(page, /^선택: 홍길동 \(77/);
      await page.keyboard.press('Enter');
      expect(await focusedName(page)).toMatch(/^은행코드/);
      await page.keyboard.type('081');
      await tabTo(page, /^계좌번호/);
      await page.keyboard.type('75023332200333');
      await tabTo(page, /^녹음 시작$/);
      await page.keyboard.press('Enter');
      await page.locator('#state', { hasText: '녹음 중' }).waitFor();
      expect(await focusedName(page)).toBe('일시정지');
      script = (await page.locator('#script').textContent()) ?? undefined;
      expect(script).toContain('7 5 0 2 3 3 3 2 2 0 0 3 3 3');
      await page.screenshot({ path: screenshotPath('agent-console-390'), fullPage: true });

      // A reload during the marked part shows exactly the server's state.
      await page.reload();
      await page.locator('#state', { hasText: '녹음 중' }).waitFor();
      await expect(page.locator('#payer-chosen').textContent()).resolves.toBe('홍길동 (77)');
      await expect(page.locator('#bank').inputValue()).resolves.toBe('081');
      await expect(page.locator('#account').inputValue()).resolves.toBe('75023332200333');
      await expect(page.locator('#script').textContent()).resolves.toBe(script);
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      expect(await englishWords(page)).toEqual([]);

      await steps.at('scriptRead');
      await tabTo(page, /^일시정지$/);
      await page.keyboard.press('Enter');
      await page.locator('#state', { hasText: '일시정지' }).waitFor();
      expect(await focusedName(page)).toBe('재개');
      await steps.at('pausedTalk');
      await page.keyboard.press('Enter');
      await page.locator('#state', { hasText: '녹음 중' }).waitFor();
      await steps.at('answered');
      await tabTo(page, /^동의함$/);
      await page.keyboard.press('Enter');
      await page.locator('#message', { hasText: '출금동의 기록이 완료되었습니다' }).waitFor({ timeout: 40_000 });
      // After the answer: a link to the record and a reset form.
      const verifyLink = page.getByRole('link', { name: /^확인번호 \d{16} 확인하기$/ });
      await verifyLink.waitFor();
      // The form is reset (or gone with the call, once the payer has hung up).
      const form = await page.evaluate(() => ({ payer: document.getElementById('payer-chosen')?.textContent ?? null, bank: (document.getElementById('bank') as HTMLInputElement | null)?.value ?? null }));
      expect([{ payer: '선택 안 됨', bank: '' }, { payer: null, bank: null }]).toContainEqual(form);
      await page.screenshot({ path: screenshotPath('agent-console-done-390'), fullPage: true });
      const verificationNumber = /\d{16}/.exec((await verifyLink.textContent()) ?? '')![0];
      await call;
      const listed = (await api(app, 'GET', '/api/consents?methodCode=4')).json.consents as { id: string; verificationNumber: string }[];
      const consentId = listed.find((c) => c.verificationNumber === verificationNumber)!.id;
      const consent = (await api(app, 'GET', `/api/consents/${consentId}`)).json;
      expect(consent).toMatchObject({ methodCode: 4, status: 'ready' });
      await expectOnlyTheMarkedPart(consentId);
      // The auditor sees how it was taken: by whom, with the pause.
      const auditor = await (await browser.newContext()).newPage();
      await signIn(auditor, app.url, 'auditor1', 'auditor-password-1');
      await auditor.waitForURL(/\/consents$/);
      await auditor.goto(`${app.url}/consents/${consentId}`);
      await expect(auditor.getByText(/^상담원 녹취 \(방법 4\):/).textContent()).resolves.toContain('agent1');
      await expect(auditor.locator('#agent-events').textContent()).resolves.toMatch(/녹음 시작.*일시정지.*재개.*답변 표시/);
    } finally {
      await browser?.close();
    }
  }, 90_000);
});
