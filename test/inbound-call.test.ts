import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestApp, type TestApp } from './support/app.js';
import { TestCall } from './support/caller.js';

let app: TestApp;

const HONG = { payerNumber: '100200', name: '홍길동', birthDate: '19940424', phone: '+821012345678', amountDue: 45200 };
const KIM = { payerNumber: '100300', name: '김영희', birthDate: '19800102', phone: '+821099990000' };

beforeAll(async () => {
  app = await startTestApp();
  for (const p of [HONG, KIM]) expect((await api(app, 'POST', '/api/payers', p)).status).toBe(201);
});
afterAll(async () => {
  await app?.close();
});

async function callRecord(callSid: string) {
  const r = await api(app, 'GET', `/api/calls/${callSid}`);
  expect(r.status).toBe(200);
  return r.json;
}

/** Menu 2, birthdate, holder 1: the call stands at the account entry. */
async function toAccountEntry(call: TestCall) {
  await call.start();
  expect(call.text()).toContain('한빛에너지 고객센터입니다');
  await call.press('2');
  expect(call.text()).toContain('생년월일 8자리');
  await call.press('19940424');
  expect(call.text()).toContain('출금은행 코드와 출금계좌');
}

describe('inbound ARS consent call', () => {
  it('consent by key: readback of every R1 item after the recording starts, then the announcement of the key', async () => {
    const call = new TestCall(app);
    await toAccountEntry(call);
    expect(call.has('Start')).toBe(false);
    await call.press('08175023332200333');

    // Recording starts right before the readback, dual channel, untrimmed.
    const names = call.verbs.map((v) => v.name);
    expect(names.slice(0, 3)).toEqual(['Start', 'Say', 'Gather']);
    const rec = call.verbs[0]!.children[0]!;
    expect(rec.name).toBe('Recording');
    expect(rec.attrs).toMatchObject({ channels: 'dual', track: 'both', trim: 'do-not-trim' });
    expect(rec.attrs.recordingStatusCallback).toBe('https://ars.example.test/twilio/recording?attempt=1');

    const readback = call.verbs[1]!.text;
    expect(readback).toContain('1994년 4월 24일생');
    expect(readback).toContain('홍길동');
    expect(readback).toContain('한빛에너지');
    expect(readback).toContain('하나은행');
    expect(readback).toContain('칠 오 공 이 삼 삼 삼 이 이 공 공 삼 삼 삼');
    expect(readback).toMatch(/자동납부|출금이체/);
    // The readback is outside the Gather: no key press can skip it.
    expect(call.gather()!.children.map((c) => c.text).join(' ')).not.toContain('홍길동');

    await call.press('1');
    expect(call.text()).toContain('1번을 선택하셨습니다');
    expect(call.has('Hangup')).toBe(true);

    const record = await callRecord(call.callSid);
    expect(record.outcome).toBe('consented');
    expect(record.outcomeDetail).toMatchObject({ by: 'key', key: '1' });
    expect(record).toMatchObject({ payerNumber: '100200', bankCode: '081', accountNumber: '75023332200333' });

    // Event log: identity check precedes the recording start, the readback precedes the consent.
    const kinds = record.events.map((e: any) => `${e.kind}:${e.step}`);
    const identityOk = record.events.findIndex((e: any) => e.kind === 'check' && e.detail.identity === 'birthDate');
    const recStart = record.events.findIndex((e: any) => e.kind === 'recordingStarted');
    const readbackAt = record.events.findIndex((e: any) => e.detail.evidence === 'readback');
    const announce = record.events.findIndex((e: any) => e.detail.evidence === 'consentAnnouncement');
    expect(identityOk).toBeGreaterThan(-1);
    expect(recStart).toBeGreaterThan(identityOk);
    expect(readbackAt).toBeGreaterThan(recStart);
    expect(announce).toBeGreaterThan(readbackAt);
    expect(kinds).toContain('outcome:ended');
    // The birthdate keyed in is masked in the event log.
    expect(JSON.stringify(record.events)).not.toContain('"19940424"');
  });

  it('consent by voice: a spoken 예 is announced back', async () => {
    const call = new TestCall(app);
    await toAccountEntry(call);
    await call.press('08175023332200333');
    const g = call.gather()!;
    expect(g.attrs.input).toContain('speech');
    expect(g.attrs.language).toBe('ko-KR');
    await call.speak('예.', '0.91');
    expect(call.text()).toContain('동의하셨습니다');
    const record = await callRecord(call.callSid);
    expect(record.outcome).toBe('consented');
    expect(record.outcomeDetail).toMatchObject({ by: 'voice', speech: '예.' });
  });

  it('no (key 2 or 아니오) stops the recording and returns to the account entry, never to the identity check', async () => {
    const call = new TestCall(app);
    await toAccountEntry(call);
    await call.press('08175023332200333');
    const stops: string[] = [];
    const nock = (await import('nock')).default;
    const scope = nock('https://api.twilio.com')
      .post(new RegExp(`/Calls/${call.callSid}/Recordings/Twilio.CURRENT.json`), (body) => {
        stops.push(String(body.Status));
        return true;
      })
      .times(2)
      .reply(200, { sid: 'RE' + '1'.repeat(32), status: 'stopped' });
    await call.press('2');
    expect(call.text()).toContain('2번을 선택하셨습니다');
    expect(call.text()).toContain('출금은행 코드와 출금계좌');
    expect(call.text()).not.toContain('생년월일');
    await call.press('0045678901234');
    // A new readback starts a new recording (attempt 2).
    expect(call.verbs[0]!.children[0]!.attrs.recordingStatusCallback).toContain('attempt=2');
    expect(call.verbs[1]!.text).toContain('국민은행');
    await call.speak('아니요');
    expect(call.text()).toContain('다시 입력해 주세요');
    await new Promise((r) => setTimeout(r, 200));
    expect(stops).toEqual(['stopped', 'stopped']);
    scope.done();
  });

  it('re-prompts with the reason for a wrong bank code, a wrong account length and non-digits, then hands over', async () => {
    const call = new TestCall(app);
    await toAccountEntry(call);
    await call.press('99975023332200333');
    expect(call.text()).toContain('입력하신 은행코드를 확인할 수 없습니다');
    await call.press('0817502333');
    expect(call.text()).toContain('자릿수가');
    await call.press('08');
    // Third failure: no agent number in the default scenario, so a polite goodbye.
    expect(call.text()).toContain('상담원 연결이 어렵습니다');
    expect(call.has('Hangup')).toBe(true);
    const record = await callRecord(call.callSid);
    expect(record.outcome).toBe('failed');
    expect(record.outcomeDetail).toMatchObject({ step: 'account', reason: 'maxAttempts' });
  });

  it('a wrong birthdate re-prompts, and the identity is never on a recording', async () => {
    const call = new TestCall(app);
    await call.start();
    await call.press('2');
    await call.press('19940425');
    expect(call.text()).toContain('본인확인 정보가 일치하지 않습니다');
    expect(call.text()).toContain('생년월일 8자리');
    expect(call.has('Start')).toBe(false);
    await call.press('19940424');
    expect(call.text()).toContain('출금은행 코드와 출금계좌');
  });

  it('timeouts re-prompt with 입력이 없습니다, up to the limit', async () => {
    const call = new TestCall(app);
    await call.start();
    await call.silence();
    expect(call.text()).toContain('입력이 없습니다');
    expect(call.text()).toContain('고객센터입니다');
    await call.silence();
    await call.silence();
    expect(call.has('Hangup')).toBe(true);
    expect((await callRecord(call.callSid)).outcome).toBe('failed');
  });

  it('a caller who is not the account holder (3 at the confirmation) is not registered, and the recording is stopped (R4)', async () => {
    const call = new TestCall(app);
    await toAccountEntry(call);
    await call.press('08175023332200333');
    expect(call.gather()!.children.map((c) => c.text).join(' ')).toContain('예금주 본인이 아니시면 3번');
    const nock = (await import('nock')).default;
    const stop = nock('https://api.twilio.com').post(/Recordings\/Twilio\.CURRENT\.json/).reply(200, { status: 'stopped' });
    await call.press('3');
    expect(call.text()).toContain('예금주 본인만');
    expect(call.has('Hangup')).toBe(true);
    const record = await callRecord(call.callSid);
    expect(record.outcome).toBe('notHolder');
    await new Promise((r) => setTimeout(r, 200));
    stop.done();
  });

  it('bill inquiry reads the amount due after the identity check, then the menu again', async () => {
    const call = new TestCall(app);
    await call.start();
    await call.press('1');
    await call.press('19940424');
    expect(call.text()).toContain('45,200원');
    expect(call.text()).toContain('요금 조회를 하시려면 1번');
  });

  it('an unknown calling number is asked for the payer number', async () => {
    const call = new TestCall(app, '+821055554444');
    await call.start();
    await call.press('2');
    expect(call.text()).toContain('고객번호를 입력');
    await call.press('999999');
    expect(call.text()).toContain('고객번호를 찾을 수 없습니다');
    await call.press('100300');
    expect(call.text()).toContain('생년월일 8자리');
    await call.press('19800102');
    await call.press('0041234567890');
    expect(call.verbs[1]!.text).toContain('1980년 1월 2일생 김영희');
  });

  it('a hang-up in the middle is stored as abandoned at that step', async () => {
    const call = new TestCall(app);
    await toAccountEntry(call);
    await call.press('08175023332200333');
    await call.hangup();
    const record = await callRecord(call.callSid);
    expect(record.outcome).toBe('abandoned');
    expect(record.outcomeDetail).toMatchObject({ step: 'confirm' });
    expect(record.endedAt).not.toBeNull();
  });

  it('never logs the account number or the birthdate', async () => {
    const joined = app.logs.join('\n');
    expect(app.logs.length).toBeGreaterThan(0);
    expect(joined).not.toContain('75023332200333');
    expect(joined).not.toContain('19940424');
  });
});
