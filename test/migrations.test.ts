import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/db/migrate.js';
import { freshDatabase } from './support/databases.js';

/** Upgrades of a database that already holds calls: what was written before reads back the same. */

const dir = new URL('../src/db/migrations/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();

const pools: pg.Pool[] = [];
afterAll(async () => {
  for (const p of pools) await p.end();
});

describe('migration 015: a call log written a turn at a time', () => {
  it('the events of calls made before it read back from call_events in the same order, new turns after them', async () => {
    const pool = new pg.Pool({ connectionString: await freshDatabase() });
    pools.push(pool);
    // The database as it was before 015.
    await pool.query('CREATE TABLE schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    for (const file of files.filter((f) => f < '015')) {
      await pool.query(readFileSync(new URL(file, dir), 'utf8'));
      await pool.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
    }
    const sid = `CA${'7'.repeat(32)}`;
    await pool.query(`INSERT INTO calls (call_sid, scenario_id, state, step) VALUES ($1, 'default', '{}', 'menu')`, [sid]);
    const before = [
      { turn: 0, step: 'menu', kind: 'prompt', detail: { text: '고객센터입니다.' } },
      { turn: 1, step: 'menu', kind: 'input', detail: { digits: '2' } },
      { turn: 1, step: 'identity', kind: 'prompt', detail: { text: '생년월일 여덟 자리를 눌러 주십시오.' } },
    ];
    for (const e of before) {
      await pool.query('INSERT INTO call_events (call_sid, turn, step, kind, detail) VALUES ($1, $2, $3, $4, $5)', [sid, e.turn, e.step, e.kind, e.detail]);
    }
    const atBefore = (await pool.query('SELECT at FROM call_events ORDER BY id')).rows.map((r) => r.at.getTime());

    expect(await migrate(pool)).toEqual(files.filter((f) => f >= '015'));

    await pool.query(`INSERT INTO call_turns (call_sid, events) VALUES ($1, $2)`, [
      sid,
      JSON.stringify([{ turn: 2, step: 'identity', kind: 'input', detail: { digits: '********' } }, { turn: 2, step: 'account', kind: 'prompt', detail: { text: '계좌' } }]),
    ]);
    const after = (await pool.query('SELECT id, at, turn, step, kind, detail FROM call_events WHERE call_sid = $1 ORDER BY id', [sid])).rows;
    expect(after.map(({ turn, step, kind, detail }) => ({ turn, step, kind, detail }))).toEqual([
      ...before,
      { turn: 2, step: 'identity', kind: 'input', detail: { digits: '********' } },
      { turn: 2, step: 'account', kind: 'prompt', detail: { text: '계좌' } },
    ]);
    expect(after.slice(0, 3).map((r) => r.at.getTime())).toEqual(atBefore);
    await expect(pool.query('DELETE FROM call_turns WHERE call_sid = $1', [sid])).rejects.toThrow(/append-only/);
  });
});
