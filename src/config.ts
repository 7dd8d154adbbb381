import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { KeyObject } from 'node:crypto';
import { parsePrivateKey, parsePublicKeys, SigningKeyError } from './marks/keys.js';

/** Every setting of the service, parsed once; nothing else reads process.env. */

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_BASE_URL: z
    .url({ protocol: /^https?$/ })
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1024).max(65535).default(54329),
  RECORDINGS_DIR: z.string().min(1).default('./recordings'),
  SCENARIOS_DIR: z.string().min(1).default('./scenarios'),
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9A-Za-z]{1,64}$/, 'must be an account SID: AC followed by letters and digits').optional(),
  TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
  TWILIO_API_BASE_URL: z
    .url({ protocol: /^https?$/ })
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  /** The sender of SMS (a Twilio number or messaging service SID). */
  TWILIO_SMS_FROM: z.string().min(3).optional(),
  ADMIN_TOKEN: z.string().min(1).optional(),
  /** Which channel of a dual-channel recording carries the caller (DESIGN.md §4: unconfirmed, so a setting). */
  RECORDING_PAYER_CHANNEL: z.coerce.number().int().min(1).max(2).default(1),
  DELETE_TWILIO_RECORDINGS: booleanFlag.default(true),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** R7: years a consent is kept after its auto-debit ends or a newer consent supersedes it. */
  RETENTION_YEARS: z.coerce.number().int().min(1).max(50).default(5),
  /** Public verification requests a client may make a minute. */
  VERIFY_RATE_LIMIT: z.coerce.number().int().min(1).max(10_000).default(30),
  /** Connections to PostgreSQL from one process. */
  DB_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(20),
  /** Parallel jobs of the recording pipeline in one process; by default one core is left for the webhooks. */
  PIPELINE_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(Math.max(1, availableParallelism() - 1)),
  /** Run the job workers (recording pipeline, SMS, deletions) in this process; false for a web-only process. */
  PIPELINE_WORKERS: booleanFlag.default(true),
  /** web: HTTP only (webhooks, API, pages); worker: the job workers, with /healthz only; all: both. */
  ROLE: z.enum(['web', 'worker', 'all']).default('all'),
  /** A ROLE=worker process lowers its CPU priority by this much (0-19): on a host it shares with web processes, callers come first. */
  WORKER_NICE: z.coerce.number().int().min(0).max(19).default(10),
  /** Serve /metrics on this separate port (0: any free port); unset: /metrics on the main port behind METRICS_TOKEN. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Bearer token for /metrics on the main port; without it and without METRICS_PORT, /metrics is off. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Seconds a stopping process waits for requests in flight (webhooks) before closing. */
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).max(120).default(10),
  /** auto: ffmpeg when its binary runs here, else LAME in a worker thread. */
  AUDIO_ENCODER: z.enum(['auto', 'ffmpeg', 'lame']).default('auto'),
  /** After a consent, how long to wait for the recording callback before asking Twilio. */
  RECORDING_RECONCILE_SECONDS: z.coerce.number().int().min(1).max(86400).default(600),
  /** A job running longer than this is taken to have died with its process, and runs again. */
  JOB_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(300),
  JOB_RETRY_LIMIT: z.coerce.number().int().min(0).max(50).default(10),
  JOB_RETRY_DELAY_SECONDS: z.coerce.number().int().min(1).max(3600).default(5),
  JOB_POLL_SECONDS: z.coerce.number().min(0.5).max(60).default(2),
  /** How often expired jobs (their process died) are looked for. */
  JOB_SUPERVISE_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  /** A running job whose worker stopped beating this long ago (its process died) runs again (pg-boss heartbeat, at least 10). */
  JOB_HEARTBEAT_SECONDS: z.coerce.number().int().min(10).max(3600).default(20),
  /** Bounded waits on every database pool: to connect (or wait for a free connection), and per statement. */
  DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3000),
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(15_000),
  /** A Twilio webhook not answered by then gets the apology (voice) or a 503 (callbacks). */
  WEBHOOK_DEADLINE_MS: z.coerce.number().int().min(100).max(14_000).default(4000),
  /** Parallel recording downloads in one process (I/O; apart from the encoding slots). */
  MEDIA_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** A consent with no consent record this long after it was given is re-driven by the sweep. */
  SWEEP_GRACE_SECONDS: z.coerce.number().int().min(1).max(86400).default(120),
  /** A call no webhook touched for this long is ended by the sweep (its status callback was lost). */
  SILENT_CALL_SECONDS: z.coerce.number().int().min(60).max(7 * 86400).default(4 * 3600),
  /** GET /readyz: free space RECORDINGS_DIR needs to be ready. */
  READY_MIN_FREE_MB: z.coerce.number().int().min(0).default(200),
  MEDIA_MAX_BYTES: z.coerce.number().int().min(1024).default(64 * 1024 * 1024),
  MEDIA_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** Delays before each retry of a media download within one job, comma-separated ms. */
  MEDIA_RETRY_DELAYS_MS: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'must be comma-separated milliseconds, e.g. 1000,2000,4000')
    .transform((v) => v.split(',').map(Number))
    .default([1000, 2000, 4000, 8000]),
  /** Korea-time hours with no outbound calls, "HH:MM-HH:MM" (may wrap midnight), or "off". */
  QUIET_HOURS: z
    .string()
    .regex(/^(off|([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d)$/, 'must be HH:MM-HH:MM in Korea time (e.g. 21:00-08:00) or off')
    .optional(),
  /** Outbound consent requests an organisation may make a minute. */
  CONSENT_REQUESTS_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(60),
  /** The number outbound calls come from, when the scenario names none. */
  OUTBOUND_CALLER_ID: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be a phone number in E.164 form').optional(),
  /** Signs every organisation's completion callbacks; without it each organisation gets its own, made at first use. */
  CALLBACK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  CALLBACK_RETRY_LIMIT: z.coerce.number().int().min(0).max(50).default(12),
  CALLBACK_RETRY_DELAY_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
  CALLBACK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** The Ed25519 private key of the time marks (PEM or JWK); demo mode keeps one under DATA_DIR. */
  SIGNING_KEY: z.string().optional(),
  /** Retired public keys that stay in the JWKS: a JWKS, a JSON list of JWKs, or PEM public keys. */
  SIGNING_KEYS_RETIRED: z.string().optional(),
  /** Local development and tests only: callbacks may go to loopback, private and link-local addresses, over plain http. */
  CALLBACK_ALLOW_PRIVATE: booleanFlag.default(false),
  /** Encrypts the organisations' callback signing secrets at rest (32 bytes, base64 or hex); generated in demo mode. */
  SECRETS_KEY: z
    .string()
    .refine((v) => decodeKey(v) !== undefined, 'must be 32 bytes as base64 or 64 hex digits (e.g. openssl rand -base64 32)')
    .optional(),
  /** Demo mode without Twilio credentials against a DATABASE_URL: only when asked for. */
  DEMO: booleanFlag.optional(),
  /** A web session ends after this many minutes without a request (at most 12 h after sign-in in any case). */
  SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(720).default(30),
  /** Express "trust proxy": a number of hops, or comma-separated addresses/subnets of the proxies; unset: none trusted. */
  TRUST_PROXY: z
    .string()
    .regex(/^(\d{1,2}|[0-9a-fA-F:.\/]+(,\s*[0-9a-fA-F:.\/]+)*|loopback|linklocal|uniquelocal)$/, 'must be a number of hops or comma-separated proxy addresses')
    .optional(),
  /** Sign-in attempts (/login, POST /api/tokens) a client address may make a minute. */
  LOGIN_RATE_LIMIT: z.coerce.number().int().min(1).max(100_000).default(30),
  /** Sign-in attempts for one username a minute, from anywhere. */
  LOGIN_USERNAME_RATE_LIMIT: z.coerce.number().int().min(1).max(100_000).default(10),
  /** Days after which calls, events, consent requests and marked parts that never became a consent are purged. */
  NON_CONSENT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
});

