import { createHash, createHmac } from 'node:crypto';
import { checkAccount } from '../kftc/institutions.js';
import { maskSecretInput } from '../shared/mask.js';
import type { PromptName, Scenario } from './schema.js';
import { fillTemplate, spokenDate, spokenDigits, spokenWon } from './speech.js';

/**
 * The ARS as a pure engine: (scenario, state, input) -> (state, actions, effects).
 * It knows nothing of Twilio, HTTP or SQL; the edge renders the actions as TwiML, performs the
 * effects and answers a pending query (a payer look-up, an SMS) by calling it again.
 */

export type PayerSnapshot = {
  payerNumber: string;
  name: string;
  birthDate: string;
  phone: string;
  businessNumber?: string | undefined;
  amountDue?: number | undefined;
};

export type Step = 'menu' | 'payerNumber' | 'identity' | 'holderCheck' | 'account' | 'confirm' | 'ended';

export type Outcome =
  | { kind: 'consented'; by: 'key' | 'voice'; key?: string; speech?: string; confidence?: number }
  | { kind: 'notHolder' }
  | { kind: 'transferred'; fromStep: Step; reason: 'requested' | 'maxAttempts' | 'notHolder' | 'smsFailed' }
  | { kind: 'failed'; step: Step; reason: 'maxAttempts' | 'smsFailed' }
  | { kind: 'declined'; by: 'key'; reason: 'declined' | 'notHolder' }
  | { kind: 'abandoned'; step: Step }
  | { kind: 'finished' };

export type AccountEntry = { bankCode: string; bankName: string; accountNumber: string };

export type CallState = {
  scenarioId: string;
  step: Step;
  /** Counts the turns; a webhook that names another turn is a replay or out of order. */
  turn: number;
  intent?: 'inquiry' | 'change' | undefined;
  payer?: PayerSnapshot | undefined;
  identityVerified: boolean;
  smsCodeHash?: string | undefined;
  attempts: number;
  account?: AccountEntry | undefined;
  /** How many times the readback was played; each starts a new recording. */
  readbacks: number;
  recordingActive: boolean;
  outcome?: Outcome | undefined;
  /** An outbound call placed for a website's consent request: the payer keys in its code (or 1). */
  request?: { id: string; code: string; confirmation: 'code' | 'key' } | undefined;
};

export type Input =
  | { kind: 'start'; payersByPhone: PayerSnapshot[] }
  | { kind: 'startRequest'; requestId: string; code: string; payer: PayerSnapshot; account: AccountEntry }
  | { kind: 'gather'; digits?: string | undefined; speech?: string | undefined; confidence?: number | undefined }
  | { kind: 'payerLookup'; payers: PayerSnapshot[] }
  | { kind: 'smsSent'; ok: boolean }
  | { kind: 'hangup' };

export type GatherMode = 'dtmf' | 'speech' | 'dtmf speech';

export type Action =
  | { kind: 'say'; text: string; evidence?: 'readback' | 'consentAnnouncement' }
  | { kind: 'gather'; mode: GatherMode; numDigits?: number; finishOnKey?: string; timeout: number; say: string[] }
  | { kind: 'startRecording'; attempt: number }
  | { kind: 'pause'; seconds: number }
  | { kind: 'dial'; number: string }
  | { kind: 'hangup' };

export type Effect = { kind: 'stopRecording' } | { kind: 'consentGiven'; attempt: number };

export type Query =
  | { kind: 'lookupPayer'; payerNumber: string }
  | { kind: 'sendSms'; to: string; text: string };

/** What happened this turn, for the call's event log; secret inputs appear masked. */
export type LogEntry = { kind: 'input' | 'check' | 'outcome'; step: Step; detail: Record<string, unknown> };

export type TurnResult = {
  state: CallState;
  actions: Action[];
  effects: Effect[];
  query?: Query;
  log: LogEntry[];
};

export type TurnContext = {
  /** A fresh random code, used only when this turn sends an SMS code. */
  newSmsCode: string;
  callSid: string;
  /** The server's key for SMS codes (from SECRETS_KEY): codes are kept as a keyed HMAC, never guessable offline. */
  smsCodeKey?: string | undefined;
};

/** Short answers must be the whole word ("예금주" is not a yes); phrases may stand anywhere. */
const YES_WORDS = /^(예|네|넵|응|예요|네요)$/;
const YES_PHRASES = ['맞습니다', '맞아요', '맞아', '동의합니다', '동의해요', '동의', '그렇습니다', '좋습니다'];
const NO_PHRASES = ['동의하지않습니다', '동의안합니다', '아니오', '아니요', '아닙니다', '아니', '틀립니다', '틀려요', '틀렸'];

