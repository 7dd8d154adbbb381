import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import twilio from 'twilio';
import { loadConfig } from '../../src/config.js';
import { startService, type RunningService } from '../../src/service.js';
import { createLogger } from '../../src/log.js';

export const TEST_ACCOUNT_SID = `AC${'a'.repeat(32)}`;
export const TEST_AUTH_TOKEN = 'test-auth-token-0123456789abcdef';
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';
export const PUBLIC_BASE_URL = 'https://ars.example.test';
export const TWILIO_API = 'https://api.twilio.com';

export { dropTestDatabases, freshDatabase } from './databases.js';
import { freshDatabase } from './databases.js';

export type TestApp = RunningService & { logs: string[] };

/** Starts the real service in-process against a real database. */
export async function startTestApp(env: Record<string, string> = {}, databaseUrl?: string): Promise<TestApp> {
  const logs: string[] = [];
  const config = loadConfig({
    PORT: '0',
    DATABASE_URL: databaseUrl ?? (await freshDatabase()),
    PUBLIC_BASE_URL,
    TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
    TWILIO_SMS_FROM: '+15005550006',
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    RECORDINGS_DIR: mkdtempSync(path.join(os.tmpdir(), 'ars-rec-')),
    DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'ars-data-')),
    SCENARIOS_DIR: path.resolve('scenarios'),
    LOG_LEVEL: 'debug',
    ...env,
  });
  // Capture what the service logs, so tests can check that no personal data reaches it.
  const logger = createLogger('debug', { write: (line: string) => void logs.push(line) });
  const service = await startService(config, { logger });
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
