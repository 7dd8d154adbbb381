import { describe, expect, it } from 'vitest';
import { luhnCheckDigit } from '../src/consents/verification.js';
import { answerVoiceCheck, type ConsentForVoiceCheck } from '../src/consents/voiceCheck.js';
import { hashSmsCode, initialState, runTurn, type Action, type CallState, type Input, type PayerSnapshot, type TurnResult } from '../src/scenario/engine.js';
import { parseScenario } from '../src/scenario/loader.js';
import type { Scenario } from '../src/scenario/schema.js';
import { spokenDateTime } from '../src/scenario/speech.js';
import { NO_PHRASES, YES_PHRASES, YES_WORDS } from '../src/shared/spokenAnswers.js';
import { renderTwiml } from '../src/telephony/twiml.js';
import { defaultScenarioJson } from './support/scenarios.js';

/**
 * The engine run as a pure function: every branch of runTurn, without a database or a server.
 * The full-stack tests (inbound-call, simulator) keep the outcomes end to end.
 */

const HONG: PayerSnapshot = { payerNumber: '77', name: '홍길동', birthDate: '19940424', phone: '+821012345678', amountDue: 35000 };
const CALL_SID = `CA${'1'.repeat(32)}`;
const SMS_CODE = '48151623';
const AGENT = '+8215881234';

function scenarioWith(change: (s: any) => void = () => {}): Scenario {
  const json = defaultScenarioJson();
  change(json);
  return parseScenario('test.json', JSON.stringify(json));
}

/** What the caller hears of a turn's actions, in order. */
function heard(actions: Action[]): string[] {
  return actions.flatMap((a) => (a.kind === 'say' ? [a.text] : a.kind === 'gather' ? a.say : []));
}

/** A call driven turn by turn; every result is kept to look at. */
class Call {
  state: CallState;
  last!: TurnResult;
  readonly results: TurnResult[] = [];
  constructor(readonly scenario: Scenario = scenarioWith()) {
    this.state = initialState(scenario);
  }
  send(input: Input): TurnResult {
    this.last = runTurn(this.scenario, this.state, input, { newSmsCode: SMS_CODE, callSid: CALL_SID });
    this.state = this.last.state;
    this.results.push(this.last);
    return this.last;
  }
  start(payersByPhone: PayerSnapshot[] = [HONG]): TurnResult {
    return this.send({ kind: 'start', payersByPhone });
  }
  press(digits: string): TurnResult {
    return this.send({ kind: 'gather', digits });
  }
  speak(speech: string, confidence?: number): TurnResult {
    return this.send({ kind: 'gather', speech, confidence });
  }
  silence(): TurnResult {
    return this.send({ kind: 'gather' });
  }
  /** Menu 2, the birthdate and the account: the readback is playing. */
  toReadback(account = '08175023332200333'): TurnResult {
    this.start();
    this.press('2');
    this.press(HONG.birthDate);
    return this.press(account);
  }
  text(): string {
    return heard(this.last.actions).join(' ');
  }
  gather(): Extract<Action, { kind: 'gather' }> | undefined {
    return this.last.actions.find((a): a is Extract<Action, { kind: 'gather' }> => a.kind === 'gather');
  }
  allActions(): Action[] {
    return this.results.flatMap((r) => r.actions);
  }
  allLog(): string {
    return JSON.stringify(this.results.flatMap((r) => r.log));
  }
}

const prompts = scenarioWith().prompts;