export function classifySpeech(speech: string): 'yes' | 'no' | 'unclear' {
  let text = speech.replace(/[.,!?~]+/g, ' ').trim();
  let isNo = false;
  for (const phrase of NO_PHRASES) {
    const spaced = new RegExp([...phrase].join('\\s*'), 'g');
    if (spaced.test(text)) {
      isNo = true;
      text = text.replace(spaced, ' ');
    }
  }
  const words = text.split(/\s+/).filter(Boolean);
  const compact = words.join('');
  const isYes = words.some((w) => YES_WORDS.test(w)) || YES_PHRASES.some((p) => compact.includes(p));
  if (isNo && !isYes) return 'no';
  if (isYes && !isNo) return 'yes';
  return 'unclear';
}

export function hashSmsCode(callSid: string, code: string, key?: string): string {
  return key ? createHmac('sha256', key).update(`${callSid}:${code}`).digest('hex') : createHash('sha256').update(`${callSid}:${code}`).digest('hex');
}

export function initialState(scenario: Scenario): CallState {
  return { scenarioId: scenario.id, step: 'menu', turn: 0, identityVerified: false, attempts: 0, readbacks: 0, recordingActive: false };
}

/** The spoken holder id of the readback: the birthdate, or the business number for a company. */
export function spokenHolderId(payer: PayerSnapshot): string {
  return payer.businessNumber ? `사업자등록번호 ${spokenDigits(payer.businessNumber)}` : `${spokenDate(payer.birthDate)}생`;
}

export function readbackText(scenario: Scenario, payer: PayerSnapshot, account: AccountEntry): string {
  return fillTemplate(scenario.prompts.readback, {
    holderId: spokenHolderId(payer),
    holderName: payer.name,
    organization: scenario.organization.name,
    bankName: account.bankName,
    accountNumber: spokenDigits(account.accountNumber),
  });
}

class Turn {
  actions: Action[] = [];
  effects: Effect[] = [];
  log: LogEntry[] = [];
  query: Query | undefined;
  constructor(
    readonly scenario: Scenario,
    public state: CallState,
    readonly ctx: TurnContext,
  ) {}

  prompt(name: PromptName, values: Record<string, string> = {}): string {
    return fillTemplate(this.scenario.prompts[name], { organization: this.scenario.organization.name, ...values });
  }
  say(text: string, evidence?: 'readback' | 'consentAnnouncement'): void {
    this.actions.push(evidence ? { kind: 'say', text, evidence } : { kind: 'say', text });
  }
  set(patch: Partial<CallState>): void {
    this.state = { ...this.state, ...patch };
  }
  record(kind: LogEntry['kind'], detail: Record<string, unknown>): void {
    this.log.push({ kind, step: this.state.step, detail });
  }
  gather(mode: GatherMode, say: string[], opts: { numDigits?: number; finishOnKey?: string } = {}): void {
    this.set({ turn: this.state.turn + 1 });
    this.actions.push({ kind: 'gather', mode, timeout: this.scenario.gatherTimeoutSeconds, say, ...opts });
  }
  result(): TurnResult {
    const r: TurnResult = { state: this.state, actions: this.actions, effects: this.effects, log: this.log };
    if (this.query) r.query = this.query;
    return r;
  }
}

/** Asks the question of the current step again, after an optional reason. */
function promptStep(t: Turn, reason?: string): void {
  const s = t.scenario;
  const pre = reason ? [reason] : [];
  switch (t.state.step) {
    case 'menu':
      return t.gather('dtmf', [...pre, t.prompt('menu')], { numDigits: 1 });
    case 'payerNumber':
      return t.gather('dtmf', [...pre, t.prompt('payerNumber')], { finishOnKey: '#' });
    case 'identity':
      if (s.identity.method === 'sms') {
        return t.gather('dtmf', [...pre, t.prompt('identitySms')], { numDigits: s.identity.smsCodeLength });
      }
      return t.gather('dtmf', [...pre, t.prompt('identityBirthDate')], { numDigits: 8 });
    case 'holderCheck':
      return t.gather('dtmf', [...pre, t.prompt('holderCheck')], { numDigits: 1 });
    case 'account':
      return t.gather('dtmf', [...pre, t.prompt('accountEntry')], { finishOnKey: '#' });
    case 'confirm':
      return playReadbackAndAsk(t, reason);
    case 'ended':
      return;
  }
}

/**
 * The readback sits outside the Gather so no key press can skip it; the recording starts right
 * before it (never earlier: the identity check is not on the evidence, R3).
 */
