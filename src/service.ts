import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { createCallService } from './calls/service.js';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { migrate } from './db/migrate.js';
import { apiRoutes } from './http/apiRoutes.js';
import { clientAddress, createHttpApp } from './http/app.js';
import { publicRoutes } from './http/publicRoutes.js';
import { pageRoutes } from './http/pages.js';
import { agentPage } from './http/agentPage.js';
import { assetRoutes } from './web/assets.js';
import { adminPages } from './http/adminPages.js';
import express from 'express';
import { twilioWebhooks } from './http/twilioRoutes.js';
import { readinessRoute } from './http/readiness.js';
import { problemApi, problemPage } from './http/problemRoutes.js';
import { createLogger, type Logger } from './log.js';
import { loadScenarios } from './scenario/loader.js';
import { createTwilioRest } from './telephony/rest.js';
import { ffmpegAvailable } from './audio/ffmpegEncoder.js';
import { stopAudioWorker } from './audio/offThread.js';
import type { Encoder } from './audio/budget.js';
import { QUEUES, startJobQueue, type JobQueue } from './jobs/queue.js';
import { purgeExpired } from './jobs/retention.js';
import { purgeNonConsents } from './jobs/nonConsentRetention.js';
import { createRecordingPipeline, type RecordingPipeline } from './recordings/pipeline.js';
import { DEMO_AGENT_NUMBER, demoRoutes, seedDemoPayers } from './simulator/demo.js';
import { createConsentRequests, type ConsentRequests } from './requests/consentRequests.js';
import { createAgentConsents } from './agent/agentConsents.js';
import { createStandIn, type StandIn } from './simulator/standIn.js';
import { loadMarkKeys } from './marks/marks.js';
import { markRoutes } from './marks/routes.js';
import { signTimeMark } from './marks/timeMark.js';
import { inFlightRequests } from './http/inFlight.js';
import { createMetrics, metricsBehindToken, startMetricsServer } from './metrics/metrics.js';
import { apiDocsRoutes } from './http/apiDocsRoutes.js';
import { systemResolver, type ResolveHost } from './requests/callbackTarget.js';
import { logAccess } from './audit/accessLog.js';
import { sessionSettings } from './http/sessions.js';
import { loginLimits } from './http/loginLimits.js';

export type RunningService = {
  url: string;
  port: number;
  db: Database;
  log: Logger;
  queue: JobQueue;
  pipeline: RecordingPipeline;
  /** Demo mode only: the simulator's Twilio. */
  standIn: StandIn | undefined;
  encoder: Encoder;
  config: Config;
  requests: ConsentRequests;
  /** The port of /metrics when it has its own (METRICS_PORT). */
  metricsPort: number | undefined;
  close(): Promise<void>;
};

/** Batch work yields the CPU to the webhooks a caller waits on (children, such as ffmpeg, inherit it). */
function lowerPriority(by: number, log: Logger): void {
  if (by <= 0) return;
  try {
    os.setPriority(Math.min(19, os.getPriority() + by));
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'could not lower the worker process priority (WORKER_NICE)');
  }
}

