import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createCallService } from './calls/service.js';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { migrate } from './db/migrate.js';
import { apiRoutes } from './http/apiRoutes.js';
import { createHttpApp } from './http/app.js';
import { publicRoutes } from './http/publicRoutes.js';
import { pageRoutes } from './http/pages.js';
import { agentPage } from './http/agentPage.js';
import express from 'express';
import { twilioRoutes } from './http/twilioRoutes.js';
import { createLogger, type Logger } from './log.js';
import { loadScenarios } from './scenario/loader.js';
import { createTwilioRest } from './telephony/rest.js';
import { ffmpegAvailable } from './audio/ffmpegEncoder.js';
import { stopAudioWorker } from './audio/offThread.js';
import type { Encoder } from './audio/budget.js';
import { QUEUES, startJobQueue, type JobQueue } from './jobs/queue.js';
import { purgeExpired } from './jobs/retention.js';
import { createRecordingPipeline, type RecordingPipeline } from './recordings/pipeline.js';
import { DEMO_AGENT_NUMBER, demoRoutes, seedDemoPayers } from './simulator/demo.js';
import { createConsentRequests, type ConsentRequests } from './requests/consentRequests.js';
import { createAgentConsents } from './agent/agentConsents.js';
import { createStandIn, type StandIn } from './simulator/standIn.js';

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
  close(): Promise<void>;
};

/** Starts everything: scenarios, database and migrations, HTTP server. */
export async function startService(config: Config, options: { logger?: Logger } = {}): Promise<RunningService> {
  const log = options.logger ?? createLogger(config.logLevel);
  const scenarios = loadScenarios(config.scenariosDir);
  if (config.demo) {
    // Demo mode: a transfer to an agent reaches the simulator's agent desk (the softphone and /agent).
    for (const s of scenarios.all) s.agentNumber ??= DEMO_AGENT_NUMBER;
  }
  mkdirSync(config.recordingsDir, { recursive: true });
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, embeddedPort: config.embeddedPgPort, poolSize: config.dbPoolSize });
  try {
    await migrate(db.pool);
  } catch (err) {
    await db.close();
    throw err;
  }
  const twilio = createTwilioRest(config.twilio, log);
  const base = config.publicBaseUrl;
  const encoder: Encoder =
    config.audioEncoder === 'auto' ? ((await ffmpegAvailable()) ? 'ffmpeg' : 'lame') : config.audioEncoder;
  const queue = await startJobQueue(db.url, log, {
    ...config.jobs,
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
    // consent requests still read the record's snake_case call_sid (src/requests is being converted now).
    onConsentRecorded: async (consent) => requests?.onConsentRecorded({ ...consent, call_sid: consent.callSid }),
    onConsentFailed: async (callSid, reason) => requests?.onConsentFailed(callSid, reason),
  });
  requests = createConsentRequests({ pool: db.pool, queue, twilio, scenarios, log, publicBaseUrl: base, outbound: config.outbound });
  if (config.pipelineWorkers) {
    await pipeline.startWorkers(config.pipelineConcurrency);
    await requests.startWorkers();
    await queue.work(QUEUES.retention, 1, async () => {
      await purgeExpired(db.pool, config.retentionYears, log);
    });
    await queue.schedule(QUEUES.retention, '30 3 * * *');
  }
  const calls = createCallService({
    onConsent: (callSid, attempt) => {
      pipeline.scheduleReconcile(callSid, attempt).catch((err: Error) => log.error({ callSid, err: err.message }, 'could not schedule the recording check'));
    },
    pool: db.pool,
    scenarios,
    twilio,
    log,
    requests,
    urls: {
      gatherAction: (turn) => `${base}/twilio/voice/gather?turn=${turn}`,
      recordingCallback: (attempt) => `${base}/twilio/recording?attempt=${attempt}`,
    },
  });
  const agent = createAgentConsents({
    pool: db.pool, twilio, scenarios, log, publicBaseUrl: base,
    decided: pipeline.agentDecided,
    consented: (callSid) => pipeline.scheduleReconcile(callSid, 1),
  });
  let port = config.port;
  const standIn = config.demo ? createStandIn(config.twilio.accountSid, config.twilio.authToken, (line) => log.info(line)) : undefined;
  if (standIn) await seedDemoPayers(db.pool, config.demoAgentPassword);
  const app = createHttpApp({
    log,
    twilio: twilioRoutes({
      authToken: config.twilio.authToken, publicBaseUrl: base, calls, log, recordingCallback: pipeline.onCallback, requestStatus: requests.onTwilioStatus,
    }),
    public: express.Router().use(publicRoutes({ pool: db.pool, verifyPerMinute: config.verifyPerMinute })).use(pageRoutes({ pool: db.pool, secureCookies: base.startsWith('https://') })).use(agentPage({ pool: db.pool })),
    api: apiRoutes({ pool: db.pool, adminToken: config.adminToken, exportsDir: path.join(config.dataDir, 'exports'), requests, agent }),
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
    // Express 5 hands a listen error (a port in use) to this callback.
    const s = app.listen(config.port, '0.0.0.0', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  server.keepAliveTimeout = 65_000;
  port = (server.address() as AddressInfo).port;
  log.info({ port, database: db.embedded ? 'embedded' : 'external', scenarios: scenarios.all.map((s) => s.id), demo: config.demo, encoder }, 'service started');
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
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await queue.stop();
      await stopAudioWorker();
      await db.close();
    },
  };
}