function playReadbackAndAsk(t: Turn, reason?: string): void {
  const { payer, account } = t.state;
  if (!payer || !account) throw new Error('readback without payer or account');
  if (reason) t.say(reason);
  if (!t.state.recordingActive) {
    const attempt = t.state.readbacks + 1;
    t.set({ readbacks: attempt, recordingActive: true });
    t.actions.push({ kind: 'startRecording', attempt });
  }
  t.say(readbackText(t.scenario, payer, account), 'readback');
  const request = t.state.request;
  if (request) {
    const prompts = t.scenario.outbound.prompts;
    if (request.confirmation === 'code') t.gather('dtmf', [prompts.confirmCode], { numDigits: request.code.length });
    else t.gather('dtmf', [prompts.confirmKey], { numDigits: 1 });
    return;
  }
  const c = t.scenario.confirmation;
  const question = t.prompt(c === 'key' ? 'confirmKey' : c === 'voice' ? 'confirmVoice' : 'confirmBoth');
  if (c === 'key') t.gather('dtmf', [question], { numDigits: 1 });
  else if (c === 'voice') t.gather('speech', [question]);
  else t.gather('dtmf speech', [question], { numDigits: 1 });
}

function stopRecordingIfActive(t: Turn): void {
  if (t.state.recordingActive) {
    t.effects.push({ kind: 'stopRecording' });
    t.set({ recordingActive: false });
  }
}

function end(t: Turn, outcome: Outcome): void {
  t.set({ step: 'ended', outcome });
  t.record('outcome', { ...outcome });
}

function transfer(t: Turn, reason: 'requested' | 'maxAttempts' | 'notHolder' | 'smsFailed'): void {
  stopRecordingIfActive(t);
  const fromStep = t.state.step;
  if (t.scenario.agentNumber) {
    t.say(t.prompt('transferring'));
    t.actions.push({ kind: 'dial', number: t.scenario.agentNumber });
    end(t, { kind: 'transferred', fromStep, reason });
  } else {
    t.say(t.prompt('noAgentGoodbye'));
    t.actions.push({ kind: 'hangup' });
    if (reason === 'notHolder') end(t, { kind: 'notHolder' });
    else if (reason === 'requested') end(t, { kind: 'finished' });
    else end(t, { kind: 'failed', step: fromStep, reason });
  }
}

function retry(t: Turn, reason: PromptName | 'errorCode', detail: Record<string, unknown>): void {
  const attempts = t.state.attempts + 1;
  t.record('check', { ok: false, reason, attempt: attempts, ...detail });
  const text = reason === 'errorCode' ? t.scenario.outbound.prompts.errorCode : t.prompt(reason);
  t.set({ attempts });
  if (attempts >= t.scenario.maxAttempts) {
    t.say(text);
    if (t.state.request) return requestFailed(t);
    return transfer(t, 'maxAttempts');
  }
  promptStep(t, text);
}

/** An outbound request's call gives up: no agent to hand over to, the website can ask again. */
function requestFailed(t: Turn): void {
  stopRecordingIfActive(t);
  t.say(t.scenario.outbound.prompts.failed);
  t.actions.push({ kind: 'hangup' });
  end(t, { kind: 'failed', step: t.state.step, reason: 'maxAttempts' });
}

function onRequestConfirm(t: Turn, digits: string): void {
  const request = t.state.request!;
  const prompts = t.scenario.outbound.prompts;
  t.record('input', { digits });
  if (digits === '') return retry(t, 'errorNoInput', {});
  const consented = request.confirmation === 'code' ? digits === request.code : digits === '1';
  if (consented) {
    t.say(fillTemplate(prompts.consented, { key: digits }), 'consentAnnouncement');
    t.effects.push({ kind: 'consentGiven', attempt: t.state.readbacks });
    t.actions.push({ kind: 'pause', seconds: 1 }, { kind: 'hangup' });
    return end(t, { kind: 'consented', by: 'key', key: digits });
  }
  const declined = request.confirmation === 'code' ? digits.includes('*') : digits === '2';
  const notHolder = request.confirmation === 'key' && digits === '3';
  if (declined || notHolder) {
    t.record('check', { ok: false, reason: notHolder ? 'notHolder' : 'declined', by: 'key' });
    stopRecordingIfActive(t);
    t.say(notHolder ? prompts.notHolder : prompts.declined);
    t.actions.push({ kind: 'hangup' });
    return end(t, { kind: 'declined', by: 'key', reason: notHolder ? 'notHolder' : 'declined' });
  }
  return retry(t, request.confirmation === 'code' ? 'errorCode' : 'errorInvalidChoice', {});
}

