import { randomInt } from 'node:crypto';
import { execFile, execFileSync } from 'node:child_process';
import twilio from 'twilio';
import { estimatedSpeechSeconds } from '../consents/evidence.js';
import { encodeWav, parseWav, resampleTo8k } from '../audio/wav.js';
import { dtmfSequence, RATE, silence, speechLike, TwoTrackTape } from './signals.js';
import type { StandIn } from './standIn.js';
import { parseTwiml, type Verb } from './twimlParser.js';

/**
 * Plays Twilio's part in one call: posts the service's webhooks signed as Twilio signs them, reads
 * the TwiML back verb by verb, lets the caller answer each Gather, writes the two-channel 8 kHz
 * recording of what happened after <Start><Recording>, and posts the status and recording callbacks.
 */

export type CallerInput = { keys: string } | { say: string } | { hangup: true };

/** Where the caller's next answer comes from: a script (CLI, tests) or a person (the softphone). */
export type CallerInputs = { next(gather: { input: string; numDigits?: number; finishOnKey: string; timeout: number }): Promise<CallerInput | undefined> };

export type CallEvent =
  | { kind: 'ars'; text: string }
  | { kind: 'caller'; keys?: string; say?: string }
  | { kind: 'recording'; action: 'started' | 'stopped'; sid: string }
  | { kind: 'note'; text: string }
  | { kind: 'ended'; how: 'hangup' | 'dial' | 'caller-hangup' | 'error'; detail?: string };

/** Where the service listens and how Twilio signs: what every simulated request needs. */
export type ServiceTarget = {
  /** Where the service listens (requests go here). */
  serviceUrl: string;
  /** The URL the service believes Twilio reaches; signatures are computed over it. */
  publicBaseUrl: string;
  authToken: string;
};

/**
 * The call after <Dial>: the payer and the agent talk. What they say reaches the recording only
 * while one runs and is not paused (the REST API starts, pauses, resumes and stops it).
 */
export type Conversation = {
  callSid: string;
  agentSays(text: string): Promise<void>;
  payerSays(text: string): Promise<void>;
  payerPresses(keys: string): Promise<void>;
  recording(): 'none' | 'recording' | 'paused';
};

export type RunCallOptions = ServiceTarget & {
  standIn: StandIn;
  from: string;
  to: string;
  inputs: CallerInputs;
  onEvent?: (e: CallEvent) => void;
  maxTurns?: number;
  /** An outbound call: the CallSid Twilio gave it, the URL its TwiML comes from, and where its status goes. */
  outbound?: { callSid: string; url: string; statusCallback: string | undefined };
  /** After <Dial>: the conversation with the agent; the payer hangs up when it returns. Without it the call ends at the Dial. */
  onDial?: (conversation: Conversation) => Promise<void>;
};

export type CallResult = { callSid: string; events: CallEvent[]; recordings: { sid: string; seconds: number; attempt: string | null }[] };

export class UnsupportedTwimlError extends Error {}

let espeakChecked: boolean | undefined;
function espeakAvailable(): boolean {
  if (espeakChecked === undefined) {
    try {
      execFileSync('espeak-ng', ['--version'], { stdio: 'ignore' });
      espeakChecked = true;
    } catch {
      espeakChecked = false;
    }
  }
  return espeakChecked;
}

/** Korean speech from espeak-ng when it is installed, else a speech-like signal as long as the prompt would take. */
export async function arsSpeech(text: string, seed: number, voice: { speed: number; pitch: number } = { speed: 170, pitch: 50 }): Promise<Int16Array> {
  if (espeakAvailable()) {
    try {
      const wav = await new Promise<Buffer>((resolve, reject) =>
        execFile('espeak-ng', ['-v', 'ko', '-s', String(voice.speed), '-p', String(voice.pitch), '--stdout', text], { encoding: 'buffer', maxBuffer: 64 << 20 }, (err, out) => (err ? reject(err) : resolve(out))),
      );
      const pcm = parseWav(wav);
      return resampleTo8k(pcm.channels[0]!, pcm.sampleRate);
    } catch {
      /* fall back to the synthetic signal */
    }
  }
  return speechLike(Math.max(0.5, estimatedSpeechSeconds(text) / 0.8), seed);
}

/** Posts a form to the service, signed as Twilio signs it; only URLs under its public base. */
export async function postSigned(target: ServiceTarget, url: string, params: Record<string, string>): Promise<Response> {
  if (!url.startsWith(target.publicBaseUrl)) throw new UnsupportedTwimlError(`the service asked for ${url}, outside ${target.publicBaseUrl}`);
  const signature = twilio.getExpectedTwilioSignature(target.authToken, url, params);
  return fetch(target.serviceUrl + url.slice(target.publicBaseUrl.length), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature },
    body: new URLSearchParams(params).toString(),
  });
}

