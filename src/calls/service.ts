import { randomInt } from 'node:crypto';
import type pg from 'pg';
import { findConsentForVoiceCheck } from '../consents/verificationStore.js';
import { answerVoiceCheck } from '../consents/voiceCheck.js';
import { findPayer, findPayersByPhone } from '../payers/store.js';
import type { Logger } from '../log.js';
import { initialState, runTurn, type AccountEntry, type Action, type CallState, type Effect, type Input, type PayerSnapshot, type Query, type TurnResult } from '../scenario/engine.js';
import type { ScenarioSet } from '../scenario/loader.js';
import type { Scenario } from '../scenario/schema.js';
import type { TwilioRest } from '../telephony/rest.js';
import { isSid } from '../telephony/sids.js';
import { apologyTwiml, renderTwiml, type TwimlUrls } from '../telephony/twiml.js';
import { appendEvents, getCall, turnEvents, type EventInsert, type StoredCall } from './store.js';
import { createWriteBatcher } from './writeBatcher.js';

export type CallServiceDeps = {
  pool: pg.Pool;
  scenarios: ScenarioSet;
  twilio: TwilioRest;
  urls: TwimlUrls;
  log: Logger;
  /** Keys the stored hash of SMS codes (derived from SECRETS_KEY). */
  smsCodeKey?: string;
  /** Called after a turn that ended in consent, once the transaction committed. */
  onConsent?: (callSid: string, attempt: number) => void;
  /** Outbound calls placed for a website's consent request. */
  requests?: {
    forAnswer(requestId: string, callSid: string): Promise<{ requestId: string; scenarioId: string; code: string; payer: PayerSnapshot; account: AccountEntry } | undefined>;
    onCallEnded(requestId: string, state: CallState, maxAttempts: number): Promise<void>;
  };
};

export type WebhookParams = Record<string, string | undefined>;

const SORRY = '죄송합니다. 일시적인 오류로 통화를 이어갈 수 없습니다. 잠시 후 다시 전화해 주세요.';

const MAX_QUERIES_PER_TURN = 4;

function newSmsCode(): string {
  return String(randomInt(0, 100_000_000)).padStart(8, '0');
}

function validCallSid(sid: string | undefined): sid is string {
  return typeof sid === 'string' && isSid('CA', sid);
}

function validPhone(phone: string | undefined): string | undefined {
  return phone && /^\+\d{6,15}$/.test(phone) ? phone : undefined;
}

function isConfidential(action: Action): boolean {
  return action.kind === 'say' && action.confidential === true;
}

function unhandledQuery(query: never): never {
  throw new Error(`the engine asked a query this edge does not answer: ${(query as Query).kind}`);
}