describe('menu', () => {
  it('greets with the menu, one key', () => {
    const call = new Call();
    call.start();
    expect(call.state.step).toBe('menu');
    expect(call.gather()).toMatchObject({ mode: 'dtmf', numDigits: 1 });
    expect(call.text()).toContain('요금 조회를 하시려면 1번');
  });

  it('1: the bill inquiry reads the amount due after the identity check, then the menu again', () => {
    const call = new Call();
    call.start();
    call.press('1');
    expect(call.text()).toContain(prompts.menuInquirySelected);
    expect(call.state.step).toBe('identity');
    call.press(HONG.birthDate);
    expect(call.text()).toContain('홍길동 고객님의 이번 달 납부하실 금액은 35,000원입니다');
    expect(call.state).toMatchObject({ step: 'menu', intent: undefined, identityVerified: true });
    // The second choice needs no second identity check.
    call.press('2');
    expect(call.state.step).toBe('account');
  });

  it('1: says so when the amount due is not on file', () => {
    const call = new Call();
    call.start([{ ...HONG, amountDue: undefined }]);
    call.press('1');
    call.press(HONG.birthDate);
    expect(call.text()).toContain('홍길동 고객님의 납부하실 금액은 지금 조회할 수 없습니다');
  });

  it('2: the change of payment method goes to the identity check', () => {
    const call = new Call();
    call.start();
    call.press('2');
    expect(call.text()).toContain(prompts.menuChangeSelected);
    expect(call.state.step).toBe('identity');
  });

  it('0: the agent, when there is one', () => {
    const call = new Call(scenarioWith((s) => (s.agentNumber = AGENT)));
    call.start();
    call.press('0');
    expect(call.last.actions).toContainEqual({ kind: 'dial', number: AGENT });
    expect(call.state.outcome).toEqual({ kind: 'transferred', fromStep: 'menu', reason: 'requested' });
  });

  it('0 with no agent: a polite goodbye, the call finished', () => {
    const call = new Call();
    call.start();
    call.press('0');
    expect(call.text()).toContain(prompts.noAgentGoodbye);
    expect(call.last.actions.at(-1)).toEqual({ kind: 'hangup' });
    expect(call.state.outcome).toEqual({ kind: 'finished' });
  });

  it('a wrong key or silence re-prompts with the reason, and counts', () => {
    const call = new Call();
    call.start();
    call.press('7');
    expect(heard(call.last.actions)[0]).toBe(prompts.errorInvalidChoice);
    expect(call.text()).toContain('요금 조회를 하시려면 1번');
    call.silence();
    expect(heard(call.last.actions)[0]).toBe(prompts.errorNoInput);
    expect(call.state).toMatchObject({ step: 'menu', attempts: 2 });
  });

  it('retries have a limit (maxAttempts): then the agent, or a goodbye and a failed call', () => {
    const withAgent = new Call(scenarioWith((s) => ((s.agentNumber = AGENT), (s.maxAttempts = 2))));
    withAgent.start();
    withAgent.press('7');
    expect(withAgent.state.step).toBe('menu');
    withAgent.press('7');
    expect(withAgent.state.outcome).toEqual({ kind: 'transferred', fromStep: 'menu', reason: 'maxAttempts' });

    const noAgent = new Call();
    noAgent.start();
    for (let i = 0; i < 3; i++) noAgent.press('7');
    expect(noAgent.state.outcome).toEqual({ kind: 'failed', step: 'menu', reason: 'maxAttempts' });
    expect(noAgent.last.actions.at(-1)).toEqual({ kind: 'hangup' });
  });

  it('the turn counter moves with every question, so a replayed webhook can be told', () => {
    const call = new Call();
    call.start();
    const first = call.state.turn;
    call.press('2');
    expect(call.state.turn).toBe(first + 1);
  });
});

describe('payer look-up', () => {
  it('one payer on the calling number: no question', () => {
    const call = new Call();
    call.start([HONG]);
    expect(call.state.payer).toEqual(HONG);
  });

  it('none or several: asks for the payer number and asks the edge to look it up', () => {
    for (const payers of [[], [HONG, { ...HONG, payerNumber: '78' }]]) {
      const call = new Call();
      call.start(payers);
      expect(call.state.payer).toBeUndefined();
      call.press('2');
      expect(call.state.step).toBe('payerNumber');
      expect(call.gather()).toMatchObject({ finishOnKey: '#' });
      const r = call.press('77');
      expect(r.query).toEqual({ kind: 'lookupPayer', payerNumber: '77' });
      call.send({ kind: 'payerLookup', payers: [HONG] });
      expect(call.state).toMatchObject({ step: 'identity', payer: HONG });
    }
  });

  it('an unknown number, or keys that are not a number, re-prompt', () => {
    const call = new Call();
    call.start([]);
    call.press('2');
    call.press('77');
    call.send({ kind: 'payerLookup', payers: [] });
    expect(heard(call.last.actions)[0]).toBe(prompts.errorPayerNotFound);
    expect(call.state).toMatchObject({ step: 'payerNumber', attempts: 1 });
    const r = call.press('*7');
    expect(r.query).toBeUndefined();
    expect(call.state.attempts).toBe(2);
  });
});

