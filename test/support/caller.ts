import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { RunningService } from '../../src/service.js';
import { parseTwiml, type Verb } from '../../src/simulator/twimlParser.js';
import { PUBLIC_BASE_URL, postSigned } from './app.js';

export function newCallSid(): string {
  return `CA${randomBytes(16).toString('hex')}`;
}

/** A caller driving the service through signed webhooks, reading the TwiML it gets back. */
export class TestCall {
  readonly callSid: string;
  verbs: Verb[] = [];
  transcript: string[] = [];

  constructor(
    readonly app: RunningService,
    readonly from = '+821012345678',
    readonly to = '+8215880000',
    callSid?: string,
  ) {
    this.callSid = callSid ?? newCallSid();
  }

  private base(): Record<string, string> {
    return { CallSid: this.callSid, AccountSid: `AC${'a'.repeat(32)}`, From: this.from, To: this.to, CallStatus: 'in-progress', Direction: 'inbound' };
  }

  private async post(pathAndQuery: string, params: Record<string, string>): Promise<Verb[]> {
    const res = await postSigned(this.app, pathAndQuery, params);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/xml/);
    this.verbs = parseTwiml(await res.text());
    this.transcript.push(...this.spoken());
    return this.verbs;
  }

  /** Every sentence of the last response, Gather's included, in order. */
  spoken(verbs = this.verbs): string[] {
    return verbs.flatMap((v) => (v.name === 'Say' ? [v.text] : v.name === 'Gather' ? this.spoken(v.children) : []));
  }

  text(): string {
    return this.spoken().join(' ');
  }

  gather(): Verb | undefined {
    return this.verbs.find((v) => v.name === 'Gather');
  }

  gatherPath(): string {
    const g = this.gather();
    if (!g) throw new Error(`no Gather in the last response: ${JSON.stringify(this.verbs)}`);
    return g.attrs.action!.slice(PUBLIC_BASE_URL.length);
  }

  has(name: string): boolean {
    return this.verbs.some((v) => v.name === name || v.children.some((c) => c.name === name));
  }

  /** The guideline's script up to the readback: menu 2, the birthdate, bank code + account. */
  async toReadback(birthDate = '19940424', account = '08175023332200333'): Promise<Verb[]> {
    await this.start();
    await this.press('2');
    await this.press(birthDate);
    return this.press(account);
  }

  async start(extra: Record<string, string> = {}): Promise<Verb[]> {
    return this.post('/twilio/voice', { ...this.base(), ...extra });
  }

  async press(digits: string): Promise<Verb[]> {
    return this.post(this.gatherPath(), { ...this.base(), Digits: digits });
  }

  async speak(speech: string, confidence = '0.92'): Promise<Verb[]> {
    return this.post(this.gatherPath(), { ...this.base(), SpeechResult: speech, Confidence: confidence });
  }

  /** The Gather timed out: Twilio posts with no Digits (actionOnEmptyResult). */
  async silence(): Promise<Verb[]> {
    return this.post(this.gatherPath(), { ...this.base() });
  }

  async hangup(): Promise<void> {
    const res = await postSigned(this.app, '/twilio/status', { ...this.base(), CallStatus: 'completed', CallDuration: '42' });
    expect(res.status).toBeLessThan(300);
  }
}
