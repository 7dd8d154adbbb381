import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectDtmf } from '../src/audio/analysis.js';
import { answerOutboundCalls, scriptedInputs, startStandInServer, type CallEvent, type PickUp } from '../src/simulator/index.js';
import { api, postSigned, PUBLIC_BASE_URL, startTestApp, TEST_ACCOUNT_SID, TEST_ADMIN_TOKEN, TEST_AUTH_TOKEN, type TestApp } from './support/app.js';
import { callbackReceiver, signatureValid, until } from './support/callbacks.js';
import { decodedConsentAudio } from './support/recording.js';
import { defaultScenarioJson, scenariosDir } from './support/scenarios.js';

/** Outbound ARS consent requests (method 5): a website asks, the service calls, the payer keys in the code. */

const SECRET = 'test-callback-secret-0123456789';
let app: TestApp;
let sim: Awaited<ReturnType<typeof startStandInServer>>;
let receiver: Awaited<ReturnType<typeof callbackReceiver>>;
/** What the phone at each number does when the service calls it. */
const phones = new Map<string, (code: string) => PickUp>();
const codes = new Map<string, string>();
const transcripts = new Map<string, CallEvent[]>();

beforeAll(async () => {
  sim = await startStandInServer(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN);
  receiver = await callbackReceiver();
  const keyed = { ...defaultScenarioJson(), id: 'keyed', default: false, outbound: { confirmation: 'key', callerId: '+8215880002' } };
  app = await startTestApp({
    TWILIO_API_BASE_URL: sim.url, JOB_POLL_SECONDS: '0.5', QUIET_HOURS: 'off', CALLBACK_SECRET: SECRET,
    CALLBACK_RETRY_DELAY_SECONDS: '1', CALLBACK_RETRY_LIMIT: '3', SCENARIOS_DIR: scenariosDir(() => {}, [keyed]),
    // The receiver listens on loopback: allowed only by this explicit setting.
    CALLBACK_ALLOW_PRIVATE: 'true',
  });
  answerOutboundCalls({
    serviceUrl: app.url, publicBaseUrl: PUBLIC_BASE_URL, authToken: TEST_AUTH_TOKEN, standIn: sim.standIn,
    pickUp: async (call) => {
      const behaviour = await until(() => phones.get(call.to), 5000, `a script for ${call.to}`);
      const code = await until(() => codes.get(call.to), 5000, `the code for ${call.to}`);
      const pickUp = behaviour(code);
      if (pickUp.answer === 'answer') {
        const events: CallEvent[] = [];
        transcripts.set(call.to, events);
        return { ...pickUp, onEvent: (e) => events.push(e) };
      }
      return pickUp;
    },
  });
  await api(app, 'POST', '/api/payers', { payerNumber: 'R100', name: '홍길동', birthDate: '19940424', phone: '+821012345678' });
});
afterAll(async () => {
  await app?.close();
  await sim?.close();
  await receiver?.close();
});

const keys = (...k: string[]) => (_code: string): PickUp => ({ answer: 'answer', inputs: scriptedInputs(k.map((x) => ({ keys: x }))) });

async function request(phone: string, behaviour: (code: string) => PickUp, extra: Record<string, unknown> = {}) {
  phones.set(phone, behaviour);
  // Each phone is its own payer's (a payer on file is called only on the phone on file).
  const payer = { payerNumber: `R${phone.slice(-4)}`, name: '홍길동', birthDate: '19940424' };
  const r = await api(app, 'POST', '/api/consent-requests', { ...payer, phone, bankCode: '081', accountNumber: '75023332200333', callbackUrl: receiver.url, ...extra });
  expect(r.status, r.text).toBe(201);
  codes.set(phone, r.json.code);
  return r.json as { id: string; code: string; status: string };
}

async function finished(id: string, timeoutMs = 30_000) {
  return until(async () => {
    const r = (await api(app, 'GET', `/api/consent-requests/${id}`)).json;
    return r.finishedAt ? r : undefined;
  }, timeoutMs, `request ${id} to finish`);
}

/** What the ARS said on the call to that number, once the call has ended (the request may finish first). */
async function said(phone: string): Promise<string> {
  const events = await until(() => (transcripts.get(phone)?.some((e) => e.kind === 'ended') ? transcripts.get(phone) : undefined), 20_000, `the call to ${phone} to end`);
  return events.filter((e) => e.kind === 'ars').map((e) => (e as { text: string }).text).join(' ');
}

