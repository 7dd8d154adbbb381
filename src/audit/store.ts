import type { Db } from '../db/database.js';

/**
 * The `access_log` table: who replayed, downloaded, verified or exported what, when and from where.
 * Append-only and hash-chained (the database computes each row's hash, see migration 004).
 */

export type AccessEntry = { actor: string; action: string; target: string; remote: string | undefined; detail?: Record<string, unknown> };

export type AccessLogRow = { id: number; at: Date; actor: string; action: string; target: string; remote: string | null; detail: Record<string, unknown>; rowHash: string };

export type ChainCheck = { intact: true; rows: number } | { intact: false; rows: number; brokenAt: number; reason: string };

const INSERT = 'INSERT INTO access_log (actor, action, target, remote, detail) VALUES ($1, $2, $3, $4, $5)';
const CHAIN = 'SELECT id, prev_hash, row_hash, access_log_row_hash(a) AS recomputed FROM access_log a ORDER BY id';
const FOR_TARGET = 'SELECT id, at, actor, action, target, remote, detail, row_hash FROM access_log WHERE target = $1 ORDER BY id';

export async function logAccess(db: Db, entry: AccessEntry): Promise<void> {
  await db.query(INSERT, [entry.actor, entry.action, entry.target, entry.remote ?? null, entry.detail ?? {}]);
}

/** Walks the chain: each row's hash must match its content, and name the previous row's hash. */
export async function verifyAccessLogChain(db: Db): Promise<ChainCheck> {
  const r = await db.query<{ id: number; prev_hash: string | null; row_hash: string | null; recomputed: string }>(CHAIN);
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

/** Every entry about one target (`consent:<id>`, …), in order. */
export async function accessLogFor(db: Db, target: string): Promise<AccessLogRow[]> {
  const r = await db.query<Omit<AccessLogRow, 'rowHash'> & { row_hash: string }>(FOR_TARGET, [target]);
  return r.rows.map((e) => ({ id: e.id, at: e.at, actor: e.actor, action: e.action, target: e.target, remote: e.remote, detail: e.detail, rowHash: e.row_hash }));
}