export async function runCall(opts: RunCallOptions): Promise<CallResult> {
  const { standIn } = opts;
  const callSid = opts.outbound?.callSid ?? standIn.newSid('CA');
  const events: CallEvent[] = [];
  const emit = (e: CallEvent) => {
    events.push(e);
    opts.onEvent?.(e);
  };
  const recordings: CallResult['recordings'] = [];
  const pendingCallbacks: { url: string; params: Record<string, string> }[] = [];
  let current: { sid: string; tape: TwoTrackTape; callbackUrl: string | undefined; attempt: string | null; paused: boolean; source: string } | undefined;
  // Each call's simulated voices differ (seed, speed, pitch), so no two recordings are identical.
  let seed = randomInt(1, 2 ** 30);
  const voice = { speed: randomInt(160, 181), pitch: randomInt(40, 61) };
  let afterDial = false;
  const base = { AccountSid: standIn.accountSid, CallSid: callSid, From: opts.from, To: opts.to, Direction: opts.outbound ? 'outbound-api' : 'inbound', ApiVersion: '2010-04-01' };
  const newRecording = (callbackUrl: string | undefined, source: string) => {
    const sid = standIn.newSid('RE');
    current = { sid, tape: new TwoTrackTape(), callbackUrl, attempt: callbackUrl ? new URL(callbackUrl).searchParams.get('attempt') : null, paused: false, source };
    emit({ kind: 'recording', action: 'started', sid });
    return sid;
  };
  /** Audio reaches the recording only while it runs (paused audio is skipped, as pauseBehavior=skip). */
  const record = (track: 'payer' | 'ars', audio: Int16Array) => {
    if (current && !current.paused) current.tape.add(track, audio);
  };

  const finishRecording = () => {
    if (!current) return;
    const rec = current;
    current = undefined;
    const seconds = rec.tape.seconds;
    const { payer, ars } = rec.tape.tracks();
    standIn.recordings.set(rec.sid, { sid: rec.sid, callSid, wav: encodeWav(RATE, [payer, ars]), seconds, deleted: false, status: 'completed' });
    recordings.push({ sid: rec.sid, seconds, attempt: rec.attempt });
    emit({ kind: 'recording', action: 'stopped', sid: rec.sid });
    if (rec.callbackUrl) {
      pendingCallbacks.push({
        url: rec.callbackUrl,
        params: {
          AccountSid: standIn.accountSid, CallSid: callSid, RecordingSid: rec.sid, RecordingStatus: 'completed',
          RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${standIn.accountSid}/Recordings/${rec.sid}`,
          RecordingDuration: String(Math.round(seconds)), RecordingChannels: '2', RecordingStartTime: new Date().toUTCString(),
          RecordingSource: rec.source, RecordingTrack: 'both',
        },
      });
      // After the Dial no more TwiML is fetched: Twilio posts the callback as the recording ends.
      if (afterDial) void flushCallbacks().catch(() => {});
    }
  };
  standIn.liveCalls.set(callSid, {
    stopRecording: finishRecording,
    startRecording: (callbackUrl) => (current ? new Error('The call is already being recorded') : newRecording(callbackUrl, 'StartCallRecordingAPI')),
    updateRecording: (sid, status) => {
      if (!current || (sid !== 'Twilio.CURRENT' && sid !== current.sid)) return false;
      if (status === 'stopped') finishRecording();
      else current.paused = status === 'paused';
      emit({ kind: 'note', text: status === 'paused' ? '녹음 일시정지' : status === 'in-progress' ? '녹음 재개' : status === 'stopped' ? '녹음 중지' : `녹음 상태: ${status}` });
      return true;
    },
  });

  const post = (url: string, params: Record<string, string>) => postSigned(opts, url, params);
  const flushCallbacks = async () => {
    while (pendingCallbacks.length) {
      const cb = pendingCallbacks.shift()!;
      await post(cb.url, cb.params);
    }
  };
  const fetchTwiml = async (url: string, params: Record<string, string>): Promise<Verb[]> => {
    const res = await post(url, params);
    const text = await res.text();
    await flushCallbacks();
    if (res.status !== 200) throw new UnsupportedTwimlError(`the service answered ${res.status} to ${url}`);
    return parseTwiml(text);
  };
  const say = async (text: string) => {
    emit({ kind: 'ars', text });
    if (current && !current.paused) record('ars', await arsSpeech(text, seed++, voice));
  };
  const conversation: Conversation = {
    callSid,
    agentSays: async (text) => {
      emit({ kind: 'note', text: `상담원: ${text}` });
      if (current && !current.paused) record('ars', await arsSpeech(text, seed++, voice));
    },
    payerSays: async (text) => {
      emit({ kind: 'caller', say: text });
      record('payer', speechLike(Math.max(0.5, [...text].length * 0.25), seed++, 0.3));
    },
    payerPresses: async (keys) => {
      emit({ kind: 'caller', keys });
      record('payer', dtmfSequence(keys));
    },
    recording: () => (current ? (current.paused ? 'paused' : 'recording') : 'none'),
  };

  let pendingKeys = '';
  let ended: CallEvent | undefined;
  let verbs: Verb[] = [];
  try {
    verbs = await fetchTwiml(opts.outbound?.url ?? `${opts.publicBaseUrl}/twilio/voice`, { ...base, CallStatus: opts.outbound ? 'in-progress' : 'ringing' });
    for (let turn = 0; !ended && turn < (opts.maxTurns ?? 200); turn++) {
      let next: { url: string; params: Record<string, string> } | undefined;
      for (const verb of verbs) {
        if (ended || next) break;
        switch (verb.name) {
          case 'Say':
            await say(verb.text);
            break;
          case 'Pause':
            record('ars', silence(Number(verb.attrs.length ?? 1)));
            break;
          case 'Start': {
            const rec = verb.children.find((c) => c.name === 'Recording');
            if (!rec || verb.children.length !== 1) throw new UnsupportedTwimlError(`<Start> with ${verb.children.map((c) => c.name).join(', ')}: only <Recording> is supported`);
            if (rec.attrs.channels !== 'dual') throw new UnsupportedTwimlError('only dual-channel recordings are simulated');
            finishRecording();
            newRecording(rec.attrs.recordingStatusCallback, 'StartCallRecording');
            break;
          }
          case 'Gather': {
            const input = verb.attrs.input ?? 'dtmf';
            for (const child of verb.children) {
              if (child.name !== 'Say' && child.name !== 'Pause') throw new UnsupportedTwimlError(`<Gather> containing <${child.name}>`);
              if (child.name === 'Say') await say(child.text);
            }
            const numDigits = verb.attrs.numDigits ? Number(verb.attrs.numDigits) : undefined;
            const finishOnKey = verb.attrs.finishOnKey ?? '#';
            const timeout = Number(verb.attrs.timeout ?? 5);
            let digits = '';
            let speech: string | undefined;
            // The caller's keys are a stream: a Gather takes keys until numDigits or finishOnKey,
            // asking the caller for more while it has neither; silence ends it as a timeout.
            gathering: for (;;) {
              while (pendingKeys) {
                const k = pendingKeys[0]!;
                pendingKeys = pendingKeys.slice(1);
                if (k === finishOnKey) break gathering;
                digits += k;
                if (numDigits && digits.length >= numDigits) break gathering;
              }
              const answer = await opts.inputs.next({ input, ...(numDigits ? { numDigits } : {}), finishOnKey, timeout });
              if (!answer || 'hangup' in answer) {
                ended = { kind: 'ended', how: 'caller-hangup' };
                break;
              }
              if ('say' in answer) {
                if (!input.includes('speech') || digits) {
                  emit({ kind: 'note', text: `“${answer.say}”라고 말했지만 이 질문은 번호 입력만 받습니다` });
                  break; // heard as silence: the Gather times out
                }
                speech = answer.say;
                emit({ kind: 'caller', say: answer.say });
                record('payer', speechLike(Math.max(0.5, [...answer.say].length * 0.25), seed++, 0.3));
                break;
              }
              const keys = answer.keys.replace(/\s+/g, '');
              if (keys === '') break; // silence: the Gather times out
              emit({ kind: 'caller', keys });
              record('payer', dtmfSequence(keys));
              pendingKeys += keys;
            }
            if (ended) break;
            const params: Record<string, string> = { ...base, CallStatus: 'in-progress' };
            if (speech !== undefined) Object.assign(params, { SpeechResult: speech, Confidence: '0.91' });
            else if (digits || verb.attrs.actionOnEmptyResult === 'true') params.Digits = digits;
            else if (!digits) break; // no input and no actionOnEmptyResult: Twilio goes on to the next verb
            next = { url: verb.attrs.action ?? `${opts.publicBaseUrl}/twilio/voice`, params };
            break;
          }
          case 'Redirect':
            next = { url: verb.text, params: { ...base, CallStatus: 'in-progress' } };
            break;
          case 'Dial':
            emit({ kind: 'note', text: '상담원에게 연결되었습니다' });
            if (opts.onDial) {
              afterDial = true;
              await opts.onDial(conversation);
            }
            ended = { kind: 'ended', how: 'dial', detail: verb.text };
            break;
          case 'Hangup':
            ended = { kind: 'ended', how: 'hangup' };
            break;
          default:
            throw new UnsupportedTwimlError(`<${verb.name}> is not supported by the simulator`);
        }
      }
      if (ended) break;
      if (!next) {
        ended = { kind: 'ended', how: 'hangup', detail: 'no more TwiML' };
        break;
      }
      verbs = await fetchTwiml(next.url, next.params);
    }
  } catch (err) {
    ended = { kind: 'ended', how: 'error', detail: (err as Error).message };
  } finally {
    standIn.liveCalls.delete(callSid);
  }
  afterDial = false;
  finishRecording();
  const statusUrl = opts.outbound ? opts.outbound.statusCallback : `${opts.publicBaseUrl}/twilio/status`;
  if (statusUrl) await post(statusUrl, { ...base, CallStatus: 'completed', CallDuration: '60' }).catch(() => {});
  await flushCallbacks().catch(() => {});
  emit(ended ?? { kind: 'ended', how: 'hangup' });
  return { callSid, events, recordings };
}
