import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTwiml } from '../src/simulator/twimlParser.js';
import { api, PUBLIC_BASE_URL, postSigned, startTestApp, TEST_AUTH_TOKEN, type TestApp } from './support/app.js';
import { newCallSid, TestCall } from './support/caller.js';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
  await api(app, 'POST', '/api/payers', { payerNumber: '7001', name: '홍길동', birthDate: '19940424', phone: '+821012345678' });
});
afterAll(async () => {
  await app?.close();
});

describe('Twilio signature', () => {
  it('rejects a missing or wrong signature with 403 and logs it', async () => {
    const params = { CallSid: newCallSid(), From: '+821012345678', To: '+8215880000' };
    const unsigned = await fetch(`${app.url}/twilio/voice`, { method: 'POST', body: new URLSearchParams(params) });
    expect(unsigned.status).toBe(403);
    const wrongToken = await postSigned(app, '/twilio/voice', params, 'another-token-0123456789abcdef');
    expect(wrongToken.status).toBe(403);
    expect(app.logs.some((l) => l.includes('bad Twilio signature'))).toBe(true);
  });

  it('checks the signature against PUBLIC_BASE_URL, not the Host header', async () => {
    const params = { CallSid: newCallSid(), From: '+821012345678', To: '+8215880000' };
    const signedForHost = twilio.getExpectedTwilioSignature(TEST_AUTH_TOKEN, `${app.url}/twilio/voice`, params);
    const res = await fetch(`${app.url}/twilio/voice`, {
      method: 'POST',
      headers: { 'X-Twilio-Signature': signedForHost, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params),
    });
    expect(res.status).toBe(403);
    const good = await postSigned(app, '/twilio/voice', params);
    expect(good.status).toBe(200);
  });

  it('a tampered parameter breaks the signature', async () => {
    const params = { CallSid: newCallSid(), Digits: '1' };
    const sig = twilio.getExpectedTwilioSignature(TEST_AUTH_TOKEN, `${PUBLIC_BASE_URL}/twilio/voice`, params);
    const res = await fetch(`${app.url}/twilio/voice`, {
      method: 'POST',
      headers: { 'X-Twilio-Signature': sig, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...params, Digits: '2' }),
    });
    expect(res.status).toBe(403);
  });
});

describe('bad input never gets a 5xx and always a sensible prompt', () => {
  it('missing or malformed CallSid: an apology and a hang-up, status 200', async () => {
    for (const params of [{}, { CallSid: 'nonsense' }, { CallSid: "CA'; DROP TABLE calls; --" }] as Record<string, string>[]) {
      const res = await postSigned(app, '/twilio/voice', params);
      expect(res.status).toBe(200);
      const verbs = parseTwiml(await res.text());
      expect(verbs.map((v) => v.name)).toEqual(['Say', 'Hangup']);
      const g = await postSigned(app, '/twilio/voice/gather?turn=1', { ...params, Digits: '1' });
      expect(g.status).toBe(200);
    }
  });

  it('a SID that is not 32 hex digits (a test harness) is still a call', async () => {
    const call = new TestCall(app, '+821012345678', '+8215880000', 'CAtest0001');
    await call.start();
    expect(call.text()).toContain('고객센터입니다');
    await call.press('2');
    expect(call.text()).toContain('생년월일');
  });

  it('garbage From and To still answer with the menu', async () => {
    const call = new TestCall(app, '<script>alert(1)</script>', '');
    await call.start();
    expect(call.text()).toContain('고객센터입니다');
    await call.press('2');
    expect(call.text()).toContain('고객번호');
  });

  it('odd Digits and SpeechResult re-prompt', async () => {
    const call = new TestCall(app);
    await call.start();
    for (const digits of ['9', '*', '#', 'abc', '1'.repeat(500), '２', '-1']) {
      await call.press(digits);
      expect(call.text()).toMatch(/잘못 누르셨습니다|입력이 없습니다/);
      if (call.has('Hangup')) break;
    }
    const speechCall = new TestCall(app);
    await speechCall.start();
    await speechCall.press('2');
    await speechCall.press('19940424');
    await speechCall.press('08175023332200333');
    await speechCall.speak('글쎄요 잘 모르겠어요', '0.9');
    expect(speechCall.text()).toContain('알아듣지 못했습니다');
    await speechCall.speak('예', '0.05');
    expect(speechCall.text()).toContain('알아듣지 못했습니다');
    await speechCall.speak('예', 'not-a-number');
    expect(speechCall.text()).toContain('동의하셨습니다');
  });

  it('a replayed webhook changes nothing and repeats the current question', async () => {
    const call = new TestCall(app);
    await call.start();
    const menuPath = call.gatherPath();
    await call.press('2');
    const identityText = call.text();
    const base = { CallSid: call.callSid, From: call.from, To: call.to };
    const replay = await postSigned(app, menuPath, { ...base, Digits: '1' });
    expect(replay.status).toBe(200);
    const verbs = parseTwiml(await replay.text());
    expect(JSON.stringify(verbs)).toContain('생년월일');
    expect(identityText).toContain('생년월일');
    const record = (await api(app, 'GET', `/api/calls/${call.callSid}`)).json;
    expect(record.step).toBe('identity');
    expect(record.events.some((e: any) => e.kind === 'replay')).toBe(true);
    // The initial webhook replayed gives the same menu, not a second call.
    const again = await postSigned(app, '/twilio/voice', base);
    expect(await again.text()).toContain('생년월일');
  });

  it('a gather for an unknown call starts it from the menu', async () => {
    const res = await postSigned(app, '/twilio/voice/gather?turn=3', { CallSid: newCallSid(), From: '+821012345678', Digits: '2' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('고객센터입니다');
  });

  it('a malformed body or bad turn never gives a 5xx', async () => {
    const call = new TestCall(app);
    await call.start();
    for (const turn of ['', 'abc', '-1', '99999999999999999999']) {
      const res = await postSigned(app, `/twilio/voice/gather?turn=${turn}`, { CallSid: call.callSid, Digits: '2' });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('고객센터입니다');
    }
    const status = await postSigned(app, '/twilio/status', { CallSid: 'x', CallStatus: 'completed' });
    expect(status.status).toBe(204);
    const rec = await postSigned(app, '/twilio/recording?attempt=zz', { CallSid: call.callSid, RecordingStatus: '???' });
    expect(rec.status).toBeLessThan(300);
  });
});
