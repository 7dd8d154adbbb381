import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, inject } from 'vitest';
import { dropTestDatabases } from './databases.js';

// No test reaches the network: only loopback, where the app under test listens.
nock.disableNetConnect();
nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);

// Every temporary folder of this test file (its own, the app's, child processes') goes in one
// folder of the run, removed when the file ends; the run's teardown names whatever remains.
const fileTmp = mkdtempSync(path.join(inject('testTmpRoot'), 'file-'));
// tsx keeps its transform cache in the temp folder: child processes (the CLIs, workers) share the
// system's one through a link rather than transforming everything afresh.
const tsxCache = `tsx-${process.getuid?.() ?? 0}`;
const systemTmp = path.dirname(inject('testTmpRoot'));
if (existsSync(path.join(systemTmp, tsxCache))) symlinkSync(path.join(systemTmp, tsxCache), path.join(fileTmp, tsxCache));
process.env.TMPDIR = fileTmp;

afterEach(() => {
  nock.cleanAll();
});

// A file whose every test is skipped (the browser tests without Chromium) runs none of its hooks,
// these included: without this mark beside its folder, the run's teardown removes the folder quietly.
beforeAll(() => writeFileSync(`${fileTmp}.started`, ''));

afterAll(async () => {
  await dropTestDatabases();
  rmSync(fileTmp, { recursive: true, force: true });
  rmSync(`${fileTmp}.started`, { force: true });
});