describe('identity: birthdate', () => {
  it('asks 8 digits; the right birthdate passes, and the digits are masked in the log', () => {
    const call = new Call();
    call.start();
    call.press('2');
    expect(call.gather()).toMatchObject({ numDigits: 8, say: [prompts.identityBirthDate] });
    call.press(HONG.birthDate);
    expect(call.state).toMatchObject({ identityVerified: true, step: 'account' });
    expect(call.last.log).toContainEqual({ kind: 'input', step: 'identity', detail: { digits: '********' } });
    expect(call.allLog()).not.toContain(HONG.birthDate);
  });

  it('a wrong birthdate re-prompts up to the limit, then the agent', () => {
    const call = new Call(scenarioWith((s) => (s.agentNumber = AGENT)));
    call.start();
    call.press('2');
    call.press('19940425');
    expect(heard(call.last.actions)[0]).toBe(prompts.errorIdentity);
    expect(call.state).toMatchObject({ step: 'identity', identityVerified: false, attempts: 1 });
    call.press('19940425');
    call.press('19940425');
    expect(call.state.outcome).toEqual({ kind: 'transferred', fromStep: 'identity', reason: 'maxAttempts' });
  });
});

describe('identity: SMS code', () => {
  const sms = () => scenarioWith((s) => ((s.identity = { method: 'sms', smsCodeLength: 6 }), (s.agentNumber = AGENT)));

  it('sends a code to the phone on file through the edge, keeps only its hash, and accepts that code', () => {
    const call = new Call(sms());
    call.start();
    const r = call.press('2');
    expect(r.query).toEqual({ kind: 'sendSms', to: HONG.phone, text: '[한빛에너지] 자동납부 ARS 본인확인 인증번호는 481516입니다.' });
    expect(r.actions.some((a) => a.kind === 'gather')).toBe(false);
    expect(call.state.smsCodeHash).toBe(hashSmsCode(CALL_SID, '481516'));
    expect(JSON.stringify(call.state)).not.toContain('481516');
    call.send({ kind: 'smsSent', ok: true });
    expect(call.gather()).toMatchObject({ numDigits: 6, say: [prompts.identitySms] });
    call.press('481516');
    expect(call.state).toMatchObject({ identityVerified: true, smsCodeHash: undefined, step: 'account' });
    expect(call.allLog()).not.toContain('481516');
  });

  it('a wrong code re-prompts', () => {
    const call = new Call(sms());
    call.start();
    call.press('2');
    call.send({ kind: 'smsSent', ok: true });
    call.press('000000');
    expect(heard(call.last.actions)[0]).toBe(prompts.errorIdentity);
    expect(call.state).toMatchObject({ step: 'identity', identityVerified: false });
  });

  it('a code that could not be sent: the agent', () => {
    const call = new Call(sms());
    call.start();
    call.press('2');
    call.send({ kind: 'smsSent', ok: false });
    expect(call.text()).toContain(prompts.smsFailed);
    expect(call.state.outcome).toEqual({ kind: 'transferred', fromStep: 'identity', reason: 'smsFailed' });
  });

  it('with no agent, a failed SMS ends the call as failed', () => {
    const call = new Call(scenarioWith((s) => (s.identity = { method: 'sms' })));
    call.start();
    call.press('2');
    call.send({ kind: 'smsSent', ok: false });
    expect(call.state.outcome).toEqual({ kind: 'failed', step: 'identity', reason: 'smsFailed' });
  });
});

describe('identity: account password', () => {
  it('is refused by the scenario schema while no password verifier is configured', () => {
    expect(() => scenarioWith((s) => (s.identity = { method: 'accountPassword' }))).toThrow(/identity\.method: accountPassword needs a password verifier/);
    expect(() => scenarioWith((s) => (s.identity = { method: 'fingerprint' }))).toThrow(/identity\.method: must be one of birthDate, sms/);
  });
});

describe('holder check (R4)', () => {
  it('separate: asked before the account entry; 1 goes on, 2 is not registered', () => {
    const separate = () => scenarioWith((s) => (s.holderCheck = 'separate'));
    const holder = new Call(separate());
    holder.start();
    holder.press('2');
    holder.press(HONG.birthDate);
    expect(holder.state.step).toBe('holderCheck');
    expect(holder.text()).toContain(prompts.holderCheck);
    holder.press('1');
    expect(holder.state.step).toBe('account');

    const notHolder = new Call(separate());
    notHolder.start();
    notHolder.press('2');
    notHolder.press(HONG.birthDate);
    notHolder.press('5');
    expect(heard(notHolder.last.actions)[0]).toBe(prompts.errorInvalidChoice);
    notHolder.press('2');
    expect(notHolder.text()).toContain(prompts.notHolder);
    expect(notHolder.state.outcome).toEqual({ kind: 'notHolder' });
  });

  it('atConfirm: 3 at the confirmation stops the recording and hands over to the agent', () => {
    const call = new Call(scenarioWith((s) => (s.agentNumber = AGENT)));
    call.toReadback();
    call.press('3');
    expect(call.last.effects).toContainEqual({ kind: 'stopRecording' });
    expect(call.text()).toContain(prompts.notHolder);
    expect(call.state.outcome).toEqual({ kind: 'transferred', fromStep: 'confirm', reason: 'notHolder' });
    expect(call.last.effects).not.toContainEqual(expect.objectContaining({ kind: 'consentGiven' }));
  });

  it('separate: 3 at the confirmation is just a wrong key', () => {
    const call = new Call(scenarioWith((s) => (s.holderCheck = 'separate')));
    call.start();
    call.press('2');
    call.press(HONG.birthDate);
    call.press('1');
    call.press('08175023332200333');
    call.press('3');
    expect(heard(call.last.actions)[0]).toBe(prompts.errorInvalidChoice);
    expect(call.state.step).toBe('confirm');
  });
});

