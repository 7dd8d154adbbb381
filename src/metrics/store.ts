import type { Db } from '../db/database.js';

/** What /metrics reads from the database at each scrape (cheap, grouped counts on indexed columns). */

const JOB_QUEUES = `
SELECT name,
       count(*) FILTER (WHERE state IN ('created', 'retry') AND start_after <= now())::int AS waiting,
       count(*) FILTER (WHERE state = 'active')::int AS active,
       coalesce(extract(epoch FROM now() - min(start_after) FILTER (WHERE state IN ('created', 'retry') AND start_after <= now())), 0)::float8 AS oldest_seconds
  FROM pgboss.job
 WHERE state IN ('created', 'retry', 'active')
 GROUP BY name`;

const CONSENTS_BY_STATUS = `SELECT status, count(*)::int AS n FROM consents GROUP BY status`;

const PIPELINES_FAILED = `SELECT count(*)::int AS n FROM recordings WHERE pipeline = 'failed'`;

const CALLBACK_DELIVERIES = `
SELECT CASE WHEN http_status BETWEEN 200 AND 299 THEN 'delivered' ELSE 'failed' END AS outcome, count(*)::int AS n
  FROM consent_request_deliveries
 GROUP BY 1`;

const CALLBACKS_GIVEN_UP = `SELECT count(*)::int AS n FROM consent_requests WHERE callback_state = 'given-up'`;

export type QueueLoad = { queue: string; waiting: number; active: number; oldestSeconds: number };

export async function queueLoad(db: Db): Promise<QueueLoad[]> {
  const { rows } = await db.query<{ name: string; waiting: number; active: number; oldest_seconds: number }>(JOB_QUEUES);
  return rows.map((r) => ({ queue: r.name, waiting: r.waiting, active: r.active, oldestSeconds: Number(r.oldest_seconds) }));
}

export async function consentsByStatus(db: Db): Promise<Record<string, number>> {
  const { rows } = await db.query<{ status: string; n: number }>(CONSENTS_BY_STATUS);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

export async function pipelinesFailed(db: Db): Promise<number> {
  const { rows } = await db.query<{ n: number }>(PIPELINES_FAILED);
  return rows[0]?.n ?? 0;
}

/** Every delivery attempt of a completion callback by outcome, and the callbacks given up on. */
export async function callbackDeliveries(db: Db): Promise<Record<'delivered' | 'failed' | 'given-up', number>> {
  const [attempts, givenUp] = await Promise.all([db.query<{ outcome: 'delivered' | 'failed'; n: number }>(CALLBACK_DELIVERIES), db.query<{ n: number }>(CALLBACKS_GIVEN_UP)]);
  const out = { delivered: 0, failed: 0, 'given-up': givenUp.rows[0]?.n ?? 0 };
  for (const r of attempts.rows) out[r.outcome] = r.n;
  return out;
}
