import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type pg from 'pg';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '../log.js';
import { webhookLabel } from '../http/twilioRoutes.js';
import { callbackDeliveries, consentsByStatus, pipelinesFailed, queueLoad, type QueueLoad } from './store.js';

/**
 * The service's Prometheus metrics (prom-client), one registry per running service. Webhook
 * latencies are observed as they happen; queue, consent, pipeline and callback figures are read
 * from the database at each scrape (so every process reports the same shared figures), the pool's
 * from this process.
 */
export function createMetrics(deps: { pool: pg.Pool; role: string; log: Logger }) {
  const registry = new Registry();
  registry.setDefaultLabels({ role: deps.role });
  collectDefaultMetrics({ register: registry, prefix: 'ars_' });

  const webhookSeconds = new Histogram({
    name: 'ars_webhook_duration_seconds',
    help: 'Time to answer a Twilio webhook, by route and HTTP status',
    labelNames: ['route', 'status'] as const,
    buckets: [0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  let lastProblem = '';
  /** Database figures: a failed read is logged once (not each scrape) and leaves the figures out. */
  async function fromDatabase<T>(what: string, read: () => Promise<T>, set: (v: T) => void): Promise<void> {
    try {
      set(await read());
      if (lastProblem === what) lastProblem = '';
    } catch (err) {
      if (lastProblem !== what) deps.log.warn({ err: (err as Error).message, what }, 'metrics: could not read from the database');
      lastProblem = what;
    }
  }

  // The three queue gauges are collected side by side: one read of the job table serves them all.
  let queueRead: { at: number; load: Promise<QueueLoad[] | undefined> } | undefined;
  function queues(): Promise<QueueLoad[] | undefined> {
    if (!queueRead || Date.now() - queueRead.at > 500) {
      let load: QueueLoad[] | undefined;
      queueRead = { at: Date.now(), load: fromDatabase('job queues', () => queueLoad(deps.pool), (v) => (load = v)).then(() => load) };
    }
    return queueRead.load;
  }
  const queueGauge = (name: string, help: string, pick: (q: QueueLoad) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['queue'] as const,
      registers: [registry],
      async collect() {
        const load = await queues();
        if (!load) return;
        this.reset();
        for (const q of load) this.set({ queue: q.queue }, pick(q));
      },
    });
  queueGauge('ars_job_queue_depth', 'Jobs ready to run and waiting for a worker, by queue', (q) => q.waiting);
  queueGauge('ars_job_queue_oldest_seconds', 'Age of the oldest job waiting for a worker, by queue (0: none waiting)', (q) => q.oldestSeconds);
  queueGauge('ars_job_queue_active', 'Jobs being worked on, by queue', (q) => q.active);

  new Gauge({
    name: 'ars_consents',
    help: 'Consents stored, by status',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      await fromDatabase('consents', () => consentsByStatus(deps.pool), (byStatus) => {
        this.reset();
        for (const status of ['ready', 'evidence_failed', 'sent']) this.set({ status }, byStatus[status] ?? 0);
        for (const [status, n] of Object.entries(byStatus)) this.set({ status }, n);
      });
    },
  });
  new Gauge({
    name: 'ars_pipelines_failed',
    help: 'Recordings whose pipeline failed for good',
    registers: [registry],
    async collect() {
      await fromDatabase('pipelines', () => pipelinesFailed(deps.pool), (n) => this.set(n));
    },
  });
  new Gauge({
    name: 'ars_callback_deliveries',
    help: 'Completion callback delivery attempts by outcome (delivered, failed), and callbacks given up on (given-up)',
    labelNames: ['outcome'] as const,
    registers: [registry],
    async collect() {
      await fromDatabase('callbacks', () => callbackDeliveries(deps.pool), (byOutcome) => {
        for (const [outcome, n] of Object.entries(byOutcome)) this.set({ outcome }, n);
      });
    },
  });
  new Gauge({
    name: 'ars_db_pool_connections',
    help: "This process's PostgreSQL pool: connections in use, idle, and requests waiting for one",
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.set({ state: 'in_use' }, deps.pool.totalCount - deps.pool.idleCount);
      this.set({ state: 'idle' }, deps.pool.idleCount);
      this.set({ state: 'waiting' }, deps.pool.waitingCount);
    },
  });

  /** Observes the time from now until the response is sent, under the webhook's route and status. */
  function timeWebhook(route: string, res: ServerResponse): void {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      webhookSeconds.observe({ route, status: String(res.statusCode) }, Number(process.hrtime.bigint() - start) / 1e9);
    });
  }

  return {
    registry,
    /** Observes each Twilio webhook's time to answer; mounted before the /twilio routes. */
    webhookTimer(req: Request, res: Response, next: NextFunction): void {
      timeWebhook(webhookLabel(req.originalUrl), res);
      next();
    },
    /** The same, for a webhook whose route is known before any router (served without express). */
    timeWebhook,
    async text(): Promise<{ contentType: string; body: string }> {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** /metrics on the main port, for a bearer of METRICS_TOKEN only. */
export function metricsBehindToken(metrics: Metrics, token: string) {
  return async (req: Request, res: Response) => {
    const header = req.get('authorization') ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!given || !sameSecret(given, token)) {
      res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'unauthorized', reason: 'a bearer token for /metrics is required' });
      return;
    }
    const { contentType, body } = await metrics.text();
    res.type(contentType).send(body);
  };
}

/** /metrics on its own port (METRICS_PORT), for a scraper on the inside network; nothing else is served there. */
export async function startMetricsServer(metrics: Metrics, port: number, log: Logger): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.text().then(
      ({ contentType, body }) => res.writeHead(200, { 'Content-Type': contentType }).end(body),
      (err: Error) => {
        log.warn({ err: err.message }, 'metrics: could not be collected');
        res.writeHead(500).end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