describe('account entry', () => {
  function atAccount(): Call {
    const call = new Call();
    call.start();
    call.press('2');
    call.press(HONG.birthDate);
    return call;
  }

  it('bank code + account number: checked against the institution table, then read back', () => {
    const call = atAccount();
    expect(call.gather()).toMatchObject({ finishOnKey: '#', say: [prompts.accountEntry] });
    call.press('08175023332200333#');
    expect(call.state.account).toEqual({ bankCode: '081', bankName: '하나은행', accountNumber: '75023332200333' });
    expect(call.state.step).toBe('confirm');
  });

  it.each([
    ['an unknown bank code', '99975023332200333', 'errorBankCode'],
    ['a number of the wrong length for the bank', '0817502333220', 'errorAccountLength'],
    ['too few digits', '081', 'errorAccountFormat'],
    ['nothing', '', 'errorNoInput'],
  ] as const)('%s re-prompts with its reason', (_what, entry, reason) => {
    const call = atAccount();
    call.press(entry);
    expect(heard(call.last.actions)[0]).toBe(prompts[reason]);
    expect(call.state).toMatchObject({ step: 'account', attempts: 1 });
    expect(call.state.account).toBeUndefined();
  });
});

describe('confirmation', () => {
  it('the recording starts right before the readback, which is outside the Gather', () => {
    const call = new Call();
    const r = call.toReadback();
    const kinds = r.actions.map((a) => a.kind);
    expect(kinds).toEqual(['startRecording', 'say', 'gather']);
    expect(r.actions[0]).toEqual({ kind: 'startRecording', attempt: 1 });
    expect(r.actions[1]).toMatchObject({ kind: 'say', evidence: 'readback' });
    expect((r.actions[1] as { text: string }).text).toContain('1994년 4월 24일생 홍길동 고객님께서는 한빛에너지의 요금납부정보를 하나은행 칠 오 공');
    expect(call.state.recordingActive).toBe(true);
    // Nothing before the readback was recorded (R3).
    expect(call.results.slice(0, -1).flatMap((x) => x.actions).some((a) => a.kind === 'startRecording')).toBe(false);
  });

  it('by key: 1 consents, announced (R2), and the consent is given for the recording attempt', () => {
    const call = new Call(scenarioWith((s) => (s.confirmation = 'key')));
    call.toReadback();
    expect(call.gather()).toMatchObject({ mode: 'dtmf', numDigits: 1 });
    call.press('1');
    expect(call.last.actions[0]).toEqual({ kind: 'say', text: '1번을 선택하셨습니다. 입력하신 계좌로 등록이 완료되었습니다.', evidence: 'consentAnnouncement' });
    expect(call.last.effects).toEqual([{ kind: 'consentGiven', attempt: 1 }]);
    expect(call.state.outcome).toEqual({ kind: 'consented', by: 'key', key: '1' });
  });

  it('by key: 2 stops the recording and asks for the account again; the next readback is a new recording', () => {
    const call = new Call();
    call.toReadback();
    call.press('2');
    expect(call.last.effects).toEqual([{ kind: 'stopRecording' }]);
    expect(call.state).toMatchObject({ step: 'account', recordingActive: false });
    call.press('00412345678901234');
    expect(call.last.actions[0]).toEqual({ kind: 'startRecording', attempt: 2 });
    call.press('1');
    expect(call.last.effects).toEqual([{ kind: 'consentGiven', attempt: 2 }]);
  });

  it('by voice: 예 consents, 아니오 declines, an unsure or unclear answer re-prompts', () => {
    const voice = () => scenarioWith((s) => (s.confirmation = 'voice'));
    const yes = new Call(voice());
    yes.toReadback();
    expect(yes.gather()).toMatchObject({ mode: 'speech' });
    yes.speak('네 맞습니다', 0.9);
    expect(yes.state.outcome).toEqual({ kind: 'consented', by: 'voice', speech: '네 맞습니다', confidence: 0.9 });
    expect(yes.last.effects).toEqual([{ kind: 'consentGiven', attempt: 1 }]);

    const no = new Call(voice());
    no.toReadback();
    no.speak('아니오');
    expect(no.text()).toContain(prompts.declinedVoice);
    expect(no.last.effects).toEqual([{ kind: 'stopRecording' }]);
    expect(no.state.step).toBe('account');

    const unsure = new Call(voice());
    unsure.toReadback();
    unsure.speak('예', 0.1);
    expect(heard(unsure.last.actions)).toContain(prompts.errorSpeech);
    unsure.speak('글쎄요', 0.9);
    expect(unsure.state).toMatchObject({ step: 'confirm', attempts: 2, recordingActive: true });
    expect(unsure.last.actions.some((a) => a.kind === 'startRecording')).toBe(false);
  });

  it('by voice only: a key is a wrong choice; by key only: speech is', () => {
    const voice = new Call(scenarioWith((s) => (s.confirmation = 'voice')));
    voice.toReadback();
    voice.press('1');
    expect(voice.state.outcome).toBeUndefined();
    expect(heard(voice.last.actions)).toContain(prompts.errorInvalidChoice);
    const key = new Call(scenarioWith((s) => (s.confirmation = 'key')));
    key.toReadback();
    key.speak('예');
    expect(key.state.outcome).toBeUndefined();
    expect(heard(key.last.actions)).toContain(prompts.errorInvalidChoice);
  });

  it('both: key or voice; silence re-prompts with the readback again', () => {
    const call = new Call();
    call.toReadback();
    expect(call.gather()).toMatchObject({ mode: 'dtmf speech', numDigits: 1 });
    call.silence();
    expect(heard(call.last.actions)[0]).toBe(prompts.errorNoInput);
    expect(call.last.actions.some((a) => a.kind === 'say' && a.evidence === 'readback')).toBe(true);
    call.speak('예');
    expect(call.state.outcome).toMatchObject({ kind: 'consented', by: 'voice' });
  });

  it('the retry limit at the confirmation stops the recording before the agent takes over', () => {
    const call = new Call(scenarioWith((s) => (s.agentNumber = AGENT)));
    call.toReadback();
    call.press('9');
    call.press('9');
    call.press('9');
    expect(call.last.effects).toEqual([{ kind: 'stopRecording' }]);
    expect(call.state.outcome).toEqual({ kind: 'transferred', fromStep: 'confirm', reason: 'maxAttempts' });
    const stop = call.last.effects.findIndex((e) => e.kind === 'stopRecording');
    expect(stop).toBe(0);
    expect(call.last.actions).toContainEqual({ kind: 'dial', number: AGENT });
  });
});

