import twilio from 'twilio';
import type { Action } from '../scenario/engine.js';
import type { Scenario } from '../scenario/schema.js';
import { SPEECH_HINTS } from '../shared/spokenAnswers.js';

const { VoiceResponse } = twilio.twiml;
type SayAttributes = Parameters<InstanceType<typeof VoiceResponse>['say']>[0];

function sayAttributes(scenario: Scenario): SayAttributes {
  return { voice: scenario.voice.voice as SayAttributes['voice'], language: scenario.voice.language };
}

export type TwimlUrls = {
  /** Where a Gather posts its result; carries the turn so a replay can be recognised. */
  gatherAction: (turn: number) => string;
  recordingCallback: (attempt: number) => string;
};

/** Renders the engine's actions as TwiML. Knows nothing of SQL or the call's state. */
export function renderTwiml(actions: Action[], scenario: Scenario, urls: TwimlUrls, turn: number): string {
  const response = new VoiceResponse();
  const voice = sayAttributes(scenario);
  for (const action of actions) {
    switch (action.kind) {
      case 'say':
        response.say(voice, action.text);
        break;
      case 'pause':
        response.pause({ length: action.seconds });
        break;
      case 'startRecording':
        response.start().recording({
          channels: 'dual',
          track: 'both',
          trim: 'do-not-trim',
          recordingStatusCallback: urls.recordingCallback(action.attempt),
          recordingStatusCallbackEvent: ['in-progress', 'completed', 'absent'],
          recordingStatusCallbackMethod: 'POST',
        });
        break;
      case 'gather': {
        const gather = response.gather({
          input: action.mode === 'dtmf' ? ['dtmf'] : action.mode === 'speech' ? ['speech'] : ['dtmf', 'speech'],
          action: urls.gatherAction(turn),
          method: 'POST',
          timeout: action.timeout,
          actionOnEmptyResult: true,
          ...(action.numDigits ? { numDigits: action.numDigits } : {}),
          ...(action.finishOnKey ? { finishOnKey: action.finishOnKey } : {}),
          ...(action.mode !== 'dtmf'
            ? { language: scenario.voice.language, speechTimeout: 'auto', hints: SPEECH_HINTS.join(',') }
            : {}),
        });
        for (const text of action.say) gather.say(voice, text);
        break;
      }
      case 'dial':
        response.dial({ answerOnBridge: true }, action.number);
        break;
      case 'hangup':
        response.hangup();
        break;
    }
  }
  return response.toString();
}

/** A short answer for requests that cannot be tied to a call: an apology, never an error code. */
export function apologyTwiml(scenario: Scenario | undefined, text: string): string {
  const response = new VoiceResponse();
  if (scenario) response.say(sayAttributes(scenario), text);
  else response.say({ language: 'ko-KR' }, text);
  response.hangup();
  return response.toString();
}