function goTo(t: Turn, step: Step, before: string[] = []): void {
  t.set({ step, attempts: 0 });
  for (const text of before) t.say(text);
  promptStep(t);
}

function enterIdentity(t: Turn): void {
  const payer = t.state.payer!;
  if (t.state.identityVerified) return afterIdentity(t);
  if (t.scenario.identity.method === 'sms') {
    const code = t.ctx.newSmsCode.slice(0, t.scenario.identity.smsCodeLength);
    t.set({ step: 'identity', attempts: 0, smsCodeHash: hashSmsCode(t.ctx.callSid, code, t.ctx.smsCodeKey) });
    t.query = { kind: 'sendSms', to: payer.phone, text: t.prompt('smsText', { code }) };
    return;
  }
  goTo(t, 'identity');
}

function afterIdentity(t: Turn): void {
  const payer = t.state.payer!;
  if (t.state.intent === 'inquiry') {
    const text =
      payer.amountDue === undefined
        ? t.prompt('inquiryUnavailable', { name: payer.name })
        : t.prompt('inquiry', { name: payer.name, amountDue: spokenWon(payer.amountDue) });
    t.set({ intent: undefined });
    return goTo(t, 'menu', [text]);
  }
  goTo(t, t.scenario.holderCheck === 'separate' ? 'holderCheck' : 'account');
}

function afterMenuChoice(t: Turn): void {
  if (t.state.payer) return enterIdentity(t);
  goTo(t, 'payerNumber');
}

