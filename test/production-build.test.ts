import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, TEST_ACCOUNT_SID, TEST_ADMIN_TOKEN, TEST_AUTH_TOKEN, TEST_SECRETS_KEY, TEST_SIGNING_KEY } from './support/app.js';
import { freePort } from './support/ports.js';

/**
 * The image's command, `node dist/main.js`, on what `npm run build` makes: it starts, serves the
 * pages' bundled scripts, is ready, and stops on SIGTERM without an error. (The compiled dist/web
 * once passed for the pages' sources and the start failed.) Built into a folder of its own inside
 * the project, so that the compiled modules find node_modules as dist/ does.
 */

const run = promisify(execFile);
let outDir: string;
let service: ChildProcess | undefined;
let base: string;
let stderr = '';
const temporary: string[] = [];


beforeAll(async () => {
  mkdirSync('node_modules/.cache', { recursive: true });
  outDir = mkdtempSync(path.resolve('node_modules/.cache/dist-test-'));
  await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', outDir]);
  await run(process.execPath, ['scripts/copyAssets.mjs', outDir]);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const folder = (prefix: string) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    temporary.push(dir);
    return dir;
  };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(port),
    ROLE: 'all',
    PUBLIC_BASE_URL: 'https://ars.example.test',
    DATABASE_URL: await freshDatabase(),
    DATA_DIR: folder('ars-dist-data-'),
    RECORDINGS_DIR: folder('ars-dist-rec-'),
    TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    SECRETS_KEY: TEST_SECRETS_KEY,
    SIGNING_KEY: TEST_SIGNING_KEY,
    LOG_LEVEL: 'warn',
  };
  service = spawn(process.execPath, [path.join(outDir, 'main.js')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  service.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  for (let i = 0; i < 300 && service.exitCode === null; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      /* starting */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}, 120_000);

afterAll(async () => {
  if (service && service.exitCode === null) {
    service.kill('SIGKILL');
    await new Promise((r) => service!.once('exit', r));
  }
  if (outDir) rmSync(outDir, { recursive: true, force: true });
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

describe('the production build (npm run build, node dist/main.js)', () => {
  it('starts, serves the pages and their bundled scripts, is ready, and stops on SIGTERM without an error', async () => {
    expect(service!.exitCode, stderr).toBeNull();
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const page = await fetch(`${base}/verify`);
    expect(page.status).toBe(200);
    const script = /src="(\/assets\/[a-z]+\.js\?v=[^"]+)"/.exec(await page.text())?.[1];
    expect(script).toBeDefined();
    const js = await fetch(base + script!);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    service!.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => service!.once('exit', r));
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/error/i);
  });
});