describe('the outbound code (a website\'s consent request)', () => {
  const account = { bankCode: '081', bankName: '하나은행', accountNumber: '75023332200333' };
  function requestCall(confirmation: 'code' | 'key' = 'code'): Call {
    const call = new Call(scenarioWith((s) => (s.outbound.confirmation = confirmation)));
    call.send({ kind: 'startRequest', requestId: 'req-1', code: '42', payer: HONG, account });
    return call;
  }

  it('greets, records, reads back and asks for the code shown on the website', () => {
    const call = requestCall();
    expect(call.last.actions.map((a) => a.kind)).toEqual(['say', 'startRecording', 'say', 'gather']);
    expect(call.gather()).toMatchObject({ numDigits: 2 });
    expect(call.state).toMatchObject({ step: 'confirm', identityVerified: true, request: { id: 'req-1', code: '42', confirmation: 'code' } });
    call.press('42');
    expect(call.state.outcome).toEqual({ kind: 'consented', by: 'key', key: '42' });
    expect(call.last.actions[0]).toMatchObject({ kind: 'say', evidence: 'consentAnnouncement', text: expect.stringContaining('42번을 입력하셨습니다') });
    expect(call.last.effects).toEqual([{ kind: 'consentGiven', attempt: 1 }]);
  });

  it('a wrong code re-prompts; the limit ends the call as failed, never to an agent', () => {
    const call = requestCall();
    call.press('41');
    expect(heard(call.last.actions)[0]).toBe(call.scenario.outbound.prompts.errorCode);
    call.press('41');
    call.press('41');
    expect(call.state.outcome).toEqual({ kind: 'failed', step: 'confirm', reason: 'maxAttempts' });
    expect(call.last.effects).toEqual([{ kind: 'stopRecording' }]);
    expect(call.last.actions.some((a) => a.kind === 'dial')).toBe(false);
  });

  it('* declines', () => {
    const call = requestCall();
    call.press('*');
    expect(call.state.outcome).toEqual({ kind: 'declined', by: 'key', reason: 'declined' });
  });

  it('key mode: 1 consents, 2 declines, 3 is not the holder', () => {
    const one = requestCall('key');
    one.press('1');
    expect(one.state.outcome).toEqual({ kind: 'consented', by: 'key', key: '1' });
    const two = requestCall('key');
    two.press('2');
    expect(two.state.outcome).toEqual({ kind: 'declined', by: 'key', reason: 'declined' });
    const three = requestCall('key');
    three.press('3');
    expect(three.state.outcome).toEqual({ kind: 'declined', by: 'key', reason: 'notHolder' });
    expect(three.text()).toContain(three.scenario.outbound.prompts.notHolder);
  });
});