/** Runs the webhooks of a call: one write a turn, guarded by the version read, with the turn's events (committed in groups). */
export function createCallService(deps: CallServiceDeps) {
  const { pool, scenarios, log } = deps;
  const write = createWriteBatcher(pool);
  const defaultScenario = () => scenarios.all.find((s) => s.default);
  type Answer = { twiml: string; effects: Effect[] };

  /**
   * The last state this process wrote for each live call. Only a hint: every write is guarded by
   * the version it read, so a state changed meanwhile by another process is caught, re-read, and
   * the webhook answered as a replay.
   */
  const recent = new Map<string, StoredCall>();
  function remember(row: StoredCall): void {
    // Ended calls stay until their status callback, which then needs no read.
    recent.delete(row.callSid);
    recent.set(row.callSid, row);
    if (recent.size > 10_000) recent.delete(recent.keys().next().value!);
  }

  /** The edge's answer to the engine's query, by its kind (a kind not handled here does not compile). */
  async function answerQuery(q: Query, callSid: string): Promise<Input> {
    switch (q.kind) {
      case 'lookupPayer': {
        const payer = await findPayer(pool, q.payerNumber);
        return { kind: 'payerLookup', payers: payer ? [payer] : [] };
      }
      case 'sendSms': {
        let ok = true;
        try {
          await deps.twilio.sendSms(q.to, q.text);
        } catch (err) {
          ok = false;
          log.warn({ callSid, err: (err as Error).message }, 'identity SMS could not be sent');
        }
        return { kind: 'smsSent', ok };
      }
      case 'findConsentForCheck': {
        const consent = await findConsentForVoiceCheck(pool, q.verificationNumber);
        return { kind: 'consentCheck', answer: answerVoiceCheck(consent, q.birthDate) };
      }
      default:
        return unhandledQuery(q);
    }
  }

  async function resolveQueries(scenario: Scenario, callSid: string, first: TurnResult): Promise<TurnResult> {
    let result = first;
    const actions = [...first.actions];
    const effects = [...first.effects];
    const logEntries = [...first.log];
    for (let i = 0; result.query && i < MAX_QUERIES_PER_TURN; i++) {
      const input = await answerQuery(result.query, callSid);
      result = runTurn(scenario, result.state, input, { newSmsCode: newSmsCode(), callSid, smsCodeKey: deps.smsCodeKey });
      actions.push(...result.actions);
      effects.push(...result.effects);
      logEntries.push(...result.log);
    }
    return { state: result.state, actions, effects, log: logEntries };
  }

  function performEffects(callSid: string, effects: Effect[]): void {
    for (const effect of effects) {
      if (effect.kind === 'stopRecording') {
        deps.twilio.stopRecording(callSid).catch((err: Error) => {
          log.error({ callSid, err: err.message }, 'could not stop the recording');
        });
      } else if (effect.kind === 'consentGiven') {
        deps.onConsent?.(callSid, effect.attempt);
      }
    }
  }

  function scenarioOf(row: StoredCall): Scenario {
    return scenarios.byId(row.scenarioId) ?? scenarios.forCalledNumber(undefined);
  }

  /** A replayed or out-of-order webhook: the caller hears the current question again. */
  async function replay(row: StoredCall, turnParam: string | undefined): Promise<Answer> {
    await appendEvents(pool, row.callSid, [{ turn: row.state.turn, step: row.state.step, kind: 'replay', detail: { turn: turnParam ?? null } }]);
    return { twiml: row.lastTwiml, effects: [] };
  }

  async function startCall(params: WebhookParams, callSid: string, note?: string): Promise<Answer> {
    const to = validPhone(params.To);
    const scenario = scenarios.forCalledNumber(to);
    const from = validPhone(params.From);
    const payersByPhone = from ? await findPayersByPhone(pool, from) : [];
    const first = runTurn(scenario, initialState(scenario), { kind: 'start', payersByPhone }, { newSmsCode: newSmsCode(), callSid, smsCodeKey: deps.smsCodeKey });
    const result = await resolveQueries(scenario, callSid, first);
    const twiml = renderTwiml(result.actions, scenario, deps.urls, result.state.turn);
    const events: EventInsert[] = [
      ...(note ? [{ turn: 0, step: 'menu', kind: 'note', detail: { note } }] : []),
      ...turnEvents(0, result.log, result.actions, result.state.step),
    ];
    const call = { callSid, scenarioId: scenario.id, from, to, direction: params.Direction === 'outbound-api' ? 'outbound' : 'inbound' };
    if (await write({ kind: 'new', call, state: result.state, twiml, events })) {
      remember({ callSid, scenarioId: scenario.id, fromNumber: from ?? null, state: result.state, lastTwiml: twiml, version: 0 });
      return { twiml, effects: result.effects };
    }
    return replay((await getCall(pool, callSid))!, 'start');
  }

  /** A request's call ended in this turn: the request follows (after the commit, off the webhook's path). */
  function requestCallEnded(before: CallState, after: CallState, scenario: Scenario): void {
    if (!deps.requests || !after.request || after.step !== 'ended' || before.step === 'ended') return;
    deps.requests.onCallEnded(after.request.id, after, scenario.maxAttempts).catch((err: Error) => {
      log.error({ requestId: after.request!.id, err: err.message }, 'could not update the consent request');
    });
  }

  async function guarded(callSid: string | undefined, work: () => Promise<Answer>): Promise<string> {
    try {
      const { twiml, effects } = await work();
      if (callSid) performEffects(callSid, effects);
      return twiml;
    } catch (err) {
      log.error({ callSid, err: (err as Error).message }, 'webhook failed; the caller hears an apology');
      return apologyTwiml(defaultScenario(), SORRY);
    }
  }

  return {
    /** POST /twilio/voice: a new call. A repeat of the same CallSid gets the same answer. */
    answer(params: WebhookParams): Promise<string> {
      const callSid = params.CallSid;
      if (!validCallSid(callSid)) {
        log.warn('voice webhook without a valid CallSid');
        return Promise.resolve(apologyTwiml(defaultScenario(), SORRY));
      }
      // A repeated CallSid is caught by the insert and answered as a replay.
      return guarded(callSid, () => startCall(params, callSid));
    },

    /** POST /twilio/outbound?request=ID: the payer answered the call placed for a consent request. */
    answerRequest(requestId: string | undefined, params: WebhookParams): Promise<string> {
      const callSid = params.CallSid;
      if (!validCallSid(callSid) || !requestId) {
        log.warn('outbound answer webhook without a valid CallSid or request');
        return Promise.resolve(apologyTwiml(defaultScenario(), SORRY));
      }
      return guarded(callSid, async () => {
        const existing = await getCall(pool, callSid);
        if (existing) return replay(existing, 'start');
        const request = await deps.requests?.forAnswer(requestId, callSid);
        if (!request) {
          log.warn({ callSid, requestId: requestId.slice(0, 40) }, 'outbound call for an unknown or finished consent request');
          return { twiml: apologyTwiml(defaultScenario(), SORRY), effects: [] };
        }
        const scenario = scenarios.byId(request.scenarioId) ?? scenarios.forCalledNumber(undefined);
        const result = runTurn(scenario, initialState(scenario), { kind: 'startRequest', ...request }, { newSmsCode: newSmsCode(), callSid, smsCodeKey: deps.smsCodeKey });
        const twiml = renderTwiml(result.actions, scenario, deps.urls, result.state.turn);
        const events = turnEvents(0, result.log, result.actions, result.state.step);
        const call = { callSid, scenarioId: scenario.id, from: validPhone(params.From), to: validPhone(params.To), direction: 'outbound', requestId: request.requestId };
        if (await write({ kind: 'new', call, state: result.state, twiml, events })) {
          remember({ callSid, scenarioId: scenario.id, fromNumber: call.from ?? null, state: result.state, lastTwiml: twiml, version: 0 });
          return { twiml, effects: result.effects };
        }
        return replay((await getCall(pool, callSid))!, 'start');
      });
    },

    /** POST /twilio/voice/gather?turn=N: the caller's answer to turn N. */
    gather(turnParam: string | undefined, params: WebhookParams): Promise<string> {
      const callSid = params.CallSid;
      if (!validCallSid(callSid)) {
        log.warn('gather webhook without a valid CallSid');
        return Promise.resolve(apologyTwiml(defaultScenario(), SORRY));
      }
      return guarded(callSid, async () => {
        const cached = recent.get(callSid);
        const row = cached && String(cached.state.turn) === turnParam ? cached : await getCall(pool, callSid);
        if (!row) {
          log.warn({ callSid }, 'gather for an unknown call; starting it from the menu');
          return startCall(params, callSid, 'unknown call: started from the menu');
        }
        const state = row.state;
        if (String(state.turn) !== turnParam || state.step === 'ended') return replay(row, turnParam);
        const scenario = scenarioOf(row);
        const confidence = params.Confidence ? Number(params.Confidence) : undefined;
        const digits = params.Digits?.replace(/[^0-9*#]/g, '').slice(0, 40);
        const speech = params.SpeechResult?.slice(0, 200);
        const first = runTurn(
          scenario,
          state,
          { kind: 'gather', digits, speech, confidence: Number.isFinite(confidence) ? confidence : undefined },
          { newSmsCode: newSmsCode(), callSid, smsCodeKey: deps.smsCodeKey },
        );
        const result = await resolveQueries(scenario, callSid, first);
        const twiml = renderTwiml(result.actions, scenario, deps.urls, result.state.turn);
        // What was said in confidence (the voice check's consent) is not kept for a replay.
        const kept = result.actions.some(isConfidential)
          ? renderTwiml(result.actions.filter((a) => !isConfidential(a)), scenario, deps.urls, result.state.turn)
          : twiml;
        const events = turnEvents(state.turn, result.log, result.actions, result.state.step);
        if (await write({ kind: 'turn', callSid, readVersion: row.version, state: result.state, twiml: kept, events })) {
          remember({ ...row, state: result.state, lastTwiml: kept, version: row.version + 1 });
          requestCallEnded(state, result.state, scenario);
          return { twiml, effects: result.effects };
        }
        // Another delivery of this webhook, or another process, got there first.
        recent.delete(callSid);
        return replay((await getCall(pool, callSid))!, turnParam);
      });
    },

    /** POST /twilio/status: the call's status; a call that ends before an outcome is abandoned. */
    async status(params: WebhookParams): Promise<void> {
      const callSid = params.CallSid;
      if (!validCallSid(callSid)) return;
      const ended = ['completed', 'busy', 'failed', 'no-answer', 'canceled'].includes(params.CallStatus ?? '');
      if (!ended) return;
      for (let attempt = 0; attempt < 5; attempt++) {
        const row = (attempt === 0 ? recent.get(callSid) : undefined) ?? (await getCall(pool, callSid));
        if (!row) return;
        const result = runTurn(scenarioOf(row), row.state, { kind: 'hangup' }, { newSmsCode: '', callSid, smsCodeKey: deps.smsCodeKey });
        const events = [
          { turn: row.state.turn, step: row.state.step, kind: 'callStatus', detail: { status: params.CallStatus, duration: params.CallDuration ?? null } },
          ...turnEvents(row.state.turn, result.log, [], result.state.step),
        ];
        // hungUp: a call handed to an agent stays live after its ARS part; this is when it really ended.
        if (await write({ kind: 'turn', callSid, readVersion: row.version, state: result.state, twiml: undefined, events, hungUp: true })) {
          recent.delete(callSid);
          return;
        }
        recent.delete(callSid);
      }
      log.error({ callSid }, 'call status could not be applied after 5 attempts');
    },
  };
}

export type CallService = ReturnType<typeof createCallService>;
export type { CallState };
