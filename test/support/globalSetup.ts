import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/db/database.js';
import { CHROMIUM, noChromium } from './browser.js';
import { freePort } from './ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    testDatabaseServer: string;
    /** Names of this run's databases start with `t_<testRunId>_`. */
    testRunId: string;
    /** This run's temporary folders live under it (each test file sets TMPDIR to a folder inside). */
    testTmpRoot: string;
  }
}


/** Databases of this run still on the server; dropped, and named. */
async function leftoverDatabases(server: string, runId: string): Promise<string[]> {
  const admin = new pg.Client({ connectionString: server.replace(/\/[^/]*$/, '/postgres') });
  await admin.connect();
  try {
    const names = (await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`t\\_${runId}\\_%`])).rows.map((r) => r.datname);
    for (const name of names) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    return names;
  } finally {
    await admin.end();
  }
}

/** The test files that hold browser tests: those that skip them without Chromium. */
function browserTestFiles(): string[] {
  const dir = path.resolve(import.meta.dirname, '..');
  return readdirSync(dir).filter((f) => f.endsWith('.test.ts') && readFileSync(path.join(dir, f), 'utf8').includes('skipIf(noChromium)')).map((f) => `test/${f}`);
}

/**
 * Tests run against TEST_DATABASE_URL's server when it is set (CI: the machine's PostgreSQL),
 * otherwise against an embedded PostgreSQL started here. Each test file makes its own database
 * and temporary folder; at the end, anything a test left behind fails the run, by name.
 */
export default async function setup(project: TestProject) {
  if (noChromium) {
    console.log(`note: the browser tests are skipped (counted as skipped in ${browserTestFiles().join(', ')}): no Chromium at ${CHROMIUM} (apt-get install chromium, or CI=true to require it)`);
  }
  const runId = randomBytes(4).toString('hex');
  const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'ars-run-'));
  chmodSync(tmpRoot, 0o755); // an embedded server a test starts may run as the postgres user
  project.provide('testRunId', runId);
  project.provide('testTmpRoot', tmpRoot);
  const external = process.env.TEST_DATABASE_URL;
  let server = external;
  let stopEmbedded: (() => Promise<void>) | undefined;
  let embeddedDir: string | undefined;
  if (!server) {
    embeddedDir = mkdtempSync(path.join(os.tmpdir(), 'ars-test-pg-'));
    chmodSync(embeddedDir, 0o755);
    const embedded = await startEmbeddedPostgres(embeddedDir, await freePort());
    server = embedded.url;
    stopEmbedded = embedded.stop;
  }
  project.provide('testDatabaseServer', server);
  return async () => {
    const left: string[] = [];
    try {
      left.push(...(await leftoverDatabases(server, runId)).map((d) => `database ${d}`));
    } finally {
      // The folder of a test file that never started (every test skipped: test/support/setup.ts) holds nothing a test left.
      for (const f of readdirSync(tmpRoot)) if (f.startsWith('file-') && !f.endsWith('.started') && !existsSync(path.join(tmpRoot, `${f}.started`))) rmSync(path.join(tmpRoot, f), { recursive: true, force: true });
      left.push(...readdirSync(tmpRoot, { recursive: true }).map((f) => `temporary file ${path.join(tmpRoot, String(f))}`));
      rmSync(tmpRoot, { recursive: true, force: true });
      if (stopEmbedded) await stopEmbedded();
      if (embeddedDir) rmSync(embeddedDir, { recursive: true, force: true });
    }
    if (left.length) {
      const message = `TESTS LEFT THINGS BEHIND (now removed):\n  ${left.slice(0, 50).join('\n  ')}${left.length > 50 ? `\n  … and ${left.length - 50} more` : ''}`;
      console.error(message);
      process.exitCode = 1;
      throw new Error(message);
    }
  };
}
