import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findViolations } from './support/architecture.js';

/**
 * The files still allowed to break a rule, each with why. The list only shrinks.
 */
const ALLOWED: Record<string, string> = {
  'src/jobs/queue.ts': "hands pg-boss the pool's query as its executeSql (the queue's own SQL, not the service's)",
};

/** Which modules a module reaches through its imports (type imports included), under src/. */
function reachable(entries: string[]): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const queue = [...entries];
  while (queue.length) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    const text = readFileSync(file, 'utf8');
    const specifiers = [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);
    seen.set(file, specifiers);
    for (const s of specifiers) if (s.startsWith('.')) queue.push(path.resolve(path.dirname(file), s.replace(/\.js$/, '.ts')));
  }
  return seen;
}

describe('layering', () => {
  it('SQL only in stores and src/db/; the engine imports no edge; consent and payer records never import the engine', () => {
    const violations = findViolations(path.resolve(import.meta.dirname, '..'), ALLOWED);
    expect(violations.map((v) => `${v.file}:${v.line} ${v.rule}: ${v.detail}`)).toEqual([]);
  });

  it('the engine is pure through its imports: nothing it reaches is in http/, db/ or telephony/, or talks to pg, express or Twilio', () => {
    const src = path.resolve(import.meta.dirname, '..', 'src');
    const scenario = readdirSync(path.join(src, 'scenario')).filter((f) => f.endsWith('.ts')).map((f) => path.join(src, 'scenario', f));
    const graph = reachable(scenario);
    const rel = (f: string) => path.relative(src, f);
    expect([...graph.keys()].map(rel).filter((f) => /^(http|db|telephony)\//.test(f))).toEqual([]);
    const outside = [...graph.entries()].flatMap(([f, specs]) => specs.filter((s) => /^(pg|express|twilio)$/.test(s)).map((s) => `${rel(f)} -> ${s}`));
    expect(outside).toEqual([]);
  });

  it('fails on a real violation of each rule', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'ars-layering-'));
    try {
      const put = (file: string, text: string) => {
        mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
        writeFileSync(path.join(root, file), text);
      };
      put('src/http/badRoute.ts', "import pg from 'pg';\nexport const f = (pool: pg.Pool) => pool.query('SELECT 1');\n");
      put('src/http/fineRoute.ts', "import type pg from 'pg';\nexport const f = (req: { query: unknown }, p: pg.Pool) => [req.query, p];\n");
      put('src/consents/store.ts', "import pg from 'pg';\nexport const f = (db: pg.Pool) => db.query('SELECT 1');\n");
      put('src/payers/thingStore.ts', "export const f = (db: { query(s: string): void }) => db.query('SELECT 1');\n");
      put('src/scenario/engine.ts', "import { x } from '../telephony/twiml.js';\nimport { y } from '../db/database.js';\nexport const z = [x, y];\n");
      put('src/consents/evidence.ts', "import { words } from '../scenario/engine.js';\nexport const w = words;\n");
      put('bench/seed.ts', "export const s = (c: any) => c.query('INSERT INTO consents DEFAULT VALUES');\n");
      const found = findViolations(root).map((v) => `${v.file}:${v.line} ${v.rule}`);
      expect(found.sort()).toEqual([
        'bench/seed.ts:1 sql-in-stores',
        'src/consents/evidence.ts:1 records-without-engine',
        'src/http/badRoute.ts:1 sql-in-stores',
        'src/http/badRoute.ts:2 sql-in-stores',
        'src/scenario/engine.ts:1 pure-engine',
        'src/scenario/engine.ts:2 pure-engine',
      ]);
      expect(findViolations(root, { 'src/http/badRoute.ts': 'x', 'src/scenario/*': 'x', 'src/consents/evidence.ts': 'x', 'bench/seed.ts': 'x' })).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