/** Starts everything: scenarios, database and migrations, HTTP server. */
export async function startService(config: Config, options: { logger?: Logger; resolveHost?: ResolveHost } = {}): Promise<RunningService> {
  sessionSettings.idleMinutes = config.sessionIdleMinutes;
  const log = options.logger ?? createLogger(config.logLevel);
  const scenarios = loadScenarios(config.scenariosDir);
  if (config.demo) {
    // Demo mode: a transfer to an agent reaches the simulator's agent desk (the softphone and /agent).
    for (const s of scenarios.all) s.agentNumber ??= DEMO_AGENT_NUMBER;
  }
  const markKeys = await loadMarkKeys(config);
  mkdirSync(config.recordingsDir, { recursive: true });
  const db = await openDatabase({
    databaseUrl: config.databaseUrl, dataDir: config.dataDir, embeddedPort: config.embeddedPgPort, poolSize: config.dbPoolSize,
    connectTimeoutMs: config.db.connectTimeoutMs, statementTimeoutMs: config.db.statementTimeoutMs,
  });
  try {
    await migrate(db.pool);
  } catch (err) {
    await db.close();
    throw err;
  }
  // After the database: an embedded PostgreSQL this process started keeps the normal priority.
  if (config.role === 'worker') lowerPriority(config.workerNice, log);
  const twilio = createTwilioRest(config.twilio, log);
  const base = config.publicBaseUrl;
  const encoder: Encoder =
    config.audioEncoder === 'auto' ? ((await ffmpegAvailable()) ? 'ffmpeg' : 'lame') : config.audioEncoder;
  const queue = await startJobQueue(db.url, log, {
    ...config.jobs,
    connectTimeoutMs: config.db.connectTimeoutMs,
    statementTimeoutMs: config.db.statementTimeoutMs,
    retries: { [QUEUES.requestCallback]: { retryLimit: config.outbound.callbackRetryLimit, retryDelaySeconds: config.outbound.callbackRetryDelaySeconds } },
  });
  let requests: ConsentRequests | undefined;
  const pipeline = createRecordingPipeline({
    pool: db.pool,
    queue,
    twilio,
    twilioSettings: config.twilio,
    scenarios,
    log,
    recordingsDir: config.recordingsDir,
    payerChannel: config.recordingPayerChannel,
    deleteAtTwilio: config.deleteTwilioRecordings,
    encoder: () => encoder,
    media: config.media,
    reconcileAfterSeconds: config.reconcileAfterSeconds,
    signTimeMark: (facts) => signTimeMark(markKeys, facts),
    publicBaseUrl: base,
    sweepGraceSeconds: config.sweep.graceSeconds,
    silentCallSeconds: config.sweep.silentCallSeconds,
    endSilentCall: async (callSid) => calls.status({ CallSid: callSid, CallStatus: 'completed' }),
    onConsentRecorded: async (consent) => requests?.onConsentRecorded(consent),
    onConsentFailed: async (callSid, reason) => requests?.onConsentFailed(callSid, reason),
  });
  requests = createConsentRequests({
    pool: db.pool, queue, twilio, scenarios, log, publicBaseUrl: base, outbound: config.outbound, secretsKey: config.secretsKey,
    callbackPolicy: { allowPrivate: config.outbound.callbackAllowPrivate, resolve: options.resolveHost ?? systemResolver },
    logAccess: (entry) => logAccess(db.pool, entry),
  });
  if (config.pipelineWorkers) {
    await pipeline.startWorkers(config.pipelineConcurrency, config.mediaConcurrency);
    await requests.startWorkers();
    await queue.work(QUEUES.retention, 1, async () => {
      await purgeExpired(db.pool, config.retentionYears, log);
      await purgeNonConsents(db.pool, config.nonConsentRetentionDays, log);
    });
    await queue.schedule(QUEUES.retention, '30 3 * * *');
  }
  /**
   * After a consent (the caller's or the agent's): the recording check, not waited for. It lingers
   * up to 500 ms to share an insert with others; nobody's answer waits on that.
   */
  const scheduleCheck = (callSid: string, attempt: number): void => {
    pipeline.scheduleReconcile(callSid, attempt).catch((err: Error) => log.error({ callSid, err: err.message }, 'could not schedule the recording check'));
  };
  const calls = createCallService({
    onConsent: scheduleCheck,
    pool: db.pool,
    scenarios,
    twilio,
    log,
    requests,
    smsCodeKey: createHmac('sha256', config.secretsKey).update('sms-code').digest('hex'),
    urls: {
      gatherAction: (turn) => `${base}/twilio/voice/gather?turn=${turn}`,
      recordingCallback: (attempt) => `${base}/twilio/recording?attempt=${attempt}`,
    },
  });
  const agent = createAgentConsents({
    pool: db.pool, twilio, scenarios, log, publicBaseUrl: base,
    decided: pipeline.agentDecided,
    consented: async (callSid) => scheduleCheck(callSid, 1),
  });
  let port = config.port;
  const inFlight = inFlightRequests();
  const metrics = createMetrics({ pool: db.pool, role: config.role, log });
  const metricsServer = config.metrics.port !== undefined ? await startMetricsServer(metrics, config.metrics.port, log) : undefined;
  const ops = {
    inFlight: inFlight.middleware,
    webhookTimer: metrics.webhookTimer,
    timeWebhook: metrics.timeWebhook,
    ...(!metricsServer && config.metrics.token ? { metrics: metricsBehindToken(metrics, config.metrics.token) } : {}),
  };
  // A worker process serves only /healthz (and /metrics): no webhooks, API or pages.
  const serveWeb = config.role !== 'worker';
  const standIn = config.demo ? createStandIn(config.twilio.accountSid, config.twilio.authToken, (line) => log.info(line)) : undefined;
  // Demo data and the demo users only in a database this process made (embedded), never in one it was given (DEMO=true).
  if (standIn) {
    await seedDemoPayers(db.pool, db.embedded ? config.demoAgentPassword : undefined, db.embedded ? { adminPassword: config.demoAdminPassword, auditorPassword: config.demoAuditorPassword } : {});
    if (!db.embedded) log.warn('demo mode against DATABASE_URL: the demo users are not created or changed there');
  }
  const limits = loginLimits(config.loginRateLimit);
  const readiness = readinessRoute({ db: db.pool, recordingsDir: config.recordingsDir, minFreeBytes: config.readyMinFreeBytes });
  const clientIp = clientAddress(config.trustProxy);
  const http = !serveWeb ? createHttpApp({ log, ops, trustProxy: config.trustProxy, hsts: base.startsWith('https://'), api: express.Router(), public: express.Router().use(readiness) }) : createHttpApp({
    log,
    ops,
    apiDocs: apiDocsRoutes(),
    trustProxy: config.trustProxy,
    hsts: base.startsWith('https://'),
    twilio: twilioWebhooks({
      authToken: config.twilio.authToken, publicBaseUrl: base, calls, log, clientIp, deadlineMs: config.webhookDeadlineMs, recordingCallback: pipeline.onCallback, requestStatus: requests.onTwilioStatus,
    }),
    public: express.Router()
      .use(readiness)
      .use(await assetRoutes())
      .use(problemPage({ pool: db.pool }))
      .use(markRoutes({ pool: db.pool, keys: markKeys, publicBaseUrl: base, receiptPerMinute: config.verifyPerMinute }))
      .use(publicRoutes({ pool: db.pool, verifyPerMinute: config.verifyPerMinute, keys: markKeys }))
      .use(pageRoutes({ pool: db.pool, secureCookies: base.startsWith('https://'), loginLimits: limits }))
      .use(agentPage({ pool: db.pool }))
      .use(adminPages({ pool: db.pool })),
    api: express.Router()
      .use(problemApi({ pool: db.pool, adminToken: config.adminToken }))
      .use(apiRoutes({ pool: db.pool, adminToken: config.adminToken, exportsDir: path.join(config.dataDir, 'exports'), requests, agent, loginLimits: limits })),
    ...(standIn
      ? {
          extra: (a) =>
            a.use(
              demoRoutes({
                pool: db.pool, standIn, serviceUrl: () => `http://127.0.0.1:${port}`, publicBaseUrl: base,
                authToken: config.twilio.authToken, adminToken: config.adminToken, requests,
              }),
            ),
        }
      : {}),
  });
  const server: Server = await new Promise((resolve, reject) => {
    // The demo's simulator is unauthenticated: it listens on this machine only.
    const s = createServer(http.listener);
    http.attach(s);
    s.once('error', reject);
    s.listen(config.port, config.demo ? '127.0.0.1' : '0.0.0.0', () => {
      s.off('error', reject);
      resolve(s);
    });
  });
  server.keepAliveTimeout = 65_000;
  // A slow client cannot hold a request open: headers and the whole request within 30 s.
  server.headersTimeout = 30_000;
  server.requestTimeout = 30_000;
  port = (server.address() as AddressInfo).port;
  log.info({ port, role: config.role, metricsPort: metricsServer?.port, database: db.embedded ? 'embedded' : 'external', scenarios: scenarios.all.map((s) => s.id), demo: config.demo, encoder }, 'service started');
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    db,
    log,
    config,
    queue,
    pipeline,
    encoder,
    standIn,
    requests,
    metricsPort: metricsServer?.port,
    /**
     * Stops in order: no new connections; the requests in flight (a caller's webhook) finish within
     * SHUTDOWN_GRACE_SECONDS; the job workers stop taking jobs, and a job still running when its
     * grace ends is handed back (failed, so that another worker retries it at once); then the pool.
     * The recording checks the finished webhooks scheduled are inserted before the queue stops.
     */
    async close() {
      const graceMs = config.shutdownGraceSeconds * 1000;
      const { unfinished } = await inFlight.drain(server, graceMs);
      if (unfinished) log.warn({ unfinished }, 'stopping: requests still unanswered after the grace period were cut');
      if (metricsServer) await new Promise<void>((resolve) => metricsServer.server.close(() => resolve()));
      await Promise.race([pipeline.flushScheduled(), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
      await queue.stop(Math.min(5000, Math.max(1000, graceMs)));
      await stopAudioWorker();
      await db.close();
    },
  };
}