describe('the end of a call', () => {
  it('a hang-up before an outcome is abandoned; the recording ends with the call', () => {
    const call = new Call();
    call.toReadback();
    call.send({ kind: 'hangup' });
    expect(call.state).toMatchObject({ step: 'ended', recordingActive: false, outcome: { kind: 'abandoned', step: 'confirm' } });
    expect(call.last.effects).toEqual([]);
  });

  it('an ended call ignores further input and hang-ups', () => {
    const call = new Call();
    call.toReadback();
    call.press('1');
    const ended = call.state;
    call.press('2');
    expect(call.last.actions).toEqual([]);
    call.send({ kind: 'hangup' });
    expect(call.state).toEqual(ended);
  });
});

describe('speech hints', () => {
  it('the recogniser is hinted the words the engine understands, from the one list', () => {
    const call = new Call();
    const r = call.toReadback();
    const twiml = renderTwiml(r.actions, call.scenario, { gatherAction: (t) => `/g?turn=${t}`, recordingCallback: (a) => `/r?a=${a}` }, r.state.turn);
    const hints = /hints="([^"]*)"/.exec(twiml)![1]!.split(',');
    for (const word of [...YES_WORDS, ...YES_PHRASES.filter((p) => p !== '동의'), ...NO_PHRASES]) expect(hints).toContain(word);
  });
});

/** A well-formed verification number (its Luhn check digit right). */
const NUMBER = (() => {
  const body = '123456789012345';
  return body + String(luhnCheckDigit(body));
})();
const BAD_CHECK_DIGIT = NUMBER.slice(0, 15) + String((Number(NUMBER[15]) + 1) % 10);

const CHECKED = {
  organizationName: '한빛에너지',
  bankName: '하나은행',
  accountLast4: '0333',
  consentedAt: '2026-11-22T21:04:05+09:00',
  status: 'registered',
} as const;