/** A 32-byte key from base64 or hex, or undefined. */
export function decodeKey(value: string): Buffer | undefined {
  const v = value.trim();
  const buf = /^[0-9a-fA-F]{64}$/.test(v) ? Buffer.from(v, 'hex') : Buffer.from(v, 'base64');
  return buf.length === 32 ? buf : undefined;
}

export type Config = {
  /** Weak but usable settings, said once at start. */
  warnings: string[];
  port: number;
  publicBaseUrl: string;
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPgPort: number;
  recordingsDir: string;
  scenariosDir: string;
  /** Demo mode: no Twilio credentials configured, the built-in call simulator plays Twilio. */
  demo: boolean;
  /** DEMO=true: demo mode against DATABASE_URL was asked for. */
  demoRequested: boolean;
  /** Demo mode: the password of the demo agent (user "agent") for the agent console. */
  demoAgentPassword?: string | undefined;
  /** Demo mode: passwords of the demo's `admin` and `auditor` users (demo-secrets.json). */
  demoAdminPassword?: string | undefined;
  demoAuditorPassword?: string | undefined;
  twilio: {
    accountSid: string;
    authToken: string;
    apiBaseUrl: string;
    smsFrom: string | undefined;
  };
  adminToken: string;
  recordingPayerChannel: 1 | 2;
  deleteTwilioRecordings: boolean;
  logLevel: string;
  pipelineConcurrency: number;
  dbPoolSize: number;
  verifyPerMinute: number;
  retentionYears: number;
  audioEncoder: 'auto' | 'ffmpeg' | 'lame';
  pipelineWorkers: boolean;
  role: 'web' | 'worker' | 'all';
  workerNice: number;
  metrics: { port: number | undefined; token: string | undefined };
  shutdownGraceSeconds: number;
  reconcileAfterSeconds: number;
  jobs: { jobTimeoutSeconds: number; retryLimit: number; retryDelaySeconds: number; pollingSeconds: number; superviseSeconds: number; heartbeatSeconds: number };
  media: { maxBytes: number; timeoutMs: number; retryDelaysMs: number[] };
  mediaConcurrency: number;
  db: { connectTimeoutMs: number; statementTimeoutMs: number };
  webhookDeadlineMs: number;
  sweep: { graceSeconds: number; silentCallSeconds: number };
  readyMinFreeBytes: number;
  outbound: {
    /** Minutes after Korean midnight: [from, to); undefined when off. */
    quietHours: { from: number; to: number } | undefined;
    requestsPerMinute: number;
    callerId: string | undefined;
    callbackSecret: string | undefined;
    callbackRetryLimit: number;
    callbackRetryDelaySeconds: number;
    callbackTimeoutMs: number;
    /** Callbacks may reach private addresses and plain http (CALLBACK_ALLOW_PRIVATE=true). */
    callbackAllowPrivate: boolean;
  };
  /** Time marks: the private key (undefined in demo mode until the service makes or reads its own) and retired public keys. */
  signing: { privateKey: KeyObject | undefined; retired: KeyObject[] };
  /** Encrypts stored secrets (SECRETS_KEY; generated for a demo or a test). */
  secretsKey: Buffer;
  sessionIdleMinutes: number;
  loginRateLimit: { perAddressPerMinute: number; perUsernamePerMinute: number };
  trustProxy: string | number | false;
  nonConsentRetentionDays: number;
};

