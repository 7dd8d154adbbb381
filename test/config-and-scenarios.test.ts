import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, serviceStartProblem } from '../src/config.js';
import { loadScenarios, ScenarioError } from '../src/scenario/loader.js';
import { defaultScenarioJson, scenariosDir } from './support/scenarios.js';

const run = promisify(execFile);

describe('configuration', () => {
  it('defaults: port 3000, ./recordings, Twilio API base, demo mode without credentials', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.recordingsDir).toBe(path.resolve('recordings'));
    expect(c.demo).toBe(true);
    expect(c.twilio.apiBaseUrl).toBe('http://127.0.0.1:3000/_sim/twilio');
    expect(c.publicBaseUrl).toBe('http://localhost:3000');
    const real = loadConfig({ TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'x'.repeat(32), ADMIN_TOKEN: 'y'.repeat(32), SECRETS_KEY: 'ab'.repeat(32), PUBLIC_BASE_URL: 'https://ars.example/' });
    expect(real.demo).toBe(false);
    expect(real.twilio.apiBaseUrl).toBe('https://api.twilio.com');
    expect(real.publicBaseUrl).toBe('https://ars.example');
    expect(real).toMatchObject({ sessionIdleMinutes: 30, trustProxy: false, nonConsentRetentionDays: 90, outbound: { callbackAllowPrivate: false } });
    // Demo mode is never implied against a database it was given: the service does not start.
    expect(serviceStartProblem(loadConfig({ DATABASE_URL: 'postgres://db.example/ars' }))).toMatch(/^configuration: DATABASE_URL is set without Twilio credentials/);
    expect(serviceStartProblem(loadConfig({ DATABASE_URL: 'postgres://db.example/ars', DEMO: 'true' }))).toBeUndefined();
    expect(serviceStartProblem(loadConfig({}))).toBeUndefined();
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
  });

  it('a bad or missing value is one line naming the variable', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ PORT: 'eighty' }, /^configuration: PORT /],
      [{ PUBLIC_BASE_URL: 'not a url' }, /^configuration: PUBLIC_BASE_URL /],
      [{ DATABASE_URL: 'mysql://x' }, /^configuration: DATABASE_URL /],
      [{ TWILIO_ACCOUNT_SID: 'XY123' }, /^configuration: TWILIO_ACCOUNT_SID /],
      [{ TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}` }, /^configuration: TWILIO_AUTH_TOKEN is required/],
      [{ TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'x'.repeat(32), ADMIN_TOKEN: 'y'.repeat(32) }, /^configuration: PUBLIC_BASE_URL is required/],
      // Issue 14: a short ADMIN_TOKEN with real credentials stops the start (it only warned).
      [{ TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'x'.repeat(32), PUBLIC_BASE_URL: 'https://a.example', ADMIN_TOKEN: 'y'.repeat(31), SECRETS_KEY: 'ab'.repeat(32) }, /^configuration: ADMIN_TOKEN must be at least 32 characters/],
      [{ TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'x'.repeat(32), PUBLIC_BASE_URL: 'https://a.example', ADMIN_TOKEN: 'y'.repeat(32) }, /^configuration: SECRETS_KEY is required/],
      [{ SECRETS_KEY: 'too-short' }, /^configuration: SECRETS_KEY must be 32 bytes/],
      [{ TRUST_PROXY: 'everyone' }, /^configuration: TRUST_PROXY /],
      [{ SESSION_IDLE_MINUTES: '721' }, /^configuration: SESSION_IDLE_MINUTES /],
      [{ TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'x'.repeat(32), PUBLIC_BASE_URL: 'https://a.example' }, /^configuration: ADMIN_TOKEN is required/],
      [{ TWILIO_API_BASE_URL: 'ftp://x' }, /^configuration: TWILIO_API_BASE_URL /],
      [{ QUIET_HOURS: '25:00-08:00' }, /^configuration: QUIET_HOURS must be HH:MM-HH:MM/],
      [{ QUIET_HOURS: 'nights' }, /^configuration: QUIET_HOURS /],
      [{ CALLBACK_SECRET: 'short' }, /^configuration: CALLBACK_SECRET must be at least 16 characters/],
      [{ OUTBOUND_CALLER_ID: '01012345678' }, /^configuration: OUTBOUND_CALLER_ID /],
      [{ CONSENT_REQUESTS_PER_MINUTE: '0' }, /^configuration: CONSENT_REQUESTS_PER_MINUTE /],
    ];
    for (const [env, message] of cases) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      try {
        loadConfig(env);
      } catch (err) {
        expect((err as Error).message).toMatch(message);
        expect((err as Error).message).not.toContain('\n');
      }
    }
  });

  it('npm start with a bad value stops with that one line', async () => {
    let stderr = '';
    let code = 0;
    try {
      await run('npx', ['tsx', 'src/main.ts'], { env: { ...process.env, PORT: 'x' } });
    } catch (err: any) {
      ({ stderr, code } = err);
    }
    expect(code).toBe(1);
    expect(stderr.trim().split('\n').filter((l) => !l.includes('npm warn'))).toEqual(['configuration: PORT Invalid input: expected number, received NaN']);
  });
});

describe('scenario files', () => {
  it('the default scenario is valid and states every R1 item', () => {
    const set = loadScenarios(path.resolve('scenarios'));
    const s = set.forCalledNumber('+820000');
    expect(s.id).toBe('default');
    expect(s.prompts.readback).toMatch(/\{holderId\}.*\{holderName\}.*\{organization\}.*\{bankName\}.*\{accountNumber\}/);
    // The blocks for outbound requests and the agent's script are there with their defaults.
    expect(s.outbound).toMatchObject({ confirmation: 'code', callerId: '+8215880000' });
    expect(s.outbound.prompts.consented).toContain('{key}');
    expect(s.agent.script).toMatch(/\{holderId\}.*\{holderName\}.*\{organization\}.*\{bankName\}.*\{accountNumber\}/);
  });

  const broken: [string, (s: any) => void, RegExp][] = [
    ['a readback missing the account number (R1)', (s) => (s.prompts.readback = '{holderId} {holderName} {organization} {bankName} 자동납부'), /default\.json: prompts\.readback: must state \{accountNumber\}/],
    ['a readback without what is consented to', (s) => (s.prompts.readback = '{holderId} {holderName} {organization} {bankName} {accountNumber}'), /prompts\.readback: must say what is consented to/],
    ['an unknown placeholder', (s) => (s.prompts.menu = '{organisation} 입니다'), /prompts\.menu: unknown placeholder \{organisation\}/],
    ['a key announcement without the key (R2)', (s) => (s.prompts.consentedKey = '감사합니다'), /prompts\.consentedKey: must announce the pressed key/],
    ['a CMS code not starting with 99', (s) => (s.organization.codes.cms = '1234567890'), /organization\.codes\.cms: a CMS organisation code is 10 digits starting with 99/],
    ['the account password without a verifier', (s) => (s.identity.method = 'accountPassword'), /identity\.method: accountPassword needs a password verifier/],
    ['an unknown voice', (s) => (s.voice.voice = 'Polly.Joanna'), /voice\.voice/],
    ['a missing prompt', (s) => delete s.prompts.goodbye, /prompts\.goodbye/],
    ['an unknown field', (s) => (s.colour = 'blue'), /\(root\): Unrecognized key/],
    ['an outbound announcement without what was keyed in (R2)', (s) => (s.outbound = { prompts: { consented: '감사합니다' } }), /outbound\.prompts\.consented: must announce what the payer keyed in/],
    ['an outbound confirmation other than code or key', (s) => (s.outbound = { confirmation: 'voice' }), /outbound\.confirmation/],
    ['an agent script missing the account number (R1)', (s) => (s.agent = { script: '{holderId} {holderName} {organization} {bankName} 출금이체에 동의하십니까?' }), /agent\.script: must state \{accountNumber\}/],
    ['an agent script with an unknown placeholder', (s) => (s.agent = { script: '{holderId} {holderName} {organization} {bankName} {accountNumber} {code} 출금이체' }), /agent\.script: unknown placeholder \{code\}/],
  ];
  for (const [what, change, message] of broken) {
    it(`refuses ${what}, naming file, path and reason`, () => {
      const dir = scenariosDir(change);
      expect(() => loadScenarios(dir)).toThrow(ScenarioError);
      expect(() => loadScenarios(dir)).toThrow(message);
    });
  }

  it('refuses a file that is not JSON, two defaults, and a number answered twice', () => {
    const dir = scenariosDir();
    writeFileSync(path.join(dir, 'zz.json'), '{ "id": ');
    expect(() => loadScenarios(dir)).toThrow(/scenario zz\.json: not valid JSON/);
    const other = { ...defaultScenarioJson(), id: 'other' };
    expect(() => loadScenarios(scenariosDir(() => {}, [other]))).toThrow(/exactly one must have "default": true/);
    const a = scenariosDir((s) => (s.numbers = ['+8215881111']), [{ ...other, default: false, numbers: ['+8215881111'] }]);
    expect(() => loadScenarios(a)).toThrow(/number \+8215881111 is also answered by default/);
  });

  it('picks the scenario by the called number', () => {
    const other = { ...defaultScenarioJson(), id: 'water', default: false, numbers: ['+8215882222'] };
    const set = loadScenarios(scenariosDir(() => {}, [other]));
    expect(set.forCalledNumber('+8215882222').id).toBe('water');
    expect(set.forCalledNumber('+8215889999').id).toBe('default');
    expect(set.forCalledNumber(undefined).id).toBe('default');
  });

  it('npm start with a broken scenario stops with one line naming file, path and reason', async () => {
    const dir = scenariosDir((s) => (s.maxAttempts = 0));
    let stderr = '';
    try {
      await run('npx', ['tsx', 'src/main.ts'], { env: { ...process.env, SCENARIOS_DIR: dir, PORT: '0' } });
    } catch (err: any) {
      stderr = err.stderr;
    }
    expect(stderr.split('\n').filter((l) => l.trim() && !l.includes('npm warn'))).toEqual([
      'scenario default.json: maxAttempts: Too small: expected number to be >=1',
    ]);
  });
});
