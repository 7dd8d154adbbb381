import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectDtmf } from '../src/audio/analysis.js';
import { luhnCheckDigit } from '../src/consents/verification.js';
import { spokenDateTime } from '../src/scenario/speech.js';
import { kstIso } from '../src/shared/time.js';
import { parseCallerScript, runCall, scriptedInputs, startStandInServer, type CallEvent } from '../src/simulator/index.js';
import { api, PUBLIC_BASE_URL, startTestApp, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, type TestApp } from './support/app.js';
import { decodedConsentAudio, waitForConsent } from './support/recording.js';

let app: TestApp;
let sim: Awaited<ReturnType<typeof startStandInServer>>;

beforeAll(async () => {
  sim = await startStandInServer(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN);
  app = await startTestApp({ TWILIO_API_BASE_URL: sim.url, JOB_POLL_SECONDS: '0.5' });
  await api(app, 'POST', '/api/payers', { payerNumber: '77', name: '홍길동', birthDate: '19940424', phone: '+821012345678' });
  await api(app, 'POST', '/api/payers', { payerNumber: '78', name: '김영희', birthDate: '19800102', phone: '+821099990000' });
});
afterAll(async () => {
  await app?.close();
  await sim?.close();
});

function call(keys: string, says: string[] = [], from = '+821012345678') {
  const events: CallEvent[] = [];
  return runCall({
    serviceUrl: app.url, publicBaseUrl: PUBLIC_BASE_URL, authToken: TEST_AUTH_TOKEN, standIn: sim.standIn, from, to: '+8215880000',
    inputs: scriptedInputs(parseCallerScript(keys, says)), onEvent: (e) => events.push(e),
  }).then((r) => ({ ...r, said: events.filter((e) => e.kind === 'ars').map((e) => (e as { text: string }).text) }));
}

const decodedMp3 = (consentId: string) => decodedConsentAudio(app, consentId);

describe('end to end through the call simulator', () => {
  it('key consent: the MP3 holds the key tone of the consent and none of the identity digits', async () => {
    const r = await call('2 19940424 081 75023332200333# 1');
    expect(r.events.at(-1)).toMatchObject({ kind: 'ended', how: 'hangup' });
    expect(r.said.join(' ')).toContain('1번을 선택하셨습니다');
    const consent = await waitForConsent(app, r.callSid, 30_000);
    expect(consent).toMatchObject({ status: 'ready', methodCode: 5, consentBy: 'key', accountNumber: '75023332200333' });
    const keys = detectDtmf(await decodedMp3(consent.id), 8000).map((k) => k.key).join('');
    expect(keys).toBe('1');
    expect(sim.standIn.messages.some((m) => m.body.includes(consent.verificationNumber))).toBe(true);
    for (let i = 0; i < 50 && !sim.standIn.recordings.get(consent.recordingSid)?.deleted; i++) await new Promise((res) => setTimeout(res, 100));
    expect(sim.standIn.recordings.get(consent.recordingSid)?.deleted).toBe(true);
  });

  it('voice consent: a spoken 예 after the readback', async () => {
    const r = await call('2 19940424 081 75023332200333#', ['예']);
    expect(r.said.join(' ')).toContain('동의하셨습니다');
    const consent = await waitForConsent(app, r.callSid, 30_000);
    expect(consent).toMatchObject({ status: 'ready', consentBy: 'voice' });
    expect(detectDtmf(await decodedMp3(consent.id), 8000)).toEqual([]);
  });

  it('wrong inputs re-prompt, and a no restarts the readback on a new recording', async () => {
    const r = await call('5 2 19940425 19940424 999123# 081 75023332200333# 2 004 12345678901234# 1');
    const said = r.said.join(' ');
    expect(said).toContain('잘못 누르셨습니다');
    expect(said).toContain('본인확인 정보가 일치하지 않습니다');
    expect(said).toContain('은행코드를 확인할 수 없습니다');
    expect(r.recordings).toHaveLength(2);
    const consent = await waitForConsent(app, r.callSid, 30_000);
    expect(consent).toMatchObject({ status: 'ready', bankCode: '004', accountNumber: '12345678901234', recordingSid: r.recordings[1]!.sid });
  });

  it('a hang-up in the middle of the readback: no consent, the recording is not evidence', async () => {
    const r = await call('2 19940424 081 75023332200333#');
    expect(r.events.at(-1)).toMatchObject({ kind: 'ended', how: 'caller-hangup' });
    const record = (await api(app, 'GET', `/api/calls/${r.callSid}`)).json;
    expect(record.outcome).toBe('abandoned');
    expect(await waitForConsent(app, r.callSid, 1500)).toBeUndefined();
  });

  it('a caller who is not the holder (R4) is not registered', async () => {
    const r = await call('2 19940424 081 75023332200333# 3');
    expect(r.said.join(' ')).toContain('예금주 본인만');
    expect((await api(app, 'GET', `/api/calls/${r.callSid}`)).json.outcome).toBe('notHolder');
    expect(await waitForConsent(app, r.callSid, 1500)).toBeUndefined();
  });

  it('two calls at once', async () => {
    const [a, b] = await Promise.all([call('2 19940424 081 75023332200333# 1'), call('2 19800102 088 110123456789# 1', [], '+821099990000')]);
    const [ca, cb] = await Promise.all([waitForConsent(app, a.callSid, 30_000), waitForConsent(app, b.callSid, 30_000)]);
    expect(ca).toMatchObject({ payerNumber: '77', bankCode: '081' });
    expect(cb).toMatchObject({ payerNumber: '78', bankCode: '088', accountNumber: '110123456789' });
  });

  it('refuses loudly what it does not support', async () => {
    const res = await fetch(`${sim.url}/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Queues.json`, {
      headers: { Authorization: `Basic ${Buffer.from(`${TEST_ACCOUNT_SID}:${TEST_AUTH_TOKEN}`).toString('base64')}` },
    });
    expect(res.status).toBe(501);
    expect(sim.standIn.refused).toContain('GET /2010-04-01/Accounts/' + TEST_ACCOUNT_SID + '/Queues.json');
  });
});

