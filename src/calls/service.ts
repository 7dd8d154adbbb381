import { randomInt } from 'node:crypto';
import type pg from 'pg';
import { findPayer, findPayersByPhone } from '../consent/payers.js';
import type { Logger } from '../log.js';
import { initialState, runTurn, type CallState, type Effect, type Input, type TurnResult } from '../scenario/engine.js';
import type { ScenarioSet } from '../scenario/loader.js';
import type { Scenario } from '../scenario/schema.js';
import type { TwilioRest } from '../telephony/rest.js';
import { apologyTwiml, renderTwiml, type TwimlUrls } from '../telephony/twiml.js';
import { appendEvents, insertCall, lockCall, saveCall, turnEvents, type EventInsert } from './store.js';

export type CallServiceDeps = {
  pool: pg.Pool;
  scenarios: ScenarioSet;
  twilio: TwilioRest;
  urls: TwimlUrls;
  log: Logger;
  /** Called after a turn that ended in consent, once the transaction committed. */
  onConsent?: (callSid: string, attempt: number) => void;
};

export type WebhookParams = Record<string, string | undefined>;

const SORRY = '죄송합니다. 일시적인 오류로 통화를 이어갈 수 없습니다. 잠시 후 다시 전화해 주세요.';

const MAX_QUERIES_PER_TURN = 4;

function newSmsCode(): string {
  return String(randomInt(0, 100_000_000)).padStart(8, '0');
}

function validCallSid(sid: string | undefined): sid is string {
  return typeof sid === 'string' && /^CA[0-9a-fA-F]{32}$/.test(sid);
}

function validPhone(phone: string | undefined): string | undefined {
  return phone && /^\+\d{6,15}$/.test(phone) ? phone : undefined;
}

