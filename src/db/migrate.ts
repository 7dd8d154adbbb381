import { readdirSync, readFileSync } from 'node:fs';
import type pg from 'pg';
import type { Db } from './database.js';
import { withTransaction } from './database.js';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

/** Applies src/db/migrations/*.sql in order, once each; safe when several processes start at once. */
export async function migrate(pool: pg.Pool): Promise<string[]> {
  const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();
  const applied: string[] = [];
  await withTransaction(pool, async (client) => {
    await client.query('SET LOCAL statement_timeout = 0'); // a long migration is not a hung statement
    await client.query('SELECT pg_advisory_xact_lock(7261001)');
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name));
    for (const file of files) {
      if (done.has(file)) continue;
      await client.query(readFileSync(new URL(file, MIGRATIONS_DIR), 'utf8'));
      await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
      applied.push(file);
    }
  });
  return applied;
}

const APPLIED_MIGRATIONS = 'SELECT name FROM schema_migrations';

/** The migration files the database has not applied (all of them before the first start). */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();
  const done = new Set((await db.query<{ name: string }>(APPLIED_MIGRATIONS).catch(() => ({ rows: [] as { name: string }[] }))).rows.map((r) => r.name));
  return files.filter((f) => !done.has(f));
}
