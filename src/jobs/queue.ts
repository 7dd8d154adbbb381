import { PgBoss } from 'pg-boss';
import type { Db } from '../db/database.js';
import type { Logger } from '../log.js';

/**
 * Durable work on PostgreSQL (pg-boss): a job survives the process being killed at any point; it
 * runs again after its expiry, and every handler is idempotent, so nothing is lost or doubled.
 */

export const QUEUES = {
  fetchRecording: 'recording-fetch',
  processRecording: 'recording-process',
  sweepRecordings: 'recording-sweep',
  reconcileRecording: 'recording-reconcile',
  deleteAtTwilio: 'recording-delete',
  notifyPayer: 'consent-notify',
  retention: 'retention-purge',
  placeConsentCall: 'consent-request-call',
  requestCallback: 'consent-request-callback',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export type JobQueue = {
  /** `db`: enqueue on that transaction's client, so the job exists exactly when the transaction commits. */
  send(queue: QueueName, data: object, options?: { singletonKey?: string; startAfterSeconds?: number; startAfter?: Date; db?: Db }): Promise<void>;
  /** Several jobs of one queue in one statement (a key already queued is skipped, as with send). */
  sendMany(queue: QueueName, jobs: { data: object; singletonKey?: string; startAfterSeconds?: number }[]): Promise<void>;
  /** A job with this key waits (queued, or its retry due later) or runs: the work is not lost. */
  hasUnfinished(queue: QueueName, singletonKey: string): Promise<boolean>;
  work(queue: QueueName, concurrency: number, handler: (data: any, job: { retryCount: number; retryLimit: number; id: string }) => Promise<void>): Promise<void>;
  /** A recurring job (cron, Korea time), at most one a tick however many processes run. */
  schedule(queue: QueueName, cron: string): Promise<void>;
  /** Takes no more jobs; a job still running after timeoutMs is failed (retried by another worker). */
  stop(timeoutMs?: number): Promise<void>;
};

export type QueueOptions = {
  jobTimeoutSeconds: number;
  retryLimit: number;
  retryDelaySeconds: number;
  pollingSeconds: number;
  superviseSeconds: number;
  /** A running job whose worker stops beating for this long (its process died) is run again. */
  heartbeatSeconds?: number;
  /** Bounded waits on the queue's own pool. */
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** Retries of particular queues, where they differ from the rest. */
  retries?: Partial<Record<QueueName, { retryLimit: number; retryDelaySeconds: number }>>;
};

export async function startJobQueue(connectionString: string, log: Logger, opts: QueueOptions): Promise<JobQueue> {
  const boss = new PgBoss({
    connectionString, schema: 'pgboss', max: 4, useListenNotify: true, superviseIntervalSeconds: opts.superviseSeconds, monitorIntervalSeconds: opts.superviseSeconds,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
    ...(opts.statementTimeoutMs ? { options: `-c statement_timeout=${opts.statementTimeoutMs}` } : {}),
  });
  boss.on('error', (err: Error) => log.error({ err: err.message }, 'job queue error'));
  await boss.start();
  const options = {
    retryLimit: opts.retryLimit,
    retryDelay: opts.retryDelaySeconds,
    retryBackoff: true,
    retryDelayMax: 600,
    expireInSeconds: opts.jobTimeoutSeconds,
    retentionSeconds: 30 * 86400,
    notify: true,
    ...(opts.heartbeatSeconds ? { heartbeatSeconds: opts.heartbeatSeconds } : {}),
  };
  for (const name of Object.values(QUEUES)) {
    const own = opts.retries?.[name];
    const queueOptions = own ? { ...options, retryLimit: own.retryLimit, retryDelay: own.retryDelaySeconds } : options;
    // The settings of this start apply to the queues even when an earlier start created them.
    if (await boss.getQueue(name)) await boss.updateQueue(name, queueOptions);
    else {
      await boss.createQueue(name, queueOptions).catch(async (err: Error) => {
        if (!/already exists|duplicate/i.test(err.message)) throw err;
        await boss.updateQueue(name, queueOptions);
      });
    }
  }
  return {
    async send(queue, data, options = {}) {
      await boss.send(queue, data, {
        ...(options.singletonKey ? { singletonKey: options.singletonKey } : {}),
        ...(options.startAfterSeconds ? { startAfter: options.startAfterSeconds } : {}),
        ...(options.startAfter ? { startAfter: options.startAfter } : {}),
        ...(options.db ? { db: { executeSql: (text: string, values?: unknown[]) => options.db!.query(text, values as unknown[]) } } : {}),
      });
    },
    async sendMany(queue, jobs) {
      await boss.insert(
        queue,
        jobs.map((j) => ({
          data: j.data,
          ...(j.singletonKey ? { singletonKey: j.singletonKey } : {}),
          ...(j.startAfterSeconds ? { startAfter: new Date(Date.now() + j.startAfterSeconds * 1000).toISOString() } : {}),
        })),
      );
    },
    async hasUnfinished(queue, singletonKey) {
      const jobs = await boss.findJobs(queue, { key: singletonKey, limit: 100 });
      return jobs.some((job) => job.state === 'created' || job.state === 'retry' || job.state === 'active');
    },
    async work(queue, concurrency, handler) {
      await boss.work(
        queue,
        {
          batchSize: 1,
          localConcurrency: concurrency,
          pollingIntervalSeconds: opts.pollingSeconds,
          // NOTIFY wakes a worker for a new job, not for a retry falling due: keep polling at the same pace.
          notifyPollingIntervalSeconds: opts.pollingSeconds,
          includeMetadata: true,
        },
        async (jobs: any[]) => {
          const job = jobs[0];
          await handler(job.data, { retryCount: job.retryCount ?? 0, retryLimit: job.retryLimit ?? opts.retryLimit, id: job.id });
        },
      );
    },
    async schedule(queue, cron) {
      await boss.schedule(queue, cron, {}, { tz: 'Asia/Seoul' });
    },
    async stop(timeoutMs = 5000) {
      await boss.stop({ graceful: true, timeout: timeoutMs });
    },
  };
}
