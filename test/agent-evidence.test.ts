import { describe, expect, it } from 'vitest';
import { checkAgentEvidence, estimatedSpeechSeconds, type AgentEvent } from '../src/consents/evidence.js';

/** The method-4 evidence check on its own: frames are 20 ms, '.' silence and 's' speech. */

const script = '지금부터 출금동의 내용을 녹음합니다. 홍길동 고객님, 한빛에너지의 요금을 하나은행 계좌에서 자동납부 출금이체하는 데 동의하십니까?';
const frames = (...parts: [string, number][]) => parts.map(([c, seconds]) => c.repeat(Math.round(seconds * 50))).join('');
const t0 = new Date('2026-11-27T01:00:00Z');
const at = (s: number) => new Date(t0.getTime() + s * 1000);
const events = (result = 'consented', extra: AgentEvent[] = []): AgentEvent[] => [
  { at: at(0), kind: 'start', detail: {} },
  ...extra,
  { at: at(30), kind: 'finish', detail: { result } },
];
const scriptSeconds = estimatedSpeechSeconds(script);

function check(agent: string, payer: string, ev = events()) {
  return checkAgentEvidence(ev, { script, durationSeconds: agent.length / 50, declaredSeconds: undefined, truncated: false, agentFrames: agent, payerFrames: payer });
}

describe('evidence of an agent-recorded consent', () => {
  it('passes with the script read (with the agent pausing for breath) and the payer answering after it', () => {
    const agent = frames(['s', scriptSeconds * 0.5], ['.', 1.2], ['s', scriptSeconds * 0.5], ['.', 3]);
    const payer = frames(['.', scriptSeconds + 1.2], ['s', 0.8], ['.', 2.2]);
    const e = check(agent, payer);
    expect(e.checks.filter((c) => !c.ok)).toEqual([]);
    expect(e.passed).toBe(true);
  });

  it('fails when the payer spoke only while the script was being read', () => {
    const agent = frames(['s', scriptSeconds], ['.', 3]);
    const payer = frames(['.', 1], ['s', 1], ['.', scriptSeconds + 1]);
    const e = check(agent, payer);
    expect(e.passed).toBe(false);
    expect(e.checks.find((c) => c.name === 'payerSaidYes')).toMatchObject({ ok: false });
    // A "네" while the agent paused for breath halfway is not the answer either.
    const paused = frames(['s', scriptSeconds * 0.5], ['.', 1.2], ['s', scriptSeconds * 0.5], ['.', 3]);
    const backchannel = frames(['.', scriptSeconds * 0.5 + 0.2], ['s', 0.6], ['.', scriptSeconds * 0.5 + 3.4]);
    expect(check(paused, backchannel).checks.find((c) => c.name === 'payerSaidYes')).toMatchObject({ ok: false });
  });

  it('fails when the script was not read in full', () => {
    const agent = frames(['s', scriptSeconds * 0.3], ['.', 3]);
    const payer = frames(['.', scriptSeconds * 0.3 + 1], ['s', 1], ['.', 2]);
    expect(check(agent, payer).checks.find((c) => c.name === 'scriptRead')).toMatchObject({ ok: false });
  });

  it('fails when the agent did not mark the answer as consent, or the log has an unmatched pause', () => {
    const agent = frames(['s', scriptSeconds], ['.', 3]);
    const payer = frames(['.', scriptSeconds + 0.5], ['s', 1], ['.', 1.5]);
    expect(check(agent, payer, events('declined')).checks.find((c) => c.name === 'markedPart')).toMatchObject({ ok: false });
    const pausedTwice = events('consented', [{ at: at(5), kind: 'pause', detail: {} }, { at: at(8), kind: 'pause', detail: {} }]);
    expect(check(agent, payer, pausedTwice).checks.find((c) => c.name === 'markedPart')).toMatchObject({ ok: false });
    const pausedAndResumed = events('consented', [{ at: at(5), kind: 'pause', detail: {} }, { at: at(8), kind: 'resume', detail: {} }]);
    expect(check(agent, payer, pausedAndResumed).passed).toBe(true);
  });
});