describe('outbound ARS consent requests', () => {
  it('the payer answers, hears the readback, keys in the code: consented, a method-5 record, a signed callback', async () => {
    const phone = '+821011110001';
    const req = await request(phone, (code) => keys(code)(code));
    expect(req.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(req.code).toMatch(/^[1-9]\d$/);
    const done = await finished(req.id);
    expect(done).toMatchObject({ status: 'consented', reason: null, payerNumber: 'R0001', callback: { url: receiver.url } });
    expect(done.consentId).toMatch(/^[0-9a-f-]{36}$/);
    const text = await said(phone);
    expect(text).toContain('홍길동 고객님께서는 한빛에너지의');
    expect(text).toContain('칠 오 공 이 삼 삼 삼 이 이 공 공 삼 삼 삼');
    expect(text).toContain(`${req.code}번을 입력하셨습니다`);
    const consent = (await api(app, 'GET', `/api/consents/${done.consentId}`)).json;
    expect(consent).toMatchObject({ status: 'ready', methodCode: 5, consentBy: 'key', payerNumber: 'R0001', bankCode: '081', accountNumber: '75023332200333' });
    expect(consent.evidence.passed).toBe(true);
    expect(consent.origin).toMatchObject({ kind: 'request', requestId: req.id, requestedBy: 'admin-token' });
    // The recording holds the code's key tones and nothing keyed before the readback.
    const tones = detectDtmf(await decodedConsentAudio(app, consent.id), 8000).map((k) => k.key).join('');
    expect(tones).toBe(req.code);
    const delivery = await until(() => receiver.received.find((d) => d.json?.id === req.id));
    expect(signatureValid(SECRET, delivery.body, delivery.headers['x-ars-signature'])).toBe(true);
    expect(signatureValid('another-secret-0123456789', delivery.body, delivery.headers['x-ars-signature'])).toBe(false);
    expect(delivery.json).toMatchObject({ event: 'consent-request.finished', status: 'consented', consentId: consent.id, consent: { methodCode: 5, verificationNumber: consent.verificationNumber } });
    const call = (await api(app, 'GET', `/api/calls/${done.callSid}`)).json;
    expect(call).toMatchObject({ direction: 'outbound', outcome: 'consented' });
    const logs = app.logs.join('\n');
    expect(logs).not.toContain('75023332200333');
    expect(logs).not.toContain(phone);
  });

  it('a scenario that confirms with 1: the payer presses 1 to consent, 3 when not the holder', async () => {
    const yes = await request('+821011110011', keys('1'), { scenario: 'keyed' });
    const no = await request('+821011110012', keys('3'), { scenario: 'keyed' });
    const [dy, dn] = await Promise.all([finished(yes.id), finished(no.id)]);
    expect(dy).toMatchObject({ status: 'consented', scenario: 'keyed' });
    expect(await said('+821011110011')).toContain('맞으면 1번, 틀리면 2번');
    expect(await said('+821011110011')).toContain('1번을 입력하셨습니다');
    expect((await api(app, 'GET', `/api/consents/${dy.consentId}`)).json).toMatchObject({ status: 'ready', methodCode: 5 });
    expect(dn).toMatchObject({ status: 'declined', reason: 'the payer is not the account holder' });
    expect(sim.standIn.outboundCalls.find((c) => c.to === '+821011110011')?.from).toBe('+8215880002');
  });

  it('the payer declines with *: declined, no consent, the callback says so', async () => {
    const phone = '+821011110002';
    const req = await request(phone, () => keys('*', '')(''));
    const done = await finished(req.id);
    expect(done).toMatchObject({ status: 'declined', reason: 'the payer declined', consentId: null });
    expect(await said(phone)).toContain('동의하지 않으셨습니다');
    const delivery = await until(() => receiver.received.find((d) => d.json?.id === req.id));
    expect(delivery.json.status).toBe('declined');
    expect((await api(app, 'GET', `/api/consents?callSid=${done.callSid}`)).json.count).toBe(0);
  });

  it('a wrong code twice is asked again; the right one on the third try consents; three wrong ones fail', async () => {
    const phone = '+821011110003';
    const wrong = (code: string) => String(((Number(code) - 10 + 1) % 90) + 10);
    const req = await request(phone, (code) => keys(wrong(code), wrong(code), code)(code));
    const done = await finished(req.id);
    expect(done.status).toBe('consented');
    expect((await said(phone)).match(/화면에 표시된 숫자와 다릅니다/g)).toHaveLength(2);
    expect((await api(app, 'GET', `/api/consents/${done.consentId}`)).json.evidence.passed).toBe(true);

    const phone2 = '+821011110004';
    const req2 = await request(phone2, (code) => keys(wrong(code), wrong(code), wrong(code))(code));
    const done2 = await finished(req2.id);
    expect(done2.status).toBe('failed');
    expect(done2.reason).toContain('3 tries');
    expect(await said(phone2)).toContain('접수되지 않았습니다');
  });

  it('no answer and busy are outcomes of their own', async () => {
    const a = await request('+821011110005', () => ({ answer: 'no-answer' }));
    const b = await request('+821011110006', () => ({ answer: 'busy' }));
    const [da, db] = await Promise.all([finished(a.id), finished(b.id)]);
    expect(da).toMatchObject({ status: 'no-answer', consentId: null });
    expect(db).toMatchObject({ status: 'busy', consentId: null });
  });

  it('the payer hangs up during the readback: failed, with the reason', async () => {
    const req = await request('+821011110007', () => ({ answer: 'answer', inputs: scriptedInputs([]) }));
    const done = await finished(req.id);
    expect(done).toMatchObject({ status: 'failed', reason: 'the payer hung up before answering' });
  });

  it('the callback is retried after failures until acknowledged, each attempt recorded', async () => {
    const flaky = await callbackReceiver(2);
    const req = await request('+821011110008', () => ({ answer: 'no-answer' }), { callbackUrl: flaky.url });
    await finished(req.id);
    const done = await until(async () => {
      const r = (await api(app, 'GET', `/api/consent-requests/${req.id}`)).json;
      return r.callback.state === 'delivered' ? r : undefined;
    }, 30_000, 'the callback to be delivered');
    expect(done.callback.attempts).toBe(3);
    const attempts = flaky.received.filter((d) => d.json?.id === req.id);
    await flaky.close();
    expect(attempts.map((d) => d.answered)).toEqual([500, 500, 200]);
    for (const d of attempts) expect(signatureValid(SECRET, d.body, d.headers['x-ars-signature'])).toBe(true);
    const rows = (await app.db.pool.query('SELECT attempt, http_status FROM consent_request_deliveries WHERE request_id = $1 ORDER BY id', [req.id])).rows;
    expect(rows).toEqual([{ attempt: 1, http_status: 500 }, { attempt: 2, http_status: 500 }, { attempt: 3, http_status: 200 }]);
  }, 45_000);

  it('a callback that is never acknowledged is given up after the retry limit, and says why', async () => {
    const req = await request('+821011110009', () => ({ answer: 'busy' }), { callbackUrl: 'http://127.0.0.1:9/nobody-listens' });
    const done = await until(async () => {
      const r = (await api(app, 'GET', `/api/consent-requests/${req.id}`)).json;
      return r.callback.state === 'given-up' ? r : undefined;
    }, 40_000, 'the callback to be given up');
    expect(done.callback.attempts).toBe(4);
    // Coarse: no port-scan oracle (the detail is in the service's log only).
    expect(done.callback.lastError).toBe('delivery failed');
    expect(app.logs.some((l) => l.includes('CALLBACK GIVEN UP'))).toBe(true);
  }, 50_000);

  it('name and birth date instead of a payer number; the payer on file is found', async () => {
    phones.set('+821011110010', () => ({ answer: 'no-answer' }));
    await api(app, 'POST', '/api/payers', { payerNumber: 'R200', name: '이몽룡', birthDate: '19900101', phone: '+821011110010' });
    const r = await api(app, 'POST', '/api/consent-requests', { name: '이몽룡', birthDate: '19900101', phone: '010-1111-0010', bankCode: '088', accountNumber: '110-123-456789' });
    expect(r.status, r.text).toBe(201);
    codes.set('+821011110010', r.json.code);
    expect(r.json).toMatchObject({ payerNumber: 'R200', bankCode: '088', status: 'queued', callback: null, phone: '+82101***0010' });
  });

  it('refuses bad requests with a 400 that names the field and says why', async () => {
    const good = { payerNumber: 'R100', phone: '+821012345678', bankCode: '081', accountNumber: '75023332200333' };
    const cases: [Record<string, unknown>, string | undefined, RegExp][] = [
      [{ ...good, bankCode: '999' }, 'bankCode', /KFTC/],
      [{ ...good, bankCode: '08' }, 'bankCode', /3-digit/],
      [{ ...good, accountNumber: '7502333' }, 'accountNumber', /digits/],
      [{ ...good, accountNumber: '7502-ABC' }, 'accountNumber', /digits only/],
      [{ ...good, phone: '010-1234' }, 'phone', /Korean phone number/],
      [{ ...good, phone: '+15551234567' }, 'phone', /Korean phone number/],
      [{ ...good, phone: undefined }, 'phone', /required/],
      [{ ...good, payerNumber: 'NOPE1' }, 'payerNumber', /no payer/],
      [{ phone: good.phone, bankCode: '081', accountNumber: good.accountNumber }, 'payerNumber', /name and birthDate/],
      [{ ...good, payerNumber: undefined, name: '홍길동', birthDate: '19941340' }, 'birthDate', /real date/],
      [{ ...good, scenario: 'nope' }, 'scenario', /no such scenario/],
      [{ ...good, callbackUrl: 'ftp://x' }, 'callbackUrl', /http/],
      // One generic reason for every identity mismatch, never which field.
      [{ ...good, name: '김철수' }, undefined, /^the payer details do not match$/],
      [{ ...good, phone: '+821099998888' }, undefined, /^the payer details do not match$/],
      [{ ...good, extra: 1 }, 'extra', /not a known field/],
    ];
    for (const [body, field, reason] of cases) {
      const r = await api(app, 'POST', '/api/consent-requests', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.field, JSON.stringify(body)).toBe(field);
      expect(r.json.reason).toMatch(reason);
    }
    expect((await api(app, 'POST', '/api/consent-requests', '{not json')).status).toBe(400);
    expect((await api(app, 'POST', '/api/consent-requests', good, 'wrong-token')).status).toBe(401);
    expect((await api(app, 'GET', '/api/consent-requests/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await api(app, 'GET', '/api/consent-requests/nope')).status).toBe(400);
  });
});

describe('outbound calls with Twilio answering through nock', () => {
  let other: TestApp;
  beforeAll(async () => {
    other = await startTestApp({ QUIET_HOURS: 'off', CONSENT_REQUESTS_PER_MINUTE: '5', JOB_POLL_SECONDS: '0.5', JOB_RETRY_DELAY_SECONDS: '1' });
    await api(other, 'POST', '/api/payers', { payerNumber: 'N1', name: '김영희', birthDate: '19800102', phone: '+821099990000' });
  });
  afterAll(async () => other?.close());

  const body = { payerNumber: 'N1', phone: '+821099990000', bankCode: '088', accountNumber: '110123456789' };
  const callsPath = `/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Calls.json`;

  async function status(id: string) {
    return (await api(other, 'GET', `/api/consent-requests/${id}`)).json;
  }

  it('places the call with its own answer URL and status callback; follows ringing and in-progress', async () => {
    let sent: Record<string, string> = {};
    nock('https://api.twilio.com').post(callsPath, (b) => ((sent = b), true)).reply(201, { sid: `CA${'1'.repeat(32)}`, status: 'queued' });
    const r = await api(other, 'POST', '/api/consent-requests', body);
    expect(r.status).toBe(201);
    await until(async () => (await status(r.json.id)).callSid, 10_000, 'the call to be placed');
    expect(sent).toMatchObject({ To: '+821099990000', From: '+8215880000', Url: `${PUBLIC_BASE_URL}/twilio/outbound?request=${r.json.id}`, StatusCallback: `${PUBLIC_BASE_URL}/twilio/status?request=${r.json.id}` });
    const params = { CallSid: `CA${'1'.repeat(32)}`, AccountSid: TEST_ACCOUNT_SID, From: '+8215880000', To: '+821099990000', Direction: 'outbound-api' };
    expect((await postSigned(other, `/twilio/status?request=${r.json.id}`, { ...params, CallStatus: 'ringing' })).status).toBe(204);
    expect((await status(r.json.id)).status).toBe('ringing');
    const answer = await postSigned(other, `/twilio/outbound?request=${r.json.id}`, { ...params, CallStatus: 'in-progress' });
    const twiml = await answer.text();
    expect(twiml).toContain('<Recording');
    expect(twiml).toContain('김영희 고객님께서는');
    expect(twiml).toMatch(/<Gather[^>]*numDigits="2"/);
    expect((await status(r.json.id)).status).toBe('in-progress');
    // An answer for an unknown request is an apology, never an error.
    const unknown = await postSigned(other, '/twilio/outbound?request=00000000-0000-4000-8000-000000000000', { ...params, CallSid: `CA${'9'.repeat(32)}` });
    expect(unknown.status).toBe(200);
    expect(await unknown.text()).toContain('<Hangup/>');
    // A late "ringing" does not move it back.
    await postSigned(other, `/twilio/status?request=${r.json.id}`, { ...params, CallStatus: 'ringing' });
    expect((await status(r.json.id)).status).toBe('in-progress');
  });

  it("Twilio's refusal fails the request with Twilio's reason; its outage is retried", async () => {
    nock('https://api.twilio.com').post(callsPath).reply(400, { code: 21215, message: 'Account not authorized to call +821099990000', status: 400 });
    const refused = (await api(other, 'POST', '/api/consent-requests', body)).json;
    const done = await until(async () => ((await status(refused.id)).finishedAt ? status(refused.id) : undefined), 10_000);
    expect(done.status).toBe('failed');
    expect(done.reason).toContain('Twilio refused the call');
    expect(done.reason).toContain('21215');

    nock('https://api.twilio.com').post(callsPath).reply(503, { message: 'unavailable' }).post(callsPath).reply(201, { sid: `CA${'2'.repeat(32)}`, status: 'queued' });
    const retried = (await api(other, 'POST', '/api/consent-requests', body)).json;
    const placed = await until(async () => (await status(retried.id)).callSid, 20_000, 'the retried call');
    expect(placed).toBe(`CA${'2'.repeat(32)}`);
  }, 30_000);

  it('the same Idempotency-Key twice: the first request back, one call', async () => {
    const scope = nock('https://api.twilio.com').post(callsPath).once().reply(201, { sid: `CA${'4'.repeat(32)}`, status: 'queued' });
    const send = () =>
      fetch(`${other.url}/api/consent-requests`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'signup-8812' },
        body: JSON.stringify(body),
      });
    const [a, b] = await Promise.all([send(), send()]);
    expect([a.status, b.status].sort()).toEqual([200, 201]);
    const [ja, jb] = [await a.json(), await b.json()];
    expect(jb.id).toBe(ja.id);
    expect(jb.code).toBe(ja.code);
    await until(async () => (await status(ja.id)).callSid, 10_000, 'the call');
    expect(scope.isDone()).toBe(true);
  });

  it('rate-limits each organisation: 429 with Retry-After past the limit', async () => {
    nock('https://api.twilio.com').post(callsPath).times(5).reply(201, () => ({ sid: `CA${Math.random().toString(16).slice(2).padEnd(32, '0').slice(0, 32)}` }));
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 5; i++) {
      last = await api(other, 'POST', '/api/consent-requests', body);
      statuses.push(last.status);
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
    expect(last!.status).toBe(429);
    expect(last!.json).toMatchObject({ error: 'rate_limited' });
    expect(last!.json.reason).toContain('at most 5 consent requests a minute');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('quiet hours', () => {
  let night: TestApp;
  const kst = (d: Date) => new Date(d.getTime() + 9 * 3600_000).toISOString().slice(11, 16);
  beforeAll(async () => {
    const now = Date.now();
    night = await startTestApp({ QUIET_HOURS: `${kst(new Date(now - 3600_000))}-${kst(new Date(now + 3600_000))}`, JOB_POLL_SECONDS: '0.5' });
    await api(night, 'POST', '/api/payers', { payerNumber: 'Q1', name: '김영희', birthDate: '19800102', phone: '+821099990000' });
  });
  afterAll(async () => night?.close());

  it('a request at night is accepted, queued for the end of the quiet hours, and nobody is called', async () => {
    const calls = nock('https://api.twilio.com').post(`/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Calls.json`).reply(201, { sid: `CA${'3'.repeat(32)}` });
    const r = await api(night, 'POST', '/api/consent-requests', { payerNumber: 'Q1', phone: '+821099990000', bankCode: '088', accountNumber: '110123456789' });
    expect(r.status).toBe(201);
    expect(r.json.status).toBe('queued');
    const scheduled = Date.parse(r.json.scheduledFor);
    expect(scheduled).toBeGreaterThan(Date.now() + 55 * 60_000);
    expect(scheduled).toBeLessThan(Date.now() + 61 * 60_000);
    await new Promise((res) => setTimeout(res, 2000));
    expect(calls.isDone()).toBe(false);
    expect((await api(night, 'GET', `/api/consent-requests/${r.json.id}`)).json).toMatchObject({ status: 'queued', callSid: null });
  });
});
