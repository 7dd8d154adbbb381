import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/db/database.js';
import { CHROMIUM, noChromium } from './browser.js';

declare module 'vitest' {
  export interface ProvidedContext {
    testDatabaseServer: string;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });
}

/**
 * Tests run against TEST_DATABASE_URL's server when it is set (CI: the machine's PostgreSQL),
 * otherwise against an embedded PostgreSQL started here. Each test file makes its own database.
 */
export default async function setup(project: TestProject) {
  if (noChromium) {
    console.log(`note: the browser tests (marked "in Chromium" / "the softphone" / "the agent console") are skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or CI=true to require it)`);
  }
  const external = process.env.TEST_DATABASE_URL;
  if (external) {
    project.provide('testDatabaseServer', external);
    return;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ars-test-pg-'));
  chmodSync(dir, 0o755); // the embedded server may run as the postgres user
  const embedded = await startEmbeddedPostgres(dir, await freePort());
  project.provide('testDatabaseServer', embedded.url);
  return async () => {
    await embedded.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
