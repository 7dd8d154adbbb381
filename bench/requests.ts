import { runBench, scratchDatabase } from './scratch.js';
/**
 * npm run bench:requests [-- --requests 40 --concurrency 10]
 *
 * Outbound consent requests end to end, in one process: the service (machine's PostgreSQL when it
 * answers, else embedded), the simulator's Twilio placing the calls and a payer answering each with
 * the code, and the organisation's callback endpoint. For each request: the API's answer, the call
 * placed at Twilio, the payer's consent, the consent record, the signed callback received. In the
 * same run, GET /healthz on the same server for comparison with the API's latency.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startService } from '../src/service.js';
import { answerOutboundCalls, scriptedInputs, startStandInServer } from '../src/simulator/index.js';
import { summarise } from './webhooks.js';
import { createScratchDatabase, requestOutcomes } from './store.js';

const { values: args } = parseArgs({ options: { requests: { type: 'string', default: '40' }, concurrency: { type: 'string', default: '10' } } });
const REQUESTS = Number(args.requests);
const CONCURRENCY = Number(args.concurrency);
const SID = `AC${'c'.repeat(32)}`;
const AUTH = 'bench-auth-token-0123456789abcdef';
const ADMIN = 'bench-admin-token-0123456789abcdefghijklmn';
const PUBLIC = 'https://bench.example.test';

async function database(): Promise<string | undefined> {
  const admin = 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `bench_requests_${Date.now()}`;
  const url = await createScratchDatabase(admin, name);
  if (url) scratchDatabase(admin, name);
  return url;
}

async function main() {
  const sim = await startStandInServer(SID, AUTH);
  const databaseUrl = await database();
  const tmp = (p: string) => mkdtempSync(path.join(os.tmpdir(), p));
  const config = loadConfig({
    PORT: '0', PUBLIC_BASE_URL: PUBLIC, TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: AUTH, ADMIN_TOKEN: ADMIN, TWILIO_API_BASE_URL: sim.url,
    TWILIO_SMS_FROM: '+15005550006', QUIET_HOURS: 'off', CONSENT_REQUESTS_PER_MINUTE: String(REQUESTS * 2), CALLBACK_SECRET: 'bench-callback-secret-0123456789',
    SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    SECRETS_KEY: randomBytes(32).toString('base64'), CALLBACK_ALLOW_PRIVATE: 'true',
    RECORDINGS_DIR: tmp('bench-rec-'), DATA_DIR: tmp('bench-data-'), JOB_POLL_SECONDS: '0.5', LOG_LEVEL: 'silent', DELETE_TWILIO_RECORDINGS: 'false',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  });
  const service = await startService(config, { logger: createLogger('silent') });
  const t0 = new Map<string, number>();
  const marks = new Map<string, Record<string, number>>();
  const mark = (id: string, what: string) => {
    const m = marks.get(id) ?? {};
    m[what] ??= performance.now() - t0.get(id)!;
    marks.set(id, m);
  };
  const codes = new Map<string, { id: string; code: string }>();
  const callbacks = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const id = (JSON.parse(body) as { id: string }).id;
      mark(id, 'callback');
      res.end('ok');
    });
  });
  await new Promise<void>((r) => callbacks.listen(0, '127.0.0.1', () => r()));
  const callbackUrl = `http://127.0.0.1:${(callbacks.address() as AddressInfo).port}/cb`;
  answerOutboundCalls({
    serviceUrl: service.url, publicBaseUrl: PUBLIC, authToken: AUTH, standIn: sim.standIn,
    pickUp: async (call) => {
      for (let i = 0; i < 100 && !codes.has(call.to); i++) await new Promise((r) => setTimeout(r, 20));
      const r = codes.get(call.to)!;
      mark(r.id, 'placed');
      return { answer: 'answer', inputs: scriptedInputs([{ keys: r.code }]) };
    },
  });
  const api = (method: string, p: string, body?: unknown) =>
    fetch(service.url + p, { method, headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  await api('POST', '/api/payers', { payerNumber: 'B1', name: '홍길동', birthDate: '19940424', phone: '+821012345678' });

  const postLatencies: number[] = [];
  const healthLatencies: number[] = [];
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < REQUESTS; i = next++) {
      const phone = `+8210${String(20000000 + i)}`;
      const s = performance.now();
      const res = await api('POST', '/api/consent-requests', { payerNumber: 'B1', phone, bankCode: '081', accountNumber: '75023332200333', callbackUrl });
      postLatencies.push(performance.now() - s);
      const { id, code } = (await res.json()) as { id: string; code: string };
      t0.set(id, s);
      codes.set(phone, { id, code });
      const h = performance.now();
      await fetch(`${service.url}/healthz`);
      healthLatencies.push(performance.now() - h);
      for (let w = 0; w < 600 && !marks.get(id)?.callback; w++) {
        await new Promise((r) => setTimeout(r, 50));
        if (!marks.get(id)?.record) {
          const st = (await (await api('GET', `/api/consent-requests/${id}`)).json()) as { status: string; consentId: string | null };
          if (st.status === 'consented') mark(id, 'consented');
          if (st.consentId) mark(id, 'record');
        }
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  const all = [...marks.values()];
  const stat = (what: string) => summarise(all.map((m) => m[what]).filter((v): v is number => v !== undefined), seconds);
  const fmt = (s: ReturnType<typeof summarise>) => (s.requests ? `p50 ${s.p50.toFixed(0)} ms, p99 ${s.p99.toFixed(0)} ms (${s.requests} of ${REQUESTS})` : `none of ${REQUESTS}`);
  console.log(`${REQUESTS} consent requests, ${CONCURRENCY} at a time, ${databaseUrl ? "the machine's PostgreSQL" : 'embedded PostgreSQL'}, encoder ${service.encoder}; ${seconds.toFixed(1)} s in all`);
  console.log(`POST /api/consent-requests: ${fmt(summarise(postLatencies, seconds))}   vs GET /healthz on the same server: ${fmt(summarise(healthLatencies, seconds))}`);
  console.log(`request -> call placed at Twilio:      ${fmt(stat('placed'))}`);
  console.log(`request -> payer's consent:            ${fmt(stat('consented'))}  (the call itself: greeting, readback, question, the code)`);
  console.log(`request -> consent record:             ${fmt(stat('record'))}`);
  console.log(`request -> signed callback received:   ${fmt(stat('callback'))}`);
  const outcome = await requestOutcomes(service.db.pool);
  console.log(`outcomes: ${outcome.map((r) => `${r.status} ${r.n}`).join(', ')}`);
  callbacks.close();
  await service.close();
  await sim.close();
}

runBench(main);