/** Runs the webhooks of a call: one transaction a turn, the call's row locked, its events appended. */
export function createCallService(deps: CallServiceDeps) {
  const { pool, scenarios, log } = deps;

  async function resolveQueries(client: pg.PoolClient, scenario: Scenario, callSid: string, first: TurnResult): Promise<TurnResult> {
    let result = first;
    const actions = [...first.actions];
    const effects = [...first.effects];
    const logEntries = [...first.log];
    for (let i = 0; result.query && i < MAX_QUERIES_PER_TURN; i++) {
      const q = result.query;
      let input: Input;
      if (q.kind === 'lookupPayer') {
        const payer = await findPayer(client, q.payerNumber);
        input = { kind: 'payerLookup', payers: payer ? [payer] : [] };
      } else {
        let ok = true;
        try {
          await deps.twilio.sendSms(q.to, q.text);
        } catch (err) {
          ok = false;
          log.warn({ callSid, err: (err as Error).message }, 'identity SMS could not be sent');
        }
        input = { kind: 'smsSent', ok };
      }
      result = runTurn(scenario, result.state, input, { newSmsCode: newSmsCode(), callSid });
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
          log.error({ callSid, err: err.message }, 'could not stop the recording after a declined readback');
        });
      } else if (effect.kind === 'consentGiven') {
        deps.onConsent?.(callSid, effect.attempt);
      }
    }
  }

  async function inTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const value = await fn(client);
      await client.query('COMMIT');
      return value;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async function startCall(client: pg.PoolClient, params: WebhookParams, callSid: string, note?: string): Promise<{ twiml: string; effects: Effect[] }> {
    const scenario = scenarios.forCalledNumber(validPhone(params.To));
    const from = validPhone(params.From);
    const payersByPhone = from ? await findPayersByPhone(client, from) : [];
    const state = initialState(scenario);
    const inserted = await insertCall(client, {
      callSid, scenarioId: scenario.id, from, to: validPhone(params.To), direction: params.Direction === 'outbound-api' ? 'outbound' : 'inbound', state,
    });
    if (!inserted) {
      const row = await lockCall(client, callSid);
      return { twiml: row!.last_twiml, effects: [] };
    }
    const first = runTurn(scenario, state, { kind: 'start', payersByPhone }, { newSmsCode: newSmsCode(), callSid });
    return finishTurn(client, scenario, callSid, state.turn, first, note ? [{ turn: 0, step: 'menu', kind: 'note', detail: { note } }] : []);
  }

  async function finishTurn(
    client: pg.PoolClient, scenario: Scenario, callSid: string, turn: number, first: TurnResult, extra: EventInsert[] = [],
  ): Promise<{ twiml: string; effects: Effect[] }> {
    const result = await resolveQueries(client, scenario, callSid, first);
    const twiml = renderTwiml(result.actions, scenario, deps.urls, result.state.turn);
    await saveCall(client, callSid, result.state, twiml);
    await appendEvents(client, callSid, [...extra, ...turnEvents(turn, result.log, result.actions, result.state.step)]);
    return { twiml, effects: result.effects };
  }

  async function guarded(callSid: string | undefined, work: () => Promise<{ twiml: string; effects: Effect[] }>): Promise<string> {
    try {
      const { twiml, effects } = await work();
      if (callSid) performEffects(callSid, effects);
      return twiml;
    } catch (err) {
      log.error({ callSid, err: (err as Error).message }, 'webhook failed; the caller hears an apology');
      return apologyTwiml(scenarios.all.find((s) => s.default), SORRY);
    }
  }

  return {
    /** POST /twilio/voice: a new call. A repeat of the same CallSid gets the same answer. */
    answer(params: WebhookParams): Promise<string> {
      const callSid = params.CallSid;
      if (!validCallSid(callSid)) {
        log.warn('voice webhook without a valid CallSid');
        return Promise.resolve(apologyTwiml(scenarios.all.find((s) => s.default), SORRY));
      }
      return guarded(callSid, () => inTransaction((client) => startCall(client, params, callSid)));
    },

    /** POST /twilio/voice/gather?turn=N: the caller's answer to turn N. */
    gather(turnParam: string | undefined, params: WebhookParams): Promise<string> {
      const callSid = params.CallSid;
      if (!validCallSid(callSid)) {
        log.warn('gather webhook without a valid CallSid');
        return Promise.resolve(apologyTwiml(scenarios.all.find((s) => s.default), SORRY));
      }
      return guarded(callSid, () =>
        inTransaction(async (client) => {
          const row = await lockCall(client, callSid);
          if (!row) {
            log.warn({ callSid }, 'gather for an unknown call; starting it from the menu');
            return startCall(client, params, callSid, 'unknown call: started from the menu');
          }
          const state = row.state;
          const turn = Number(turnParam);
          if (!Number.isInteger(turn) || turn !== state.turn || state.step === 'ended') {
            // A replayed or out-of-order webhook: the caller hears the current question again.
            await appendEvents(client, callSid, [{ turn: state.turn, step: state.step, kind: 'replay', detail: { turn: turnParam ?? null } }]);
            return { twiml: row.last_twiml, effects: [] };
          }
          const scenario = scenarios.byId(row.scenario_id) ?? scenarios.forCalledNumber(undefined);
          const confidence = params.Confidence !== undefined && params.Confidence !== '' ? Number(params.Confidence) : undefined;
          const digits = params.Digits !== undefined ? params.Digits.replace(/[^0-9*#]/g, '').slice(0, 40) : undefined;
          const speech = params.SpeechResult?.slice(0, 200);
          const first = runTurn(
            scenario,
            state,
            { kind: 'gather', digits, speech, confidence: Number.isFinite(confidence) ? confidence : undefined },
            { newSmsCode: newSmsCode(), callSid },
          );
          return finishTurn(client, scenario, callSid, state.turn, first);
        }),
      );
    },

    /** POST /twilio/status: the call's status; a call that ends before an outcome is abandoned. */
    async status(params: WebhookParams): Promise<void> {
      const callSid = params.CallSid;
      if (!validCallSid(callSid)) return;
      const ended = ['completed', 'busy', 'failed', 'no-answer', 'canceled'].includes(params.CallStatus ?? '');
      if (!ended) return;
      await inTransaction(async (client) => {
        const row = await lockCall(client, callSid);
        if (!row) return;
        const scenario = scenarios.byId(row.scenario_id) ?? scenarios.forCalledNumber(undefined);
        const result = runTurn(scenario, row.state, { kind: 'hangup' }, { newSmsCode: '', callSid });
        await saveCall(client, callSid, result.state, undefined);
        await appendEvents(client, callSid, [
          { turn: row.state.turn, step: row.state.step, kind: 'callStatus', detail: { status: params.CallStatus, duration: params.CallDuration ?? null } },
          ...turnEvents(row.state.turn, result.log, [], result.state.step),
        ]);
        await client.query('UPDATE calls SET ended_at = COALESCE(ended_at, now()) WHERE call_sid = $1', [callSid]);
      });
    },
  };
}

export type CallService = ReturnType<typeof createCallService>;
export type { CallState };
