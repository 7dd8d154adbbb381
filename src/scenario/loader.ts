import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { scenarioSchema, type Scenario } from './schema.js';

export class ScenarioError extends Error {}

export type ScenarioSet = {
  all: Scenario[];
  byId(id: string): Scenario | undefined;
  /** The scenario answering a called number; the default one when none lists it. */
  forCalledNumber(to: string | undefined): Scenario;
};

export function parseScenario(file: string, text: string): Scenario {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ScenarioError(`scenario ${file}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = scenarioSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length ? issue.path.join('.') : '(root)';
    throw new ScenarioError(`scenario ${file}: ${at}: ${issue.message}`);
  }
  return parsed.data;
}

export function buildScenarioSet(scenarios: Scenario[]): ScenarioSet {
  const ids = new Map<string, Scenario>();
  const numbers = new Map<string, Scenario>();
  for (const s of scenarios) {
    if (ids.has(s.id)) throw new ScenarioError(`scenario ${s.id}: id used twice`);
    ids.set(s.id, s);
    for (const n of s.numbers) {
      if (numbers.has(n)) throw new ScenarioError(`scenario ${s.id}: number ${n} is also answered by ${numbers.get(n)!.id}`);
      numbers.set(n, s);
    }
  }
  const defaults = scenarios.filter((s) => s.default);
  if (defaults.length !== 1) {
    throw new ScenarioError(`scenarios: exactly one must have "default": true (found ${defaults.length})`);
  }
  const fallback = defaults[0]!;
  return {
    all: scenarios,
    byId: (id) => ids.get(id),
    forCalledNumber: (to) => (to && numbers.get(to)) || fallback,
  };
}

export function loadScenarios(dir: string): ScenarioSet {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch {
    throw new ScenarioError(`scenarios: cannot read the folder ${dir}`);
  }
  if (files.length === 0) throw new ScenarioError(`scenarios: no *.json file in ${dir}`);
  return buildScenarioSet(files.map((f) => parseScenario(f, readFileSync(path.join(dir, f), 'utf8'))));
}
