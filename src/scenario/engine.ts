import { checkAccount } from '../kftc/institutions.js';
import { isWellFormedVerificationNumber } from '../consents/verification.js';
import type { ConsentCheckAnswer, CheckedConsent } from '../consents/voiceCheck.js';
import { maskSecretInput } from '../shared/mask.js';
import { classifySpeech } from '../shared/spokenAnswers.js';
import type { AccountEntry, PayerSnapshot } from '../payers/snapshot.js';
import { identityMethod } from './identity.js';
import type { ConsentCheckPromptName, PromptName, Scenario } from './schema.js';
import { fillTemplate, spokenDate, spokenDateTime, spokenDigits, spokenWon } from './speech.js';

/**
 * The ARS as a pure engine: (scenario, state, input) -> (state, actions, effects).
 * It knows nothing of Twilio, HTTP or SQL; the edge renders the actions as TwiML, performs the
 * effects and answers a pending query (a payer look-up, an SMS) by calling it again.
 */

export type { AccountEntry, PayerSnapshot };
export { hashSmsCode } from './identity.js';

export type Step =
  | 'menu'
  | 'payerNumber'
  | 'identity'
  | 'holderCheck'
  | 'account'
  | 'confirm'
  /** The voice check of a consent: its verification number, then the holder's birthdate. */
  | 'checkNumber'
  | 'checkBirthDate'
  | 'ended';

export type Outcome =
  | { kind: 'consented'; by: 'key' | 'voice'; key?: string; speech?: string; confidence?: number }
  | { kind: 'notHolder' }
  | { kind: 'transferred'; fromStep: Step; reason: 'requested' | 'maxAttempts' | 'notHolder' | 'smsFailed' }
  | { kind: 'failed'; step: Step; reason: 'maxAttempts' | 'smsFailed' }
  | { kind: 'declined'; by: 'key'; reason: 'declined' | 'notHolder' }
  | { kind: 'abandoned'; step: Step }
  | { kind: 'finished' }
  /** The caller heard a consent read out by the voice check. */
  | { kind: 'consentChecked' };

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
  /** The voice check's number, kept from its entry to the birthdate's; cleared when the check ends. */
  check?: { verificationNumber: string } | undefined;
};

export type Input =
  | { kind: 'start'; payersByPhone: PayerSnapshot[] }
  | { kind: 'startRequest'; requestId: string; code: string; payer: PayerSnapshot; account: AccountEntry }
  | { kind: 'gather'; digits?: string | undefined; speech?: string | undefined; confidence?: number | undefined }
  | { kind: 'payerLookup'; payers: PayerSnapshot[] }
  | { kind: 'smsSent'; ok: boolean }
  | { kind: 'consentCheck'; answer: ConsentCheckAnswer }
  | { kind: 'hangup' };

export type GatherMode = 'dtmf' | 'speech' | 'dtmf speech';

export type Action =
  /** confidential: said to the caller, but kept out of the call's event log and stored TwiML. */
  | { kind: 'say'; text: string; evidence?: 'readback' | 'consentAnnouncement'; confidential?: true }
  | { kind: 'gather'; mode: GatherMode; numDigits?: number; finishOnKey?: string; timeout: number; say: string[] }
  | { kind: 'startRecording'; attempt: number }
  | { kind: 'pause'; seconds: number }
  | { kind: 'dial'; number: string }
  | { kind: 'hangup' };

export type Effect = { kind: 'stopRecording' } | { kind: 'consentGiven'; attempt: number };

