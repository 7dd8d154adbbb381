import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function defaultScenarioJson(): any {
  return JSON.parse(readFileSync(path.resolve('scenarios/default.json'), 'utf8'));
}

/** A scenarios folder holding the default scenario changed by `change`, plus any others. */
export function scenariosDir(change: (s: any) => void = () => {}, others: any[] = []): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ars-scn-'));
  const s = defaultScenarioJson();
  change(s);
  writeFileSync(path.join(dir, 'default.json'), JSON.stringify(s));
  others.forEach((o, i) => writeFileSync(path.join(dir, `other${i}.json`), JSON.stringify(o)));
  return dir;
}
