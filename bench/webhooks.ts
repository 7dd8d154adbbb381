import { runBench, scratchDatabase } from './scratch.js';
/**
 * npm run bench:webhooks [-- --callers 50 --calls 3500 --rounds 7 --paced-calls 200 --think 500 --database both|embedded|real]
 *
 * Whole consent calls (menu, identity, holder, account, readback, consent, hang-up) from N
 * concurrent callers against the service run as in production (the build, `node dist/main.js`, as
 * a ROLE=web process and a ROLE=worker process), signed as Twilio signs; in the same run, the same calls against a bare
 * express route answering each webhook with the TwiML the service answered it with (so the load
 * generator's own work is the same on both sides), taking turns with the service round by round
 * (a shared machine's speed drifts). Prints p50/p99 latency and throughput for
 * each, their ratio by round and its median, and the CPU per request of each side, for the
 * embedded database and (when reachable) the machine's PostgreSQL.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createScratchDatabase } from './store.js';
import { cpuPerRequest, fmtCpu, sampleCpu, type CpuSample } from './cpu.js';
import twilio from 'twilio';

const { values: args } = parseArgs({
  // Other benchmarks import the helpers below with options of their own.
  strict: import.meta.url === `file://${process.argv[1]}`,
  options: {
    callers: { type: 'string', default: '50' },
    calls: { type: 'string', default: '3500' },
    rounds: { type: 'string', default: '7' },
    'paced-calls': { type: 'string', default: '200' },
    think: { type: 'string', default: '500' },
    database: { type: 'string', default: 'both' },
  },
});
const CALLERS = Number(args.callers);
const CALLS = Number(args.calls);
/** Saturated phase: the service and the bare route take turns, this many rounds each. */
const ROUNDS = Math.max(1, Number(args.rounds));
const PACED_CALLS = Number(args['paced-calls']);
/** A caller's pause between webhooks in the paced phase: a real one listens to prompts for seconds. */
const THINK_MS = Number(args.think);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const AUTH_TOKEN = 'bench-auth-token-0123456789abcdef';
export const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdefghijklmn';
/** What production mode needs besides Twilio's: the secrets key and the time marks' key (one for the web and the worker). */
export const PRODUCTION_KEYS = {
  SECRETS_KEY: randomBytes(32).toString('base64'),
  SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
};
export const PUBLIC = 'https://bench.example.test';
export const SID = `AC${'b'.repeat(32)}`;

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function waitFor(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode})`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

/** A TypeScript script of the benchmark's own (the bare route), run through tsx. */
export function startProcess(script: string, env: Record<string, string>): ChildProcess {
  return spawnNode(['--import', 'tsx', script], env);
}

let built = false;
/**
 * The service as production runs it (the image's `node dist/main.js`): built once per benchmark run
 * (`npm run build`), then started with node, no tsx.
 */
export function startService(env: Record<string, string>): ChildProcess {
  if (!built) {
    execFileSync('npm', ['run', '--silent', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
    built = true;
  }
  return spawnNode(['dist/main.js'], env);
}

function spawnNode(args: string[], env: Record<string, string>): ChildProcess {
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
  return spawn(process.execPath, [...profile, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
}

export type Stats = { p50: number; p99: number; max: number; perSecond: number; requests: number };

export function summarise(latencies: number[], seconds: number): Stats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1]!, perSecond: latencies.length / seconds, requests: latencies.length };
}

/** What a call's webhooks were answered with, by path and query ('' for no content). */
export type Answers = Map<string, string>;

export async function signedPost(base: string, pathAndQuery: string, params: Record<string, string>, latencies: number[], answers?: Answers): Promise<string> {
  const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, PUBLIC + pathAndQuery, params);
  const t0 = performance.now();
  const res = await fetch(base + pathAndQuery, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature },
    body: new URLSearchParams(params).toString(),
  });
  const text = await res.text();
  latencies.push(performance.now() - t0);
  if (res.status >= 300) throw new Error(`HTTP ${res.status} on ${pathAndQuery}`);
  answers?.set(pathAndQuery, text);
  return text;
}

export function nextAction(twiml: string): string {
  const m = /<Gather[^>]*action="([^"]+)"/.exec(twiml);
  if (!m) throw new Error(`no Gather in ${twiml.slice(0, 200)}`);
  return m[1]!.replace(/&amp;/g, '&').slice(PUBLIC.length);
}

/** One whole consent call; `answers` (when given) records what each webhook was answered with. */
export async function wholeCall(base: string, n: number, latencies: number[], think = 0, callSid = `CA${randomBytes(16).toString('hex')}`, answers?: Answers): Promise<void> {
  const p = { CallSid: callSid, AccountSid: SID, From: `+8210${String(10_000_000 + (n % 1000)).slice(0, 8)}`, To: '+8215880000' };
  if (think) await sleep(think * 2 * Math.random()); // calls arrive spread out, not all at one instant
  let twiml = await signedPost(base, '/twilio/voice', p, latencies, answers);
  for (const digits of ['2', '19900101', '08175023332200333', '1']) {
    if (think) await sleep(think * (0.5 + Math.random()));
    twiml = await signedPost(base, nextAction(twiml), { ...p, Digits: digits }, latencies, answers);
  }
  if (!twiml.includes('1번을 선택하셨습니다')) throw new Error('call did not end in consent');
  await signedPost(base, '/twilio/status', { ...p, CallStatus: 'completed' }, latencies, answers);
}

export async function runPool(total: number, concurrency: number, job: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await job(next++);
    }),
  );
  return (performance.now() - t0) / 1000;
}

export async function seedPayers(base: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const phone = `+8210${String(10_000_000 + i).slice(0, 8)}`;
    const res = await fetch(`${base}/api/payers`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ payerNumber: `B${i}`, name: '홍길동', birthDate: '19900101', phone }),
    });
    if (res.status >= 300) throw new Error(`seeding failed: ${res.status}`);
  }
}

type BenchResult = {
  service: Stats;
  bare: Stats;
  paced: Stats;
  barePaced: Stats;
  /** Bytes of TwiML a call is answered with, all its webhooks together. */
  size: number;
  serviceCpu: CpuSample;
  bareCpu: CpuSample;
  /** Saturated throughput of the service over the bare route's, round by round. */
  ratios: number[];
};

function addCpu(a: CpuSample, b: CpuSample, weightA: number, weightB: number): CpuSample {
  const w = weightA + weightB;
  return {
    service: (a.service * weightA + b.service * weightB) / w,
    postgres: (a.postgres * weightA + b.postgres * weightB) / w,
    client: (a.client * weightA + b.client * weightB) / w,
    idle: (a.idle * weightA + b.idle * weightB) / w,
    total: (a.total * weightA + b.total * weightB) / w,
  };
}

async function benchService(label: string, databaseEnv: Record<string, string>): Promise<BenchResult> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const serviceEnv = {
    PUBLIC_BASE_URL: PUBLIC,
    TWILIO_ACCOUNT_SID: SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    ADMIN_TOKEN,
    ...PRODUCTION_KEYS,
    LOG_LEVEL: 'warn',
    RECORDINGS_DIR: mkdtempSync(path.join(os.tmpdir(), 'bench-rec-')),
    ...databaseEnv,
  };
  // As in production: the webhooks in a web process, the jobs in a worker process beside it.
  const child = startService({ ...serviceEnv, PORT: String(port), ROLE: 'web' });
  let worker: ChildProcess | undefined;
  let bare: ChildProcess | undefined;
  try {
    await waitFor(`${base}/healthz`, child);
    const workerPort = await freePort();
    worker = startService({ ...serviceEnv, PORT: String(workerPort), ROLE: 'worker' });
    await waitFor(`http://127.0.0.1:${workerPort}/healthz`, worker);
    await seedPayers(base);
    const answers: Answers = new Map();
    await wholeCall(base, 0, [], 0, undefined, answers);
    // Warm-up, unmeasured, as many calls as a round at full load on each side: the first rounds
    // ran up to a third slower on both (the JIT, each pooled connection's prepared statements).
    const callsPerRound = Math.ceil(CALLS / ROUNDS);
    await runPool(callsPerRound, CALLERS, (i) => wholeCall(base, 200_000 + i, []));
    const size = [...answers.values()].reduce((sum, twiml) => sum + Buffer.byteLength(twiml), 0);

    // The bare route beside it, idle while the service is measured and the other way round, so
    // that both are measured on the machine as it is at that moment.
    const barePort = await freePort();
    bare = startProcess('bench/bareRoute.ts', { PORT: String(barePort), TWIML_BY_PATH: JSON.stringify(Object.fromEntries(answers)) });
    const bareBase = `http://127.0.0.1:${barePort}`;
    await waitFor(`${bareBase}/healthz`, bare);
    await runPool(callsPerRound, CALLERS, (i) => wholeCall(bareBase, 200_000 + i, []));

    const pacedLatencies: number[] = [];
    const pacedSeconds = await runPool(PACED_CALLS, CALLERS, (i) => wholeCall(base, 100_000 + i, pacedLatencies, THINK_MS));
    const barePacedLatencies: number[] = [];
    const barePacedSeconds = await runPool(PACED_CALLS, CALLERS, (i) => wholeCall(bareBase, 100_000 + i, barePacedLatencies, THINK_MS));

    const latencies: number[] = [];
    const bareLatencies: number[] = [];
    let seconds = 0;
    let bareSeconds = 0;
    let serviceCpu: CpuSample = { service: 0, postgres: 0, client: 0, idle: 0, total: 0 };
    let bareCpu: CpuSample = { service: 0, postgres: 0, client: 0, idle: 0, total: 0 };
    const ratios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const before = latencies.length;
      const cpuBefore = sampleCpu([child.pid, worker.pid]);
      const roundSeconds = await runPool(callsPerRound, CALLERS, (i) => wholeCall(base, round * callsPerRound + i, latencies));
      const requests = latencies.length - before;
      serviceCpu = addCpu(serviceCpu, cpuPerRequest(cpuBefore, sampleCpu([child.pid, worker.pid]), requests), before, requests);

      const bareBefore = bareLatencies.length;
      const bareCpuBefore = sampleCpu([bare.pid]);
      const bareRoundSeconds = await runPool(callsPerRound, CALLERS, (i) => wholeCall(bareBase, round * callsPerRound + i, bareLatencies));
      bareCpu = addCpu(bareCpu, cpuPerRequest(bareCpuBefore, sampleCpu([bare.pid]), requests), bareBefore, requests);

      ratios.push(bareRoundSeconds / roundSeconds);
      seconds += roundSeconds;
      bareSeconds += bareRoundSeconds;
    }
    return {
      service: summarise(latencies, seconds),
      bare: summarise(bareLatencies, bareSeconds),
      paced: summarise(pacedLatencies, pacedSeconds),
      barePaced: summarise(barePacedLatencies, barePacedSeconds),
      size,
      serviceCpu,
      bareCpu,
      ratios,
    };
  } finally {
    for (const p of [worker, child, bare]) {
      if (p && p.exitCode === null) {
        p.kill('SIGTERM');
        await new Promise((r) => p.once('exit', r));
      }
    }
    console.error(`[${label}] done`);
  }
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function fmt(s: Stats): string {
  return `p50 ${s.p50.toFixed(2)} ms  p99 ${s.p99.toFixed(2)} ms  max ${s.max.toFixed(1)} ms  ${s.perSecond.toFixed(0)} req/s  (${s.requests} requests)`;
}

