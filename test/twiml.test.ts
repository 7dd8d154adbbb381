import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import type { Action } from '../src/scenario/engine.js';
import { parseScenario } from '../src/scenario/loader.js';
import type { Scenario } from '../src/scenario/schema.js';
import { SPEECH_HINTS } from '../src/shared/spokenAnswers.js';
import { apologyTwiml, renderTwiml, type TwimlUrls } from '../src/telephony/twiml.js';
import { defaultScenarioJson } from './support/scenarios.js';

/**
 * The service writes TwiML as strings (a builder per answer cost a tenth of a webhook). twilio's own
 * VoiceResponse is the reference: for every verb and attribute the service uses, with text that
 * needs escaping, both print the same document.
 */

const { VoiceResponse } = twilio.twiml;

function withTwiliosBuilder(actions: Action[], scenario: Scenario, urls: TwimlUrls, turn: number): string {
  const response = new VoiceResponse();
  const voice = { voice: scenario.voice.voice, language: scenario.voice.language } as Parameters<InstanceType<typeof VoiceResponse>['say']>[0];
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
          ...(action.mode !== 'dtmf' ? { language: scenario.voice.language, speechTimeout: 'auto', hints: SPEECH_HINTS.join(',') } : {}),
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

const scenario = parseScenario('default.json', JSON.stringify(defaultScenarioJson()));
const urls: TwimlUrls = {
  gatherAction: (turn) => `https://ars.example.kr/twilio/voice/gather?turn=${turn}&x="<'>`,
  recordingCallback: (attempt) => `https://ars.example.kr/twilio/recording?attempt=${attempt}&b=2`,
};
const awkward = '홍길동 님 & <고객> "따옴표" \'작은\' 탭\t줄\n바꿈\r끝 > 😀';

const cases: [string, Action[]][] = [
  ['nothing', []],
  ['a prompt with characters to escape', [{ kind: 'say', text: awkward }]],
  ['a pause and a hang-up', [{ kind: 'pause', seconds: 2 }, { kind: 'hangup' }]],
  ['the recording started', [{ kind: 'startRecording', attempt: 2 }]],
  ['a keypad question with a digit count', [{ kind: 'gather', mode: 'dtmf', numDigits: 8, timeout: 7, say: ['생년월일 여덟 자리를 눌러 주십시오.', awkward] }]],
  ['a keypad question ended by #', [{ kind: 'gather', mode: 'dtmf', finishOnKey: '#', timeout: 10, say: ['계좌번호를 누르신 뒤 우물정자를 눌러 주십시오.'] }]],
  ['a spoken or keyed answer', [{ kind: 'gather', mode: 'dtmf speech', numDigits: 1, timeout: 5, say: ['동의하시면 1번, 또는 "예"라고 말씀해 주십시오.'] }]],
  ['a spoken answer only', [{ kind: 'gather', mode: 'speech', timeout: 5, say: [] }]],
  ['a transfer to an agent', [{ kind: 'say', text: '상담원을 연결합니다.' }, { kind: 'dial', number: '+8215881234' }]],
  [
    'a whole readback turn',
    [
      { kind: 'say', text: '1번을 선택하셨습니다.' },
      { kind: 'startRecording', attempt: 1 },
      { kind: 'pause', seconds: 1 },
      { kind: 'say', text: '하나은행 0 8 1 7 5 0 2 3 3 3 2 2 0 0 3 3 3 계좌에서 출금하는 것에 동의하십니까?' },
      { kind: 'gather', mode: 'dtmf speech', numDigits: 1, timeout: 6, say: ['동의하시면 1번을 눌러 주십시오.'] },
    ],
  ],
];

describe('TwiML', () => {
  it.each(cases)('%s: the same document as twilio’s VoiceResponse', (_name, actions) => {
    expect(renderTwiml(actions, scenario, urls, 3)).toBe(withTwiliosBuilder(actions, scenario, urls, 3));
  });

  it('the apology, with and without a scenario, as twilio writes it', () => {
    const reference = (voice: Record<string, string>) => {
      const r = new VoiceResponse();
      r.say(voice as never, '죄송합니다. <잠시> 후 & 다시');
      r.hangup();
      return r.toString();
    };
    expect(apologyTwiml(scenario, '죄송합니다. <잠시> 후 & 다시')).toBe(reference({ voice: scenario.voice.voice, language: scenario.voice.language }));
    expect(apologyTwiml(undefined, '죄송합니다. <잠시> 후 & 다시')).toBe(reference({ language: 'ko-KR' }));
  });

  it('characters XML cannot carry are dropped, not sent to Twilio as a broken document', () => {
    const twiml = renderTwiml([{ kind: 'say', text: '이름\u0000\u0007 끝\uD800' }], scenario, urls, 0);
    expect(twiml).toContain('>이름 끝</Say>');
    expect(twiml).not.toMatch(/[\u0000-\u0008\uD800-\uDFFF]/);
  });
});
