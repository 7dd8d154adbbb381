import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import twilio from 'twilio';
import { loadConfig } from '../../src/config.js';
import { startService, type RunningService } from '../../src/service.js';
import { createLogger } from '../../src/log.js';
import type { ResolveHost } from '../../src/requests/callbackTarget.js';

export const TEST_ACCOUNT_SID = `AC${'a'.repeat(32)}`;
export const TEST_AUTH_TOKEN = 'test-auth-token-0123456789abcdef';
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdefghijkl';
/** SECRETS_KEY of the test service (32 bytes, hex). */
export const TEST_SECRETS_KEY = 'ab'.repeat(32);
export const PUBLIC_BASE_URL = 'https://ars.example.test';
export const TWILIO_API = 'https://api.twilio.com';
/** The time marks' key of test apps (production mode needs SIGNING_KEY): one per test process. */
export const TEST_SIGNING_KEY = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

export { dropTestDatabases, freshDatabase } from './databases.js';
import { freshDatabase } from './databases.js';

export type TestApp = RunningService & { logs: string[] };

/** Starts the real service in-process against a real database. */
export async function startTestApp(env: Record<string, string> = {}, databaseUrl?: string, options: { resolveHost?: ResolveHost } = {}): Promise<TestApp> {
  const logs: string[] = [];
  const config = loadConfig({
    PORT: '0',
    DATABASE_URL: databaseUrl ?? (await freshDatabase()),
    PUBLIC_BASE_URL,
    TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
    TWILIO_SMS_FROM: '+15005550006',
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    SIGNING_KEY: TEST_SIGNING_KEY,
    SECRETS_KEY: TEST_SECRETS_KEY,
    RECORDINGS_DIR: mkdtempSync(path.join(os.tmpdir(), 'ars-rec-')),
    DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'ars-data-')),
    SCENARIOS_DIR: path.resolve('scenarios'),
    LOG_LEVEL: 'debug',
    ...env,
  });
  // Capture what the service logs, so tests can check that no personal data reaches it.
  const logger = createLogger('debug', { write: (line: string) => void logs.push(line) });
  const service = await startService(config, { logger, ...options });
  return Object.assign(service, { logs });
}

/** Posts a form to a Twilio webhook, signed as Twilio signs it. */
export async function postSigned(app: RunningService, pathAndQuery: string, params: Record<string, string>, authToken = TEST_AUTH_TOKEN) {
  const signature = twilio.getExpectedTwilioSignature(authToken, PUBLIC_BASE_URL + pathAndQuery, params);
  return fetch(app.url + pathAndQuery, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature },
    body: new URLSearchParams(params).toString(),
  });
}

export async function api(app: RunningService, method: string, pathname: string, body?: unknown, token = TEST_ADMIN_TOKEN) {
  const res = await fetch(app.url + pathname, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}