export async function machinePostgres(): Promise<string | undefined> {
  const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `bench_${randomBytes(4).toString('hex')}`;
  const created = await createScratchDatabase(url, name);
  if (created) scratchDatabase(url, name);
  return created;
}

async function main(): Promise<void> {
  console.log(`bench:webhooks: ${CALLERS} concurrent callers, ${CALLS} whole calls (6 webhooks each), on ${os.cpus().length} cores`);
  const targets: [string, Record<string, string>][] = [];
  if (args.database !== 'real') {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-data-'));
    (await import('node:fs')).chmodSync(dataDir, 0o755);
    targets.push(['embedded PostgreSQL', { DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()) }]);
  }
  if (args.database !== 'embedded') {
    const url = await machinePostgres();
    if (url) targets.push(['real PostgreSQL (127.0.0.1:5432)', { DATABASE_URL: url }]);
    else console.log('real PostgreSQL: not reachable, skipped');
  }
  for (const [label, env] of targets) {
    const r = await benchService(label, env);
    console.log(`\n${label}`);
    console.log(`  paced: ${CALLERS} callers in calls at once, each pausing ~${THINK_MS} ms between webhooks`);
    console.log(`    service webhooks : ${fmt(r.paced)}`);
    console.log(`    bare TwiML route : ${fmt(r.barePaced)}`);
    console.log(`  saturated: ${CALLERS} callers sending the next webhook as soon as the last is answered, ${ROUNDS} rounds taking turns with the bare route`);
    console.log(`    service webhooks : ${fmt(r.service)}`);
    console.log(`    bare TwiML route : ${fmt(r.bare)}  (the service's answers, ${r.size} bytes of TwiML a call)`);
    const ratio = median(r.ratios);
    console.log(`    throughput ratio service/bare by round: ${r.ratios.map((x) => x.toFixed(2)).join(', ')}; median ${ratio.toFixed(2)}`);
    console.log(`    service (web + worker) ${fmtCpu(r.serviceCpu)}`);
    console.log(`    bare route             ${fmtCpu(r.bareCpu)}`);
    console.log(`  target p99 < 20 ms at ${CALLERS} callers (paced): ${r.paced.p99 < 20 ? 'met' : 'NOT met'} (${r.paced.p99.toFixed(1)} ms)`);
    console.log(`  target throughput >= half of bare (saturated, median of rounds): ${ratio >= 0.5 ? 'met' : 'NOT met'} (${ratio.toFixed(2)}; stretch 0.7)`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) runBench(main);
