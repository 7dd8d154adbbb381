import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import express from 'express';
import type pg from 'pg';
import { consentJson } from '../consents/consents.js';
import { consentById, searchConsents } from '../consents/store.js';
import { recordingAgentConsentOfCall } from '../agent/store.js';
import { recordingsOfCall } from '../recordings/store.js';
import type { ConsentRequests } from '../requests/consentRequests.js';
import { isRefusal, Refusal } from '../shared/refusal.js';
import { sendRefusal } from '../http/refusals.js';
import { upsertPayer } from '../payers/store.js';
import { requireBearer } from '../http/auth.js';
import { runCall, type CallerInput, type CallerInputs, type CallEvent, type CallResult, type Conversation } from './callRunner.js';
import { answerOutboundCalls } from './dialer.js';
import { createUser, hashPassword } from '../users/users.js';
import { koreanValidationMessage } from '../shared/koreanMessages.js';
import { setPasswordHash } from '../users/store.js';
import { parseCallerScript, scriptedInputs } from './index.js';
import type { StandIn } from './standIn.js';

/**
 * Demo mode: the simulator inside the service. `/_sim/twilio` is Twilio's REST API, `/_sim/calls`
 * runs a scripted call (the `npm run call` CLI), and `/` is a softphone page.
 */

/** Where a scenario without an agent number transfers to in demo mode. */
export const DEMO_AGENT_NUMBER = '+8215880001';

export const DEMO_PAYERS = [
  { payerNumber: '100200', name: '홍길동', birthDate: '19940424', phone: '+821012345678', amountDue: 45200 },
  { payerNumber: '100300', name: '김영희', birthDate: '19800102', phone: '+821099990000', amountDue: 38000 },
];

export async function seedDemoPayers(pool: pg.Pool, agentPassword: string | undefined, others: { adminPassword?: string | undefined; auditorPassword?: string | undefined } = {}): Promise<void> {
  for (const p of DEMO_PAYERS) await upsertPayer(pool, p);
  // The demo's auditor (for /consents) and admin (for /admin/users); their passwords are in demo-secrets.json.
  if (others.auditorPassword) await createUser(pool, { username: 'auditor', password: others.auditorPassword, role: 'auditor' });
  if (others.adminPassword) await createUser(pool, { username: 'admin', password: others.adminPassword, role: 'admin' });
  if (agentPassword) {
    // The demo agent, for the agent console: its password is kept in demo-secrets.json.
    if ((await createUser(pool, { username: 'agent', password: agentPassword, role: 'agent' })) === 'exists') {
      await setPasswordHash(pool, 'agent', await hashPassword(agentPassword));
    }
  }
}

/**
 * After the transfer to an agent, the softphone's keys and answers go on in the conversation, and
 * the demo agent's voice reads the script shown at /agent once the agent starts the recording.
 */
function talkToAgent(pool: pg.Pool, phone: Softphone) {
  return async (conv: Conversation) => {
    let readFor: string | undefined;
    const end = Date.now() + 30 * 60_000;
    while (Date.now() < end) {
      if (conv.recording() === 'recording') {
        const live = await recordingAgentConsentOfCall(pool, conv.callSid);
        if (live && live.id !== readFor) {
          readFor = live.id;
          await conv.agentSays(live.script);
        }
      }
      const input = await phone.next({ timeout: 1 });
      if (!input || 'hangup' in input) return;
      if ('say' in input) await conv.payerSays(input.say);
      else if (input.keys) await conv.payerPresses(input.keys);
    }
  };
}

type Deps = { pool: pg.Pool; standIn: StandIn; serviceUrl: () => string; publicBaseUrl: string; authToken: string; adminToken: string; requests: ConsentRequests };

async function waitForConsent(pool: pg.Pool, callSid: string, ms: number) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const [consent] = await searchConsents(pool, { callSid }, 1);
    if (consent) return consent;
    const failed = (await recordingsOfCall(pool, callSid)).find((r) => r.purpose === 'consent' && r.pipeline === 'failed');
    if (failed) return { failed: failed.pipelineError ?? 'the recording could not be made evidence' };
    await new Promise((r) => setTimeout(r, 150));
  }
  return undefined;
}