describe('the voice check of a consent (출금동의 확인) through the call simulator', () => {
  /** A consent to check: made by a real call, its verification number as the SMS gave it. */
  let consent: { verificationNumber: string; consentedAt: string };
  beforeAll(async () => {
    const r = await call('2 19940424 081 75023332200333# 1');
    consent = await waitForConsent(app, r.callSid, 30_000);
  }, 60_000);

  /** Anyone holding the receipt may call: a phone that is not on file. */
  const STRANGER = '+821055550000';
  const wrongCheckDigit = (n: string) => n.slice(0, 15) + String((Number(n[15]) + 1) % 10);

  async function nothingKept(callSid: string, secrets: string[]): Promise<string> {
    const record = (await api(app, 'GET', `/api/calls/${callSid}`)).json;
    const stored = JSON.stringify(record) + (await app.db.pool.query('SELECT last_twiml, state FROM calls WHERE call_sid = $1', [callSid])).rows.map((r) => JSON.stringify(r)).join('');
    for (const secret of [...secrets, '계좌번호 끝 네 자리']) expect(stored).not.toContain(secret);
    expect(app.logs.join('\n')).not.toContain(consent.verificationNumber);
    return record.outcome;
  }

  it('the right number and birthdate: the consent is read out, and nothing of the call is recorded', async () => {
    const r = await call(`3 ${consent.verificationNumber} 19940424`, [], STRANGER);
    const said = r.said.join(' ');
    const when = spokenDateTime(kstIso(new Date(consent.consentedAt)));
    expect(said).toContain(`한빛에너지에 대한 출금동의입니다. 출금은행은 하나은행, 계좌번호 끝 네 자리는 공 삼 삼 삼입니다. 동의하신 때는 ${when}입니다. 이 출금동의는 정상적으로 등록되어 있습니다.`);
    expect(r.events.at(-1)).toMatchObject({ kind: 'ended', how: 'hangup' });
    expect(r.recordings).toEqual([]);
    expect(r.events.some((e) => e.kind === 'recording')).toBe(false);
    expect(sim.standIn.recordings.size).toBeGreaterThan(0);
    expect([...sim.standIn.recordings.values()].some((rec) => rec.callSid === r.callSid)).toBe(false);
    expect(await nothingKept(r.callSid, [consent.verificationNumber, '19940424', '공 삼 삼 삼'])).toBe('consentChecked');
  });

  it('a wrong number (check digit, then unknown) re-prompts; the right one then works', async () => {
    const unknownBody = '100000000000000';
    const unknown = unknownBody + String(luhnCheckDigit(unknownBody));
    const r = await call(`3 ${wrongCheckDigit(consent.verificationNumber)} ${unknown} 19940424 ${consent.verificationNumber} 19940424`, [], STRANGER);
    const said = r.said.join(' ');
    expect(said).toContain('입력하신 확인번호가 올바르지 않습니다');
    expect(said).toContain('입력하신 확인번호로 등록된 출금동의를 찾을 수 없습니다');
    expect(said).toContain('계좌번호 끝 네 자리는 공 삼 삼 삼');
    expect(r.recordings).toEqual([]);
  });

  it('a wrong birthdate hears nothing of the consent; three failures end the call politely', async () => {
    const r = await call(`3 ${consent.verificationNumber} 19940425 19950424 20940424`, [], STRANGER);
    const said = r.said.join(' ');
    expect(said.match(/생년월일이 예금주의 생년월일과 일치하지 않습니다/g)).toHaveLength(3);
    expect(said).toContain('출금동의 확인을 마칩니다');
    for (const told of ['하나은행', '공 삼 삼 삼', '한빛에너지에 대한 출금동의', '등록되어 있습니다']) expect(said).not.toContain(told);
    expect(r.events.at(-1)).toMatchObject({ kind: 'ended', how: 'hangup' });
    expect(r.recordings).toEqual([]);
    expect(await nothingKept(r.callSid, [consent.verificationNumber, '19940425'])).toBe('failed');
  });
});
