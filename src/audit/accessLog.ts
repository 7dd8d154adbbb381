import type { Request } from 'express';
import type pg from 'pg';

/** Who replayed, downloaded, verified or exported what, when and from where: append-only, hash-chained. */

type Db = Pick<pg.Pool, 'query'>;

export async function logAccess(db: Db, entry: { actor: string; action: string; target: string; remote: string | undefined; detail?: Record<string, unknown> }): Promise<void> {
  await db.query('INSERT INTO access_log (actor, action, target, remote, detail) VALUES ($1, $2, $3, $4, $5)', [
    entry.actor, entry.action, entry.target, entry.remote ?? null, entry.detail ?? {},
  ]);
}

export function remoteOf(req: Request): string | undefined {
  return req.ip ?? undefined;
}

export type ChainCheck = { intact: true; rows: number } | { intact: false; rows: number; brokenAt: number; reason: string };

/** Walks the chain: each row's hash must match its content, and name the previous row's hash. */
export async function verifyAccessLogChain(db: Db): Promise<ChainCheck> {
  const r = await db.query<{ id: number; prev_hash: string | null; row_hash: string | null; recomputed: string }>(
    'SELECT id, prev_hash, row_hash, access_log_row_hash(a) AS recomputed FROM access_log a ORDER BY id',
  );
  let previous = 'genesis';
  for (const row of r.rows) {
    if (row.prev_hash !== previous) {
      return { intact: false, rows: r.rows.length, brokenAt: row.id, reason: 'it does not follow the row before it: a row was removed or reordered' };
    }
    if (row.row_hash !== row.recomputed) {
      return { intact: false, rows: r.rows.length, brokenAt: row.id, reason: 'its content does not match its hash: the row was altered' };
    }
    previous = row.row_hash;
  }
  return { intact: true, rows: r.rows.length };
}

export async function accessLogFor(db: Db, target: string) {
  const r = await db.query('SELECT id, at, actor, action, target, remote, detail, row_hash AS "rowHash" FROM access_log WHERE target = $1 ORDER BY id', [target]);
  return r.rows;
}