/** A person at the softphone page: each key press or spoken answer arrives over HTTP. */
class Softphone implements CallerInputs {
  events: (CallEvent | { kind: 'consent'; consent: unknown } | { kind: 'waiting' } | { kind: 'noRecord' })[] = [];
  callSid: string | undefined;
  consentId: string | undefined;
  done = false;
  private waiting: ((input: CallerInput | undefined) => void) | undefined;
  private buffered: CallerInput[] = [];
  next(gather: { timeout: number }): Promise<CallerInput | undefined> {
    const queued = this.buffered.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        resolve({ keys: '' }); // silence: the Gather times out, as on a phone
      }, gather.timeout * 1000);
      this.waiting = (input) => {
        clearTimeout(timer);
        this.waiting = undefined;
        resolve(input);
      };
    });
  }
  give(input: CallerInput): void {
    if (this.waiting) this.waiting(input);
    else this.buffered.push(input);
  }
}

export function demoRoutes(deps: Deps): express.Router {
  const router = express.Router();
  const sessions = new Map<string, Softphone>();
  router.use('/_sim/twilio', deps.standIn.router);

  const start = (from: string, inputs: CallerInputs, onEvent: (e: CallEvent) => void, onDial?: (c: Conversation) => Promise<void>) =>
    runCall({
      serviceUrl: deps.serviceUrl(), publicBaseUrl: deps.publicBaseUrl, authToken: deps.authToken, standIn: deps.standIn,
      from, to: '+8215880000', inputs, onEvent, ...(onDial ? { onDial } : {}),
    });

  /** When the call ends: show the consent record on the softphone once the pipeline made it. */
  const follow = async (phone: Softphone, id: string, r: CallResult) => {
    phone.callSid = r.callSid;
    if (r.recordings.length) {
      phone.events.push({ kind: 'waiting' });
      const consent = await waitForConsent(deps.pool, r.callSid, 30_000);
      if (consent && !('failed' in consent)) {
        phone.consentId = consent.id;
        phone.events.push({ kind: 'consent', consent: consentJson(consent) });
      } else phone.events.push({ kind: 'noRecord' });
    }
    phone.done = true;
    setTimeout(() => sessions.delete(id), 30 * 60_000).unref();
  };

  /** Phones waiting for a call, by number (the softphone, or a scripted payer of `npm run call -- --request`). */
  type Listener = { inputs: CallerInputs; onEvent: (e: CallEvent) => void; done: (r: CallResult | undefined) => void; softphone?: Softphone };
  const listening = new Map<string, Listener>();
  const ringing = new Map<string, Listener>();
  answerOutboundCalls({
    serviceUrl: deps.serviceUrl(), publicBaseUrl: deps.publicBaseUrl, authToken: deps.authToken, standIn: deps.standIn,
    pickUp: async (call) => {
      // It rings for up to 20 s: a phone that starts listening meanwhile still answers.
      for (let i = 0; i < 100 && !listening.has(call.to); i++) await new Promise((r) => setTimeout(r, 200));
      const listener = listening.get(call.to);
      if (!listener) return { answer: 'no-answer' };
      listening.delete(call.to);
      ringing.set(call.sid, listener);
      listener.onEvent({ kind: 'note', text: `전화가 왔습니다 (${call.from})` });
      return { answer: 'answer', inputs: listener.inputs, onEvent: listener.onEvent };
    },
    onResult: (call, result) => {
      const listener = ringing.get(call.sid);
      ringing.delete(call.sid);
      listener?.done(result);
    },
  });

  /**
   * `npm run call -- --request`: a consent request made through the service's own API logic, and
   * the payer at that number answering with the code (or the keys given). Streams what happens.
   */
  router.post('/_sim/requests', requireBearer(deps.adminToken), express.json(), async (req, res) => {
    const { keys, ...body } = (req.body ?? {}) as Record<string, unknown>;
    if (keys !== undefined && (typeof keys !== 'string' || !/^[0-9*#]{1,10}$/.test(keys))) {
      res.status(400).json({ error: 'validation', field: 'keys', reason: 'phone keys (0-9, *, #), at most 10' });
      return;
    }
    const planned: CallerInput[] = [];
    const write = (obj: unknown) => res.write(`${JSON.stringify(obj)}\n`);
    let answered: (r: CallResult | undefined) => void = () => {};
    const callEnded = new Promise<CallResult | undefined>((resolve) => (answered = resolve));
    const phone = typeof body.phone === 'string' ? body.phone.replace(/[\s-]/g, '').replace(/^0(?=[1-9])/, '+82') : '';
    listening.set(phone, { inputs: { next: async () => planned.shift() }, onEvent: write, done: (r) => answered(r) });
    let made;
    try {
      made = await deps.requests.create({ actor: 'demo', organizationCode: undefined }, body);
    } catch (err) {
      listening.delete(phone);
      if (!isRefusal(err)) throw err;
      sendRefusal(res, err);
      return;
    }
    planned.push({ keys: keys ?? made.row.code }, { keys: '' });
    res.status(200).type('application/x-ndjson');
    write({ kind: 'request', id: made.row.id, code: made.row.code, scheduledFor: made.row.not_before });
    const result = await Promise.race([callEnded, new Promise<undefined>((r) => setTimeout(() => r(undefined), 60_000))]);
    listening.delete(phone);
    if (result) write({ kind: 'call', callSid: result.callSid });
    let shown: Record<string, unknown> | undefined;
    for (let i = 0; i < 200; i++) {
      shown = await deps.requests.show(made.row.id);
      if (shown?.finishedAt) break;
      await new Promise((r) => setTimeout(r, 150));
    }
    write({ kind: 'requestDone', request: shown });
    const consent = shown?.consentId ? await consentById(deps.pool, String(shown.consentId)) : undefined;
    if (consent) write({ kind: 'consent', consent: consentJson(consent), mp3Path: consent.filePath });
    res.end();
  });

  router.post('/_sim/calls', requireBearer(deps.adminToken), express.json(), async (req, res) => {
    const body = (req.body ?? {}) as { from?: unknown; keys?: unknown; say?: unknown };
    const from = typeof body.from === 'string' && /^\+\d{6,15}$/.test(body.from) ? body.from : undefined;
    if (!from) {
      res.status(400).json({ error: 'validation', field: 'from', reason: 'must be a phone number in E.164 form, e.g. +821012345678' });
      return;
    }
    let script: CallerInput[];
    try {
      const says = Array.isArray(body.say) ? body.say.map(String) : typeof body.say === 'string' ? [body.say] : [];
      script = parseCallerScript(typeof body.keys === 'string' ? body.keys : '', says);
    } catch (err) {
      res.status(400).json({ error: 'validation', field: 'keys', reason: (err as Error).message });
      return;
    }
    res.status(200).type('application/x-ndjson');
    const write = (obj: unknown) => res.write(`${JSON.stringify(obj)}\n`);
    const result = await start(from, scriptedInputs(script), write);
    write({ kind: 'call', callSid: result.callSid });
    const consent = await waitForConsent(deps.pool, result.callSid, result.recordings.length ? 30_000 : 0);
    if (consent && 'failed' in consent) write({ kind: 'consentFailed', reason: consent.failed });
    else if (consent) write({ kind: 'consent', consent: consentJson(consent), mp3Path: consent.filePath });
    else write({ kind: 'noConsent' });
    res.end();
  });

  /** `{from}` places a call to the ARS; `{from, listen: true}` waits for the service to call that number. */
  router.post('/_sim/softphone', express.json(), (req, res) => {
    // Numbers as people write them: 010-9999-0000, 01099990000 or +821099990000.
    const typed = typeof req.body?.from === 'string' ? req.body.from.replace(/[\s().-]/g, '').replace(/^0(?=[1-9])/, '+82') : '';
    const from = /^\+\d{6,15}$/.test(typed) ? typed : DEMO_PAYERS[0]!.phone;
    const id = randomBytes(8).toString('hex');
    const phone = new Softphone();
    sessions.set(id, phone);
    if (req.body?.listen === true) {
      listening.set(from, { inputs: phone, onEvent: (e) => phone.events.push(e), done: (r) => (r ? void follow(phone, id, r) : undefined), softphone: phone });
      phone.events.push({ kind: 'note', text: `${from} 번호로 오는 전화를 기다립니다` });
    } else {
      void start(from, phone, (e) => phone.events.push(e), talkToAgent(deps.pool, phone)).then((r) => follow(phone, id, r));
    }
    res.status(201).json({ id });
  });

  /**
   * The "가입 화면": the organisation's website where the payer signs up. It makes the consent
   * request for the softphone's number and shows the code the ARS will ask for.
   */
  router.post('/_sim/softphone/:id/signup', express.json(), async (req, res) => {
    const phone = sessions.get(req.params.id);
    const number = [...listening].find(([, l]) => l.softphone === phone)?.[0];
    if (!phone || !number) {
      res.status(404).json({ error: 'not_found', reason: 'no softphone waiting for a call', message: '먼저 “전화 받기 대기”를 눌러 주세요.' });
      return;
    }
    const { payerNumber, bankCode, accountNumber } = (req.body ?? {}) as Record<string, unknown>;
    try {
      const made = await deps.requests.create({ actor: 'demo-website', organizationCode: undefined }, { payerNumber, phone: number, bankCode, accountNumber });
      res.status(201).json({ id: made.row.id, code: made.row.code });
    } catch (err) {
      if (!isRefusal(err)) throw err;
      sendRefusal(res, err.koreanMessage ? err : new Refusal(err.kind, err.reason, { ...(err.field ? { field: err.field } : {}), message: koreanValidationMessage(err.field, err.reason) }));
    }
  });

  router.post('/_sim/softphone/:id/input', express.json(), (req, res) => {
    const phone = sessions.get(req.params.id);
    if (!phone) {
      res.status(404).json({ error: 'not_found', reason: 'no such call' });
      return;
    }
    const { keys, say, hangup } = (req.body ?? {}) as { keys?: unknown; say?: unknown; hangup?: unknown };
    if (hangup === true) {
      // Hanging up while waiting for a call stops waiting.
      for (const [number, l] of listening) {
        if (l.softphone === phone) {
          listening.delete(number);
          phone.events.push({ kind: 'ended', how: 'caller-hangup' });
          phone.done = true;
        }
      }
      phone.give({ hangup: true });
    }
    else if (typeof keys === 'string' && /^[0-9*#]{1,40}$/.test(keys)) phone.give({ keys });
    else if (typeof say === 'string' && say.length > 0 && say.length < 50) phone.give({ say });
    else {
      res.status(400).json({ error: 'validation', reason: 'send {keys: "0-9*#"}, {say: "예"} or {hangup: true}' });
      return;
    }
    res.status(204).end();
  });

  router.get('/_sim/softphone/:id', (req, res) => {
    const phone = sessions.get(req.params.id);
    if (!phone) {
      res.status(404).json({ error: 'not_found', reason: 'no such call' });
      return;
    }
    const since = Number(req.query.since ?? 0) || 0;
    res.json({ events: phone.events.slice(since), next: phone.events.length, done: phone.done, audio: phone.consentId ? `/_sim/softphone/${req.params.id}/audio` : null });
  });

  router.get('/_sim/softphone/:id/audio', async (req, res) => {
    const phone = sessions.get(req.params.id);
    if (!phone?.consentId) {
      res.status(404).json({ error: 'not_found', reason: 'no consent for this call' });
      return;
    }
    const consent = await consentById(deps.pool, phone.consentId);
    if (!consent) {
      res.status(404).end();
      return;
    }
    res.sendFile(consent.filePath, { headers: { 'Content-Type': 'audio/mpeg' } });
  });

  router.get('/', (_req, res) => {
    res.type('html').send(readFileSync(new URL('./softphone.html', import.meta.url), 'utf8'));
  });
  return router;
}