export type Query =
  | { kind: 'lookupPayer'; payerNumber: string }
  | { kind: 'sendSms'; to: string; text: string }
  /** The voice check: the consent of this number, told only when the birthdate is the holder's. */
  | { kind: 'findConsentForCheck'; verificationNumber: string; birthDate: string };

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
  checkPrompt(name: ConsentCheckPromptName, values: Record<string, string> = {}): string {
    return fillTemplate(this.scenario.consentCheck.prompts[name], values);
  }
  set(patch: Partial<CallState>): void {
    this.state = { ...this.state, ...patch };
  }
  /** Adds an entry to the call's event log (not the audio recording). */
  logEvent(kind: LogEntry['kind'], detail: Record<string, unknown>): void {
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
    case 'identity': {
      const method = identityMethod(s);
      return t.gather('dtmf', [...pre, t.prompt(method.question)], { numDigits: method.numDigits(s) });
    }
    case 'holderCheck':
      return t.gather('dtmf', [...pre, t.prompt('holderCheck')], { numDigits: 1 });
    case 'account':
      return t.gather('dtmf', [...pre, t.prompt('accountEntry')], { finishOnKey: '#' });
    case 'confirm':
      return playReadbackAndAsk(t, reason);
    case 'checkNumber':
      return t.gather('dtmf', [...pre, t.checkPrompt('number')], { numDigits: 16, finishOnKey: '#' });
    case 'checkBirthDate':
      return t.gather('dtmf', [...pre, t.checkPrompt('birthDate')], { numDigits: 8, finishOnKey: '#' });
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
  t.set({ step: 'ended', outcome, check: undefined });
  t.logEvent('outcome', { ...outcome });
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
  t.logEvent('check', { ok: false, reason, attempt: attempts, ...detail });
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
  t.logEvent('input', { digits });
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
    t.logEvent('check', { ok: false, reason: notHolder ? 'notHolder' : 'declined', by: 'key' });
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
  const method = identityMethod(t.scenario);
  if (method.prepare) {
    // The question follows once the edge has answered the query (e.g. the code was sent).
    const prepared = method.prepare({ scenario: t.scenario, payer, ctx: t.ctx, fill: (name, values) => t.prompt(name, values) });
    t.set({ step: 'identity', attempts: 0, ...prepared.state });
    t.query = prepared.query;
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
      t.logEvent('input', { digits });
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
      const check = t.scenario.consentCheck;
      if (check.enabled && digits === check.menuKey) {
        t.say(t.checkPrompt('selected'));
        return goTo(t, 'checkNumber');
      }
      return retry(t, 'errorInvalidChoice', {});
    }
    case 'payerNumber': {
      t.logEvent('input', { digits });
      if (digits === '') return retry(t, 'errorNoInput', {});
      if (!/^\d{1,30}$/.test(digits)) return retry(t, 'errorPayerNotFound', {});
      t.query = { kind: 'lookupPayer', payerNumber: digits };
      return;
    }
    case 'identity': {
      t.logEvent('input', { digits: maskSecretInput(digits) });
      if (digits === '') return retry(t, 'errorNoInput', {});
      const ok = identityMethod(t.scenario).matches(digits, s, t.ctx);
      if (!ok) return retry(t, 'errorIdentity', { method: t.scenario.identity.method });
      t.logEvent('check', { ok: true, identity: t.scenario.identity.method });
      t.set({ identityVerified: true, smsCodeHash: undefined });
      return afterIdentity(t);
    }
    case 'holderCheck': {
      t.logEvent('input', { digits });
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
      t.logEvent('input', { bankCode: entry.slice(0, 3), accountNumber: entry.slice(3) });
      if (entry === '') return retry(t, 'errorNoInput', {});
      if (!/^\d{4,}$/.test(entry)) return retry(t, 'errorAccountFormat', {});
      const check = checkAccount(entry.slice(0, 3), entry.slice(3));
      if (!check.ok) {
        return retry(t, check.reason === 'unknownBank' ? 'errorBankCode' : check.reason === 'accountLength' ? 'errorAccountLength' : 'errorAccountFormat', {});
      }
      t.logEvent('check', { ok: true, bankCode: check.bankCode, bankName: check.bankName });
      t.set({ account: { bankCode: check.bankCode, bankName: check.bankName, accountNumber: check.accountNumber }, step: 'confirm', attempts: 0 });
      return playReadbackAndAsk(t);
    }
    case 'confirm':
      if (s.request) return onRequestConfirm(t, digits);
      return onConfirm(t, digits, speech, confidence);
    case 'checkNumber': {
      const entry = digits.replace(/#$/, '');
      t.logEvent('input', { digits: maskSecretInput(entry) });
      if (entry === '') return checkFailed(t, t.prompt('errorNoInput'), 'checkNumber', 'noInput');
      if (!isWellFormedVerificationNumber(entry)) return checkFailed(t, t.checkPrompt('errorNumber'), 'checkNumber', 'numberMalformed');
      t.set({ step: 'checkBirthDate', check: { verificationNumber: entry } });
      return promptStep(t);
    }
    case 'checkBirthDate': {
      const entry = digits.replace(/#$/, '');
      t.logEvent('input', { digits: maskSecretInput(entry) });
      if (entry === '') return checkFailed(t, t.prompt('errorNoInput'), 'checkBirthDate', 'noInput');
      if (!/^\d{8}$/.test(entry) || !s.check) return checkFailed(t, t.checkPrompt('errorBirthDate'), 'checkBirthDate', 'birthDateMismatch');
      t.query = { kind: 'findConsentForCheck', verificationNumber: s.check.verificationNumber, birthDate: entry };
      return;
    }
    case 'ended':
      return;
  }
}

function onConfirm(t: Turn, digits: string, speech: string, confidence: number | undefined): void {
  const mode = t.scenario.confirmation;
  t.logEvent('input', speech ? { speech, confidence } : { digits });
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
      t.logEvent('check', { ok: false, reason: 'declined', by: 'key' });
      return goTo(t, 'account');
    }
    if (digits === '3' && t.scenario.holderCheck === 'atConfirm') {
      t.logEvent('check', { ok: false, reason: 'notHolder' });
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
      t.logEvent('check', { ok: false, reason: 'declined', by: 'voice' });
      return goTo(t, 'account');
    }
    return retry(t, 'errorSpeech', { answer, confidence });
  }
  if (digits === '' && speech === '') return retry(t, 'errorNoInput', {});
  return retry(t, 'errorInvalidChoice', {});
}

