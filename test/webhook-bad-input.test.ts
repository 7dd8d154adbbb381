import { createSecretKey } from 'node:crypto';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWriteBatcher } from '../src/calls/writeBatcher.js';
import type { CallState } from '../src/scenario/engine.js';
import { parseTwiml } from '../src/simulator/twimlParser.js';
import { twilioSignature } from '../src/telephony/signature.js';
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

  it('the signature is computed as twilio computes it, for any fields (repeated, unicode, empty, odd names)', () => {
    const key = createSecretKey(Buffer.from(TEST_AUTH_TOKEN, 'utf8'));
    const url = `${PUBLIC_BASE_URL}/twilio/voice/gather?turn=3&x=%20y`;
    const cases: [string, string][][] = [
      [],
      [['CallSid', newCallSid()], ['Digits', '1'], ['From', '+821012345678']],
      [['SpeechResult', '예, 동의합니다 😀'], ['Confidence', '0.93'], ['Empty', '']],
      [['Digits', '2'], ['Digits', '1'], ['Digits', '2'], ['a', 'b'], ['A', 'c'], ['_', '=&']],
      [['__proto__', 'x'], ['constructor', 'y'], ['toString', 'z']],
    ];
    for (const pairs of cases) {
      const fields = new Map<string, string[]>();
      for (const [k, v] of pairs) fields.set(k, [...(fields.get(k) ?? []), v]);
      const params: Record<string, string | string[]> = Object.create(null);
      for (const [k, vs] of fields) params[k] = vs.length === 1 ? vs[0]! : vs;
      expect(twilioSignature(key, url, fields)).toBe(twilio.getExpectedTwilioSignature(TEST_AUTH_TOKEN, url, params));
    }
  });

  it('field names such as __proto__ or constructor, signed or not, get an answer and do not stop the service', async () => {
    for (const body of ['__proto__=1', 'constructor=1&toString=2', '__proto__=1&__proto__=2', 'hasOwnProperty=x&CallSid=CA1']) {
      const res = await fetch(`${app.url}/twilio/voice`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': 'forged' }, body });
      expect(res.status, body).toBe(403);
    }
    const call = new TestCall(app);
    const params: Record<string, string> = Object.assign(Object.create(null), { CallSid: call.callSid, From: call.from, To: call.to, constructor: 'y' });
    params['__proto__'] = 'x'; // an own field named __proto__ (the object has no prototype)
    const signed = await postSigned(app, '/twilio/voice', params);
    expect(signed.status).toBe(200);
    expect(await signed.text()).toContain('고객센터입니다');
    const pageQuery = await fetch(`${app.url}/api/consents?__proto__=1&constructor=2`, { headers: { Authorization: `Bearer ${app.config.adminToken}` } });
    expect(pageQuery.status).toBeLessThan(500);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
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

describe('the webhooks served without express, and the same paths spelled otherwise through it', () => {
  /** Headers that do not vary from one response to the next. */
  const steady = (res: Response) => [...res.headers.entries()].filter(([name]) => !['date', 'x-request-id', 'content-length', 'etag', 'keep-alive', 'connection'].includes(name));

  it('a trailing slash or capitals reach the same handler, checked the same way, with the same headers', async () => {
    const from = { From: '+821012345678', To: '+8215880000', AccountSid: `AC${'a'.repeat(32)}` };
    const exact = await postSigned(app, '/twilio/voice', { CallSid: newCallSid(), ...from });
    for (const spelling of ['/twilio/voice/', '/TWILIO/Voice']) {
      const other = await postSigned(app, spelling, { CallSid: newCallSid(), ...from });
      expect(other.status, spelling).toBe(200);
      expect(await other.text()).toBe(await exact.clone().text());
      expect(steady(other)).toEqual(steady(exact));
    }
    expect(exact.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(exact.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    // Refused alike: unsigned, by GET, or forged.
    const forged = { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': 'forged' }, body: `CallSid=${newCallSid()}` };
    for (const [path, init] of [['/twilio/voice', forged], ['/twilio/voice/', forged], ['/twilio/voice', {}], ['/twilio/nothing', forged]] as const) {
      const res = await fetch(app.url + path, init);
      expect(res.status, path).toBe(403);
      expect(await res.text()).toBe('invalid Twilio signature');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
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

  it('many calls at once, each webhook delivered twice at the same moment: every turn applied once, in order, the twin a replay', async () => {
    const calls = Array.from({ length: 12 }, () => new TestCall(app));
    await Promise.all(calls.map((c) => c.start()));
    const twins = calls.map((c) => {
      const twin = new TestCall(app, c.from, c.to, c.callSid);
      twin.verbs = c.verbs;
      return twin;
    });
    // Both deliveries of the menu answer at once, for every call (the writes of one process go together).
    await Promise.all(calls.flatMap((c, i) => [c.press('2'), twins[i]!.press('2')]));
    for (const [i, call] of calls.entries()) {
      expect(call.text()).toContain('생년월일');
      expect(twins[i]!.text()).toContain('생년월일');
      const record = (await api(app, 'GET', `/api/calls/${call.callSid}`)).json;
      expect(record.step).toBe('identity');
      expect(record.events.filter((e: any) => e.kind === 'input' && e.detail.digits === '2')).toHaveLength(1);
      expect(record.events.filter((e: any) => e.kind === 'replay')).toHaveLength(1);
      // The turn's events in the order they happened: the menu's input, then the identity question.
      const kinds = record.events.filter((e: any) => e.turn === 1).map((e: any) => e.kind);
      expect(kinds.indexOf('input')).toBeLessThan(kinds.lastIndexOf('prompt'));
    }
    // Then the calls end at once: each is hung up exactly once.
    await Promise.all(calls.map((c) => postSigned(app, '/twilio/status', { CallSid: c.callSid, CallStatus: 'completed', CallDuration: '9' })));
    for (const call of calls) {
      const record = (await api(app, 'GET', `/api/calls/${call.callSid}`)).json;
      expect((await app.db.pool.query('SELECT hung_up_at FROM calls WHERE call_sid = $1', [call.callSid])).rows[0].hung_up_at).toBeInstanceOf(Date);
      expect(record.events.filter((e: any) => e.kind === 'callStatus')).toHaveLength(1);
    }
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

describe('writes of several calls committed together', () => {
  it('one write the database refuses does not take the others in its statement down', async () => {
    const write = createWriteBatcher(app.db.pool);
    const state = { step: 'menu', turn: 0 } as unknown as CallState;
    const newCall = (callSid: string, requestId?: string) =>
      write({
        kind: 'new',
        call: { callSid, scenarioId: 'default', from: '+821012345678', to: '+8215880000', direction: 'inbound', requestId },
        state,
        twiml: '<Response/>',
        events: [{ turn: 0, step: 'menu', kind: 'prompt', detail: { text: '메뉴' } }],
      });
    const good = [newCallSid(), newCallSid(), newCallSid()];
    const results = await Promise.allSettled([newCall(good[0]!), newCall(good[1]!), newCall(newCallSid(), 'not-a-uuid'), newCall(good[2]!)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<boolean>).value)).toEqual([true, true, true]);
    const stored = await app.db.pool.query('SELECT call_sid FROM calls WHERE call_sid = ANY($1)', [good]);
    expect(stored.rowCount).toBe(3);
    // The same CallSid again is a replay: not applied, nothing written.
    expect(await newCall(good[0]!)).toBe(false);
    expect((await app.db.pool.query('SELECT 1 FROM call_events WHERE call_sid = $1', [good[0]])).rowCount).toBe(1);
  });
});

describe('a write held up in the database', () => {
  it("does not hold up other calls' webhooks: they are answered, and applied, at once", async () => {
    const stuck = new TestCall(app);
    await stuck.start();
    const other = new TestCall(app);
    await other.toReadback();
    // Another transaction holds the stuck call's row (a lock, a slow disk, a connection gone quiet).
    const locker = await app.db.pool.connect();
    let held: Promise<unknown> | undefined;
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM calls WHERE call_sid = $1 FOR UPDATE', [stuck.callSid]);
      held = stuck.press('2').catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
      const started = Date.now();
      await other.press('1');
      // The caller hears the choice announced, not the apology at the webhook deadline.
      expect(other.text()).toContain('1번을 선택하셨습니다');
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
    await held;
    // Whatever the caller heard is what was applied: no consent turn written after its apology.
    const record = (await api(app, 'GET', `/api/calls/${other.callSid}`)).json;
    expect(other.text().includes('1번을 선택하셨습니다')).toBe(record.events.some((e: any) => e.detail?.evidence === 'consentAnnouncement'));
  });
});