describe('voice check of a consent (출금동의 확인)', () => {
  const cc = scenarioWith().consentCheck.prompts;

  function atCheck(scenario = scenarioWith()): Call {
    const call = new Call(scenario);
    call.start([]);
    call.press('3');
    return call;
  }

  it('menu 3 asks for the 16-digit number; then the birthdate; then asks the edge, number and birthdate together', () => {
    const call = atCheck();
    expect(call.text()).toContain(cc.selected);
    expect(call.state.step).toBe('checkNumber');
    expect(call.gather()).toMatchObject({ numDigits: 16, finishOnKey: '#', say: [cc.number] });
    call.press(NUMBER);
    expect(call.state).toMatchObject({ step: 'checkBirthDate', check: { verificationNumber: NUMBER } });
    expect(call.gather()).toMatchObject({ numDigits: 8, say: [cc.birthDate] });
    const r = call.press('19940424');
    expect(r.query).toEqual({ kind: 'findConsentForCheck', verificationNumber: NUMBER, birthDate: '19940424' });
  });

  it('a match is read out naturally, in confidence, and the call ends; nothing is recorded or logged', () => {
    const call = atCheck();
    call.press(NUMBER);
    call.press('19940424');
    call.send({ kind: 'consentCheck', answer: { found: 'consent', consent: CHECKED } });
    const report = call.last.actions[0]!;
    expect(report).toEqual({
      kind: 'say',
      confidential: true,
      text: '한빛에너지에 대한 출금동의입니다. 출금은행은 하나은행, 계좌번호 끝 네 자리는 공 삼 삼 삼입니다. 동의하신 때는 2026년 11월 22일 오후 9시 4분입니다. 이 출금동의는 정상적으로 등록되어 있습니다.',
    });
    expect(call.text()).toContain(cc.goodbye);
    expect(call.last.actions.at(-1)).toEqual({ kind: 'hangup' });
    expect(call.state).toMatchObject({ step: 'ended', outcome: { kind: 'consentChecked' }, check: undefined, recordingActive: false });
    expect(call.allActions().some((a) => a.kind === 'startRecording')).toBe(false);
    expect(call.results.flatMap((r) => r.effects)).toEqual([]);
    // The number and the birthdate are in the log only as their length.
    const log = call.allLog();
    expect(log).not.toContain(NUMBER);
    expect(log).not.toContain('19940424');
    expect(log).toContain('"digits":"****************"');
  });

  it.each([
    ['ended', '이 출금동의는 해지되었습니다.'],
    ['superseded', '이 출금동의는 이후의 새 출금동의로 바뀌었습니다.'],
    ['notRegistered', '이 출금동의는 등록되지 않았습니다.'],
  ] as const)('says whether the consent is registered (%s)', (status, words) => {
    const call = atCheck();
    call.press(NUMBER);
    call.press('19940424');
    call.send({ kind: 'consentCheck', answer: { found: 'consent', consent: { ...CHECKED, status } } });
    expect(call.text()).toContain(words);
  });

  it('a number with a wrong check digit, or too short, re-prompts for the number without asking the edge', () => {
    const call = atCheck();
    const r = call.press(BAD_CHECK_DIGIT);
    expect(r.query).toBeUndefined();
    expect(heard(r.actions)).toEqual([cc.errorNumber, cc.number]);
    expect(call.state).toMatchObject({ step: 'checkNumber', attempts: 1 });
    call.press('1234#');
    expect(heard(call.last.actions)[0]).toBe(cc.errorNumber);
    expect(call.state.attempts).toBe(2);
  });

  it('an unknown number re-prompts for the number', () => {
    const call = atCheck();
    call.press(NUMBER);
    call.press('19940424');
    call.send({ kind: 'consentCheck', answer: { found: 'none' } });
    expect(heard(call.last.actions)).toEqual([cc.errorUnknown, cc.number]);
    expect(call.state).toMatchObject({ step: 'checkNumber', attempts: 1, check: undefined });
  });

  it('a wrong birthdate re-prompts for the birthdate and tells nothing of the consent', () => {
    const call = atCheck();
    call.press(NUMBER);
    call.press('19940425');
    call.send({ kind: 'consentCheck', answer: { found: 'wrongBirthDate' } });
    expect(heard(call.last.actions)).toEqual([cc.errorBirthDate, cc.birthDate]);
    expect(call.state).toMatchObject({ step: 'checkBirthDate', attempts: 1, check: { verificationNumber: NUMBER } });
    expect(call.last.actions.some((a) => a.kind === 'say' && a.confidential)).toBe(false);
    // Fewer than 8 digits never reach the edge.
    expect(call.press('1994').query).toBeUndefined();
    expect(call.state.attempts).toBe(2);
  });

  it('three failures, of any kind, end the call politely', () => {
    const call = atCheck();
    call.press(BAD_CHECK_DIGIT);
    call.press(NUMBER);
    call.press('19940425');
    call.send({ kind: 'consentCheck', answer: { found: 'wrongBirthDate' } });
    call.silence();
    expect(heard(call.last.actions)).toEqual([prompts.errorNoInput, cc.failed]);
    expect(call.last.actions.at(-1)).toEqual({ kind: 'hangup' });
    expect(call.state).toMatchObject({ step: 'ended', outcome: { kind: 'failed', step: 'checkBirthDate', reason: 'maxAttempts' }, check: undefined });
    expect(call.allActions().some((a) => a.kind === 'dial' || a.kind === 'startRecording')).toBe(false);
  });

  it('a hang-up during the check forgets the number', () => {
    const call = atCheck();
    call.press(NUMBER);
    call.send({ kind: 'hangup' });
    expect(call.state).toMatchObject({ outcome: { kind: 'abandoned', step: 'checkBirthDate' }, check: undefined });
  });

  it('an answer of the edge that arrives outside the check is ignored', () => {
    const call = new Call();
    call.start();
    call.send({ kind: 'consentCheck', answer: { found: 'consent', consent: CHECKED } });
    expect(call.last.actions).toEqual([]);
    expect(call.state.step).toBe('menu');
  });

  it('the menu key and the limit come from the scenario; a disabled check is a wrong key', () => {
    const moved = atCheck(scenarioWith((s) => (s.consentCheck = { menuKey: '5', maxAttempts: 1 })));
    expect(moved.state.step).toBe('menu');
    moved.press('5');
    expect(moved.state.step).toBe('checkNumber');
    moved.press(BAD_CHECK_DIGIT);
    expect(moved.state.outcome).toMatchObject({ kind: 'failed' });
    const off = atCheck(scenarioWith((s) => (s.consentCheck.enabled = false)));
    expect(off.state.step).toBe('menu');
    expect(heard(off.last.actions)[0]).toBe(prompts.errorInvalidChoice);
  });

  it('the scenario schema checks the wording: the report must state every item, placeholders must be known', () => {
    expect(() => scenarioWith((s) => (s.consentCheck.prompts.report = '{organization} {bankName} {consentedAt} {status}'))).toThrow(
      /consentCheck\.prompts\.report: must state \{accountLast4\}/,
    );
    expect(() => scenarioWith((s) => (s.consentCheck.prompts.goodbye = '{name}님 안녕히 가세요'))).toThrow(/consentCheck\.prompts\.goodbye: unknown placeholder \{name\}/);
    expect(() => scenarioWith((s) => (s.consentCheck.menuKey = '1'))).toThrow(/consentCheck\.menuKey/);
  });
});