function onGather(t: Turn, digits: string, speech: string, confidence: number | undefined): void {
  const s = t.state;
  switch (s.step) {
    case 'menu': {
      t.record('input', { digits });
      if (digits === '') return retry(t, 'errorNoInput', {});
      if (digits === '1') {
        t.set({ intent: 'inquiry' });
        t.say(t.prompt('menuInquirySelected'));
        return afterMenuChoice(t);
      }
      if (digits === '2') {
        t.set({ intent: 'change' });
        t.say(t.prompt('menuChangeSelected'));
        return afterMenuChoice(t);
      }
      if (digits === '0') return transfer(t, 'requested');
      return retry(t, 'errorInvalidChoice', {});
    }
    case 'payerNumber': {
      t.record('input', { digits });
      if (digits === '') return retry(t, 'errorNoInput', {});
      if (!/^\d{1,30}$/.test(digits)) return retry(t, 'errorPayerNotFound', {});
      t.query = { kind: 'lookupPayer', payerNumber: digits };
      return;
    }
    case 'identity': {
      t.record('input', { digits: maskSecretInput(digits) });
      if (digits === '') return retry(t, 'errorNoInput', {});
      const ok =
        t.scenario.identity.method === 'sms'
          ? s.smsCodeHash !== undefined && hashSmsCode(t.ctx.callSid, digits, t.ctx.smsCodeKey) === s.smsCodeHash
          : digits === s.payer!.birthDate;
      if (!ok) return retry(t, 'errorIdentity', { method: t.scenario.identity.method });
      t.record('check', { ok: true, identity: t.scenario.identity.method });
      t.set({ identityVerified: true, smsCodeHash: undefined });
      return afterIdentity(t);
    }
    case 'holderCheck': {
      t.record('input', { digits });
      if (digits === '') return retry(t, 'errorNoInput', {});
      if (digits === '1') return goTo(t, 'account');
      if (digits === '2') {
        t.say(t.prompt('notHolder'));
        return transfer(t, 'notHolder');
      }
      return retry(t, 'errorInvalidChoice', {});
    }
    case 'account': {
      const entry = digits.replace(/#$/, '');
      t.record('input', { bankCode: entry.slice(0, 3), accountNumber: entry.slice(3) });
      if (entry === '') return retry(t, 'errorNoInput', {});
      if (!/^\d{4,}$/.test(entry)) return retry(t, 'errorAccountFormat', {});
      const check = checkAccount(entry.slice(0, 3), entry.slice(3));
      if (!check.ok) {
        return retry(t, check.reason === 'unknownBank' ? 'errorBankCode' : check.reason === 'accountLength' ? 'errorAccountLength' : 'errorAccountFormat', {});
      }
      t.record('check', { ok: true, bankCode: check.bankCode, bankName: check.bankName });
      t.set({ account: { bankCode: check.bankCode, bankName: check.bankName, accountNumber: check.accountNumber }, step: 'confirm', attempts: 0 });
      return playReadbackAndAsk(t);
    }
    case 'confirm':
      if (s.request) return onRequestConfirm(t, digits);
      return onConfirm(t, digits, speech, confidence);
    case 'ended':
      return;
  }
}

function onConfirm(t: Turn, digits: string, speech: string, confidence: number | undefined): void {
  const mode = t.scenario.confirmation;
  t.record('input', speech ? { speech, confidence } : { digits });
  const byKey = mode !== 'voice' && digits !== '';
  const bySpeech = mode !== 'key' && digits === '' && speech !== '';
  const attempt = t.state.readbacks;
  if (byKey) {
    if (digits === '1') {
      t.say(t.prompt('consentedKey', { key: '1' }), 'consentAnnouncement');
      t.effects.push({ kind: 'consentGiven', attempt });
      t.actions.push({ kind: 'pause', seconds: 1 }, { kind: 'hangup' });
      return end(t, { kind: 'consented', by: 'key', key: '1' });
    }
    if (digits === '2') {
      t.say(t.prompt('declinedKey', { key: '2' }));
      stopRecordingIfActive(t);
      t.record('check', { ok: false, reason: 'declined', by: 'key' });
      return goTo(t, 'account');
    }
    if (digits === '3' && t.scenario.holderCheck === 'atConfirm') {
      t.record('check', { ok: false, reason: 'notHolder' });
      t.say(t.prompt('notHolder'));
      return transfer(t, 'notHolder');
    }
    return retry(t, 'errorInvalidChoice', {});
  }
  if (bySpeech) {
    const answer = classifySpeech(speech);
    const confident = confidence === undefined || confidence >= t.scenario.speech.minConfidence;
    if (answer === 'yes' && confident) {
      t.say(t.prompt('consentedVoice'), 'consentAnnouncement');
      t.effects.push({ kind: 'consentGiven', attempt });
      t.actions.push({ kind: 'pause', seconds: 1 }, { kind: 'hangup' });
      return end(t, { kind: 'consented', by: 'voice', speech, ...(confidence === undefined ? {} : { confidence }) });
    }
    if (answer === 'no' && confident) {
      t.say(t.prompt('declinedVoice'));
      stopRecordingIfActive(t);
      t.record('check', { ok: false, reason: 'declined', by: 'voice' });
      return goTo(t, 'account');
    }
    return retry(t, 'errorSpeech', { answer, confidence });
  }
  if (digits === '' && speech === '') return retry(t, 'errorNoInput', {});
  return retry(t, 'errorInvalidChoice', {});
}

export function runTurn(scenario: Scenario, state: CallState, input: Input, ctx: TurnContext): TurnResult {
  const t = new Turn(scenario, state, ctx);
  switch (input.kind) {
    case 'start': {
      const payer = input.payersByPhone.length === 1 ? input.payersByPhone[0] : undefined;
      t.set({ payer });
      t.record('input', { kind: 'start', payersMatchingCaller: input.payersByPhone.length });
      promptStep(t);
      break;
    }
    case 'startRequest': {
      // The payer was identified by the organisation's website; the code shown there, keyed in
      // on this call, ties the call to that session. The recording starts at the readback.
      t.set({
        payer: input.payer,
        account: input.account,
        identityVerified: true,
        step: 'confirm',
        request: { id: input.requestId, code: input.code, confirmation: scenario.outbound.confirmation },
      });
      t.record('check', { ok: true, identity: 'consentRequest', requestId: input.requestId });
      t.say(fillTemplate(scenario.outbound.prompts.greeting, { organization: scenario.organization.name }));
      playReadbackAndAsk(t);
      break;
    }
    case 'gather': {
      if (state.step === 'ended') break;
      onGather(t, (input.digits ?? '').trim(), (input.speech ?? '').trim(), input.confidence);
      break;
    }
    case 'payerLookup': {
      if (input.payers.length === 1) {
        t.set({ payer: input.payers[0] });
        t.record('check', { ok: true, payerFound: true });
        enterIdentity(t);
      } else {
        retry(t, 'errorPayerNotFound', { matches: input.payers.length });
      }
      break;
    }
    case 'smsSent': {
      if (input.ok) {
        t.record('check', { ok: true, smsSent: true });
        promptStep(t);
      } else {
        t.say(t.prompt('smsFailed'));
        transfer(t, 'smsFailed');
      }
      break;
    }
    case 'hangup': {
      if (state.step !== 'ended') {
        // The recording ends with the call; nothing to stop.
        t.set({ recordingActive: false });
        end(t, { kind: 'abandoned', step: state.step });
      }
      break;
    }
  }
  return t.result();
}
