import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, freshDatabase, startTestApp, TEST_ACCOUNT_SID, type TestApp } from './support/app.js';
import { TestCall } from './support/caller.js';
import { scenariosDir } from './support/scenarios.js';

let sms: TestApp;
let other: TestApp;
let databaseUrl: string;

const PAYER = { payerNumber: '5001', name: '홍길동', birthDate: '19940424', phone: '+821012345678' };

beforeAll(async () => {
  databaseUrl = await freshDatabase();
  const dir = scenariosDir((s) => {
    s.identity = { method: 'sms', smsCodeLength: 6 };
    s.agentNumber = '+8215770000';
    s.confirmation = 'key';
    s.holderCheck = 'separate';
  });
  // Two instances of the service on one database.
  sms = await startTestApp({ SCENARIOS_DIR: dir }, databaseUrl);
  other = await startTestApp({ SCENARIOS_DIR: dir }, databaseUrl);
  await api(sms, 'POST', '/api/payers', PAYER);
});
afterAll(async () => {
  await sms?.close();
  await other?.close();
});

function captureSms() {
  const sent: { To: string; Body: string }[] = [];
  const scope = nock('https://api.twilio.com')
    .post(`/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Messages.json`, (body) => {
      sent.push(body);
      return true;
    })
    .reply(201, { sid: `SM${'0'.repeat(32)}`, status: 'queued' });
  return { sent, scope };
}

describe('identity by SMS code', () => {
  it('sends a code to the phone on file and accepts only that code; the code never reaches the logs', async () => {
    const { sent, scope } = captureSms();
    const call = new TestCall(sms);
    await call.start();
    await call.press('2');
    scope.done();
    expect(sent[0]!.To).toBe('+821012345678');
    const code = /(\d{6})/.exec(sent[0]!.Body)![1]!;
    expect(call.text()).toContain('인증번호를 입력해주세요');
    expect(call.gather()!.attrs.numDigits).toBe('6');
    const wrong = code === '000000' ? '111111' : '000000';
    await call.press(wrong);
    expect(call.text()).toContain('일치하지 않습니다');
    await call.press(code);
    expect(call.text()).toContain('예금주 본인이시면');
    const logs = sms.logs.join('\n') + other.logs.join('\n');
    expect(logs).not.toContain(code);
    const record = (await api(sms, 'GET', `/api/calls/${call.callSid}`)).json;
    expect(JSON.stringify(record)).not.toContain(code);
  });

  it('when the SMS cannot be sent, the caller is handed to an agent', async () => {
    nock('https://api.twilio.com').post(/Messages\.json/).reply(500, { message: 'down' });
    const call = new TestCall(sms);
    await call.start();
    await call.press('2');
    expect(call.text()).toContain('인증번호를 보내지 못했습니다');
    expect(call.has('Dial')).toBe(true);
    expect((await api(sms, 'GET', `/api/calls/${call.callSid}`)).json.outcome).toBe('transferred');
  });
});

describe('agent transfer', () => {
  it('0 in the menu dials the configured agent number', async () => {
    const call = new TestCall(sms);
    await call.start();
    await call.press('0');
    const dial = call.verbs.find((v) => v.name === 'Dial')!;
    expect(dial.text).toBe('+8215770000');
    expect(call.text()).toContain('상담원에게 연결');
    const record = (await api(sms, 'GET', `/api/calls/${call.callSid}`)).json;
    expect(record.outcomeDetail).toMatchObject({ kind: 'transferred', reason: 'requested' });
  });

  it('after the retry limit the caller goes to the agent, and a running recording is stopped first (R3)', async () => {
    const { sent } = captureSms();
    const stop = nock('https://api.twilio.com').post(/Recordings\/Twilio\.CURRENT\.json/).reply(200, { status: 'stopped' });
    const call = new TestCall(sms);
    await call.start();
    await call.press('2');
    await call.press(/(\d{6})/.exec(sent[0]!.Body)![1]!);
    await call.press('1');
    await call.press('08175023332200333');
    expect(call.has('Start')).toBe(true);
    await call.press('7');
    await call.press('8');
    await call.press('9');
    expect(call.has('Dial')).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    stop.done();
  });

  it('a caller who is not the holder is handed to the agent (R4)', async () => {
    const { sent } = captureSms();
    const call = new TestCall(sms);
    await call.start();
    await call.press('2');
    await call.press(/(\d{6})/.exec(sent[0]!.Body)![1]!);
    await call.press('2');
    expect(call.text()).toContain('예금주 본인만');
    expect(call.has('Dial')).toBe(true);
    expect((await api(sms, 'GET', `/api/calls/${call.callSid}`)).json.outcomeDetail).toMatchObject({ reason: 'notHolder' });
  });
});

describe('two instances on one database', () => {
  it('take alternate webhooks of the same call and reach the same consent', async () => {
    const { sent } = captureSms();
    const call = new TestCall(sms);
    const onOther = new TestCall(other, call.from, call.to, call.callSid);
    await call.start();
    onOther.verbs = call.verbs;
    await onOther.press('2');
    const code = /(\d{6})/.exec(sent[0]!.Body)![1]!;
    call.verbs = onOther.verbs;
    await call.press(code);
    onOther.verbs = call.verbs;
    await onOther.press('1');
    call.verbs = onOther.verbs;
    await call.press('08175023332200333');
    onOther.verbs = call.verbs;
    await onOther.press('1');
    expect(onOther.text()).toContain('1번을 선택하셨습니다');
    const record = (await api(sms, 'GET', `/api/calls/${call.callSid}`)).json;
    expect(record.outcome).toBe('consented');
  });

  it('the same webhook delivered to both at once is applied once', async () => {
    const call = new TestCall(sms);
    await call.start();
    const twin = new TestCall(other, call.from, call.to, call.callSid);
    twin.verbs = call.verbs;
    await Promise.all([call.press('1'), twin.press('1')]);
    const record = (await api(sms, 'GET', `/api/calls/${call.callSid}`)).json;
    expect(record.events.filter((e: any) => e.kind === 'input' && e.detail.digits === '1')).toHaveLength(1);
    expect(record.events.filter((e: any) => e.kind === 'replay')).toHaveLength(1);
  });
});