describe('what the voice check may tell (src/consents/voiceCheck.ts)', () => {
  const row: ConsentForVoiceCheck = {
    organizationName: '한빛에너지',
    bankCode: '081',
    accountNumber: '75023332200333',
    consentedAt: new Date('2026-11-22T12:04:05Z'),
    status: 'ready',
    endedAt: null,
    supersededAt: null,
    holderIdKind: 'birthDate',
    holderId: '940424',
    payerBirthDate: '19940424',
  };

  it('the holder\'s birthdate: the bank by name, the last four digits, the time in Korea', () => {
    expect(answerVoiceCheck(row, '19940424')).toEqual({ found: 'consent', consent: { ...CHECKED, consentedAt: '2026-11-22T21:04:05+09:00' } });
  });

  it('a wrong birthdate, or the right day in another century, learns nothing', () => {
    for (const wrong of ['19940425', '20940424', '1994042', '']) expect(answerVoiceCheck(row, wrong)).toEqual({ found: 'wrongBirthDate' });
    expect(answerVoiceCheck(undefined, '19940424')).toEqual({ found: 'none' });
  });

  it('a payer no longer on file, or whose birthdate changed since: the consent\'s own birthdate (YYMMDD) decides', () => {
    expect(answerVoiceCheck({ ...row, payerBirthDate: null }, '19940424')).toMatchObject({ found: 'consent' });
    // The payer's birthdate corrected since: the consent's own still decides, not the new one.
    expect(answerVoiceCheck({ ...row, payerBirthDate: '19940425' }, '19940424')).toMatchObject({ found: 'consent' });
    expect(answerVoiceCheck({ ...row, payerBirthDate: '19940425' }, '19940425')).toEqual({ found: 'wrongBirthDate' });
  });

  it('a company\'s consent: its payer\'s birthdate on file decides; none on file, nothing told', () => {
    const company = { ...row, holderIdKind: 'businessNumber', holderId: '2208162517', payerBirthDate: '19700101' };
    expect(answerVoiceCheck(company, '19700101')).toMatchObject({ found: 'consent' });
    expect(answerVoiceCheck(company, '19940424')).toEqual({ found: 'wrongBirthDate' });
    expect(answerVoiceCheck({ ...company, payerBirthDate: null }, '19700101')).toEqual({ found: 'wrongBirthDate' });
  });

  it('registered, ended, superseded, or never registered', () => {
    const status = (r: Partial<ConsentForVoiceCheck>) => {
      const a = answerVoiceCheck({ ...row, ...r }, '19940424');
      return a.found === 'consent' ? a.consent.status : a.found;
    };
    expect(status({ status: 'sent' })).toBe('registered');
    expect(status({ endedAt: new Date() })).toBe('ended');
    expect(status({ supersededAt: new Date() })).toBe('superseded');
    expect(status({ status: 'evidence_failed' })).toBe('notRegistered');
  });

  it('speaks the date and time as people say them', () => {
    expect(spokenDateTime('2026-11-22T21:04:05+09:00')).toBe('2026년 11월 22일 오후 9시 4분');
    expect(spokenDateTime('2026-01-05T09:00:00+09:00')).toBe('2026년 1월 5일 오전 9시');
    expect(spokenDateTime('2026-01-05T00:30:00+09:00')).toBe('2026년 1월 5일 오전 12시 30분');
    expect(spokenDateTime('2026-01-05T12:00:00+09:00')).toBe('2026년 1월 5일 오후 12시');
  });
});