/**
 * A wrong entry of the voice check: the caller is asked again where the error lies (the number or
 * the birthdate), or, after the check's last attempt, the call ends politely.
 */
function checkFailed(t: Turn, text: string, askAgain: 'checkNumber' | 'checkBirthDate', reason: string): void {
  const attempts = t.state.attempts + 1;
  t.logEvent('check', { ok: false, reason, attempt: attempts });
  t.set({ attempts, ...(askAgain === 'checkNumber' ? { check: undefined } : {}) });
  if (attempts >= t.scenario.consentCheck.maxAttempts) {
    t.say(text);
    t.say(t.checkPrompt('failed'));
    t.actions.push({ kind: 'hangup' });
    return end(t, { kind: 'failed', step: t.state.step, reason: 'maxAttempts' });
  }
  t.set({ step: askAgain });
  promptStep(t, text);
}

/** The consent read out: said to the caller only, never in the call's log or stored TwiML. */
function checkReport(t: Turn, consent: CheckedConsent): string {
  return t.checkPrompt('report', {
    organization: consent.organizationName,
    bankName: consent.bankName,
    accountLast4: spokenDigits(consent.accountLast4),
    consentedAt: spokenDateTime(consent.consentedAt),
    status: t.checkPrompt(consent.status),
  });
}

function onConsentCheck(t: Turn, answer: ConsentCheckAnswer): void {
  switch (answer.found) {
    case 'none':
      return checkFailed(t, t.checkPrompt('errorUnknown'), 'checkNumber', 'numberUnknown');
    case 'wrongBirthDate':
      return checkFailed(t, t.checkPrompt('errorBirthDate'), 'checkBirthDate', 'birthDateMismatch');
    case 'consent':
      t.logEvent('check', { ok: true, consentCheck: true });
      t.actions.push({ kind: 'say', text: checkReport(t, answer.consent), confidential: true });
      t.say(t.checkPrompt('goodbye'));
      t.actions.push({ kind: 'hangup' });
      return end(t, { kind: 'consentChecked' });
  }
}

export function runTurn(scenario: Scenario, state: CallState, input: Input, ctx: TurnContext): TurnResult {
  const t = new Turn(scenario, state, ctx);
  switch (input.kind) {
    case 'start': {
      const payer = input.payersByPhone.length === 1 ? input.payersByPhone[0] : undefined;
      t.set({ payer });
      t.logEvent('input', { kind: 'start', payersMatchingCaller: input.payersByPhone.length });
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
      t.logEvent('check', { ok: true, identity: 'consentRequest', requestId: input.requestId });
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
        t.logEvent('check', { ok: true, payerFound: true });
        enterIdentity(t);
      } else {
        retry(t, 'errorPayerNotFound', { matches: input.payers.length });
      }
      break;
    }
    case 'smsSent': {
      if (input.ok) {
        t.logEvent('check', { ok: true, smsSent: true });
        promptStep(t);
      } else {
        t.say(t.prompt('smsFailed'));
        transfer(t, 'smsFailed');
      }
      break;
    }
    case 'consentCheck': {
      if (state.step === 'checkBirthDate') onConsentCheck(t, input.answer);
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