function parseQuietHours(value: string): { from: number; to: number } | undefined {
  if (value === 'off') return undefined;
  const [from, to] = value.split('-').map((hm) => Number(hm.slice(0, 2)) * 60 + Number(hm.slice(3, 5)));
  return from === to ? undefined : { from: from!, to: to! };
}

export class ConfigError extends Error {}

/**
 * Whether the service may start with this configuration: demo mode (no Twilio credentials) is
 * never implied against a database it was given. The command-line tools that only read or write
 * the database do not ask this.
 */
export function serviceStartProblem(config: Config): string | undefined {
  if (config.demo && config.databaseUrl && !config.demoRequested) {
    return 'configuration: DATABASE_URL is set without Twilio credentials: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or DEMO=true for a demo against that database';
  }
  return undefined;
}

/** Parses the environment; throws ConfigError with one line naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') cleaned[key] = value.trim();
  }
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`configuration: ${name} ${issue.message}`);
  }
  const e = parsed.data;
  const hasSid = e.TWILIO_ACCOUNT_SID !== undefined;
  const hasToken = e.TWILIO_AUTH_TOKEN !== undefined;
  if (hasSid !== hasToken) {
    throw new ConfigError(
      `configuration: ${hasSid ? 'TWILIO_AUTH_TOKEN' : 'TWILIO_ACCOUNT_SID'} is required when ${hasSid ? 'TWILIO_ACCOUNT_SID' : 'TWILIO_AUTH_TOKEN'} is set`,
    );
  }
  const demo = !hasSid;
  if (!demo && e.DEMO === true) {
    throw new ConfigError('configuration: DEMO=true cannot be used with Twilio credentials');
  }
  if (!demo && !e.PUBLIC_BASE_URL) {
    throw new ConfigError('configuration: PUBLIC_BASE_URL is required with Twilio credentials (the URL Twilio reaches)');
  }
  if (!demo && !e.ADMIN_TOKEN) {
    throw new ConfigError('configuration: ADMIN_TOKEN is required with Twilio credentials');
  }
  let signing: Config['signing'];
  try {
    signing = {
      privateKey: e.SIGNING_KEY ? parsePrivateKey(e.SIGNING_KEY) : undefined,
      retired: e.SIGNING_KEYS_RETIRED ? parsePublicKeys(e.SIGNING_KEYS_RETIRED) : [],
    };
  } catch (err) {
    if (err instanceof SigningKeyError) throw new ConfigError(`configuration: ${err.message}`);
    throw err;
  }
  if (!demo && e.ADMIN_TOKEN!.length < 32) {
    throw new ConfigError('configuration: ADMIN_TOKEN must be at least 32 characters with Twilio credentials (e.g. openssl rand -base64 32)');
  }
  if (!demo && !e.SECRETS_KEY) {
    throw new ConfigError('configuration: SECRETS_KEY is required with Twilio credentials (32 bytes: openssl rand -base64 32)');
  }
  const warnings: string[] = [];
  if (e.ADMIN_TOKEN !== undefined && e.ADMIN_TOKEN.length < 32) warnings.push('ADMIN_TOKEN is shorter than 32 characters: easy to guess');
  const trustProxy = e.TRUST_PROXY === undefined ? false : /^\d+$/.test(e.TRUST_PROXY) ? Number(e.TRUST_PROXY) : e.TRUST_PROXY;
  return {
    warnings,
    port: e.PORT,
    publicBaseUrl: e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`,
    databaseUrl: e.DATABASE_URL,
    dataDir: path.resolve(e.DATA_DIR),
    embeddedPgPort: e.EMBEDDED_PG_PORT,
    recordingsDir: path.resolve(e.RECORDINGS_DIR),
    scenariosDir: path.resolve(e.SCENARIOS_DIR),
    demo,
    demoRequested: e.DEMO === true,
    twilio: {
      // Demo mode: a local account for the simulator; the signature check stays on with this token.
      accountSid: e.TWILIO_ACCOUNT_SID ?? `AC${'0'.repeat(32)}`,
      authToken: e.TWILIO_AUTH_TOKEN ?? randomBytes(16).toString('hex'),
      // Demo mode: the simulator's Twilio stand-in inside this service.
      apiBaseUrl: e.TWILIO_API_BASE_URL ?? (demo ? `http://127.0.0.1:${e.PORT}/_sim/twilio` : 'https://api.twilio.com'),
      smsFrom: e.TWILIO_SMS_FROM ?? (demo ? '+8215880000' : undefined),
    },
    adminToken: e.ADMIN_TOKEN ?? randomBytes(18).toString('base64url'),
    recordingPayerChannel: e.RECORDING_PAYER_CHANNEL as 1 | 2,
    deleteTwilioRecordings: e.DELETE_TWILIO_RECORDINGS,
    logLevel: e.LOG_LEVEL,
    pipelineConcurrency: e.PIPELINE_CONCURRENCY,
    dbPoolSize: e.DB_POOL_SIZE,
    verifyPerMinute: e.VERIFY_RATE_LIMIT,
    retentionYears: e.RETENTION_YEARS,
    audioEncoder: e.AUDIO_ENCODER,
    pipelineWorkers: e.PIPELINE_WORKERS && e.ROLE !== 'web',
    role: e.ROLE,
    workerNice: e.WORKER_NICE,
    metrics: { port: e.METRICS_PORT, token: e.METRICS_TOKEN },
    shutdownGraceSeconds: e.SHUTDOWN_GRACE_SECONDS,
    reconcileAfterSeconds: e.RECORDING_RECONCILE_SECONDS,
    jobs: {
      jobTimeoutSeconds: e.JOB_TIMEOUT_SECONDS,
      retryLimit: e.JOB_RETRY_LIMIT,
      retryDelaySeconds: e.JOB_RETRY_DELAY_SECONDS,
      pollingSeconds: e.JOB_POLL_SECONDS,
      superviseSeconds: e.JOB_SUPERVISE_SECONDS,
      heartbeatSeconds: e.JOB_HEARTBEAT_SECONDS,
    },
    media: { maxBytes: e.MEDIA_MAX_BYTES, timeoutMs: e.MEDIA_TIMEOUT_MS, retryDelaysMs: e.MEDIA_RETRY_DELAYS_MS },
    mediaConcurrency: e.MEDIA_CONCURRENCY,
    db: { connectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS, statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS },
    webhookDeadlineMs: e.WEBHOOK_DEADLINE_MS,
    sweep: { graceSeconds: e.SWEEP_GRACE_SECONDS, silentCallSeconds: e.SILENT_CALL_SECONDS },
    readyMinFreeBytes: e.READY_MIN_FREE_MB * 1024 * 1024,
    outbound: {
      // The demo calls nobody real: no quiet hours unless asked for.
      quietHours: parseQuietHours(e.QUIET_HOURS ?? (demo ? 'off' : '21:00-08:00')),
      requestsPerMinute: e.CONSENT_REQUESTS_PER_MINUTE,
      callerId: e.OUTBOUND_CALLER_ID ?? (demo ? '+8215880000' : undefined),
      callbackSecret: e.CALLBACK_SECRET,
      callbackRetryLimit: e.CALLBACK_RETRY_LIMIT,
      callbackRetryDelaySeconds: e.CALLBACK_RETRY_DELAY_SECONDS,
      callbackTimeoutMs: e.CALLBACK_TIMEOUT_MS,
      callbackAllowPrivate: e.CALLBACK_ALLOW_PRIVATE,
    },
    signing,
    secretsKey: e.SECRETS_KEY ? decodeKey(e.SECRETS_KEY)! : randomBytes(32),
    sessionIdleMinutes: e.SESSION_IDLE_MINUTES,
    loginRateLimit: { perAddressPerMinute: e.LOGIN_RATE_LIMIT, perUsernamePerMinute: e.LOGIN_USERNAME_RATE_LIMIT },
    trustProxy,
    nonConsentRetentionDays: e.NON_CONSENT_RETENTION_DAYS,
  };
}
