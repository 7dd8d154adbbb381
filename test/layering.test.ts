import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

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

const src = path.resolve('src');
const filesOf = (dir: string) => readdirSync(path.join(src, dir)).filter((f) => f.endsWith('.ts')).map((f) => path.join(src, dir, f));
const rel = (f: string) => path.relative(src, f);

describe('layering', () => {
  it('the engine is pure: nothing it reaches is in http/, db/ or telephony/, or talks to pg, express or Twilio', () => {
    const graph = reachable(filesOf('scenario'));
    const files = [...graph.keys()].map(rel);
    expect(files.filter((f) => /^(http|db|telephony)\//.test(f))).toEqual([]);
    const outside = [...graph.entries()].flatMap(([f, specs]) => specs.filter((s) => /^(pg|express|twilio)$/.test(s)).map((s) => `${rel(f)} -> ${s}`));
    expect(outside).toEqual([]);
  });

  it('consents/ and payers/ never import the engine (scenario/)', () => {
    const offenders = [...filesOf('consents'), ...filesOf('payers')].flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]!).filter((s) => s.includes('/scenario/')).map((s) => `${rel(f)} -> ${s}`),
    );
    expect(offenders).toEqual([]);
  });
});
