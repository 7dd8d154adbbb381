import type { Action } from '../scenario/engine.js';
import type { Scenario } from '../scenario/schema.js';
import { SPEECH_HINTS } from '../shared/spokenAnswers.js';

/**
 * TwiML written as a string, in the exact form twilio's VoiceResponse prints (test/twiml.test.ts
 * holds the two side by side for every verb and attribute used here). The builder made a document
 * object per answer, a tenth of a webhook's time; these few verbs need only escaping.
 */

type Attributes = Record<string, string | number | boolean | readonly string[] | undefined>;

/** Characters XML 1.0 does not allow at all (the builder refused them; here they are dropped). */
const ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Anything escapeText or escapeAttribute would change (most prompts hold none of it). */
const NEEDS_ESCAPING = /[&<>"\u0000-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

function escapeText(text: string): string {
  if (!NEEDS_ESCAPING.test(text)) return text;
  return text.replace(ILLEGAL, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;');
}

function escapeAttribute(value: string): string {
  if (!NEEDS_ESCAPING.test(value)) return value;
  return value
    .replace(ILLEGAL, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#x9;')
    .replace(/\n/g, '&#xA;')
    .replace(/\r/g, '&#xD;');
}

function element(name: string, attributes: Attributes, content?: string): string {
  let out = `<${name}`;
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(' ') : String(value);
    out += ` ${key}="${escapeAttribute(text)}"`;
  }
  return content === undefined || content === '' ? `${out}/>` : `${out}>${content}</${name}>`;
}

const DOCUMENT_START = '<?xml version="1.0" encoding="UTF-8"?><Response>';

function response(verbs: string): string {
  return verbs === '' ? `${DOCUMENT_START.slice(0, -1)}/>` : `${DOCUMENT_START}${verbs}</Response>`;
}

type Voice = { voice?: string; language: string };

function sayVoice(scenario: Scenario): Voice {
  return { voice: scenario.voice.voice, language: scenario.voice.language };
}

function say(voice: Voice, text: string): string {
  return element('Say', voice, escapeText(text));
}

export type TwimlUrls = {
  /** Where a Gather posts its result; carries the turn so a replay can be recognised. */
  gatherAction: (turn: number) => string;
  recordingCallback: (attempt: number) => string;
};

function verb(action: Action, scenario: Scenario, voice: Voice, urls: TwimlUrls, turn: number): string {
  switch (action.kind) {
    case 'say':
      return say(voice, action.text);
    case 'pause':
      return element('Pause', { length: action.seconds });
    case 'startRecording':
      return element(
        'Start',
        {},
        element('Recording', {
          channels: 'dual',
          track: 'both',
          trim: 'do-not-trim',
          recordingStatusCallback: urls.recordingCallback(action.attempt),
          recordingStatusCallbackEvent: ['in-progress', 'completed', 'absent'],
          recordingStatusCallbackMethod: 'POST',
        }),
      );
    case 'gather':
      return element(
        'Gather',
        {
          input: action.mode === 'dtmf' ? ['dtmf'] : action.mode === 'speech' ? ['speech'] : ['dtmf', 'speech'],
          action: urls.gatherAction(turn),
          method: 'POST',
          timeout: action.timeout,
          actionOnEmptyResult: true,
          numDigits: action.numDigits || undefined,
          finishOnKey: action.finishOnKey || undefined,
          ...(action.mode !== 'dtmf' ? { language: scenario.voice.language, speechTimeout: 'auto', hints: SPEECH_HINTS.join(',') } : {}),
        },
        action.say.map((text) => say(voice, text)).join(''),
      );
    case 'dial':
      return element('Dial', { answerOnBridge: true }, escapeText(action.number));
    case 'hangup':
      return element('Hangup', {});
  }
}

/** Renders the engine's actions as TwiML. Knows nothing of SQL or the call's state. */
export function renderTwiml(actions: Action[], scenario: Scenario, urls: TwimlUrls, turn: number): string {
  const voice = sayVoice(scenario);
  let verbs = '';
  for (const action of actions) verbs += verb(action, scenario, voice, urls, turn);
  return response(verbs);
}

/** A short answer for requests that cannot be tied to a call: an apology, never an error code. */
export function apologyTwiml(scenario: Scenario | undefined, text: string): string {
  return response(say(scenario ? sayVoice(scenario) : { language: 'ko-KR' }, text) + element('Hangup', {}));
}
