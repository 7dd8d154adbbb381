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

describe('npm start under a supervisor that stops it with SIGTERM to npm', () => {
  it('the service itself stops in order: nothing keeps listening, nothing is left running', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      PUBLIC_BASE_URL: url,
      DATABASE_URL: await freshDatabase(),
      DEMO: 'true',
      DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'ars-npm-data-')),
      RECORDINGS_DIR: mkdtempSync(path.join(os.tmpdir(), 'ars-npm-rec-')),
      LOG_LEVEL: 'info',
    };
    temporary.push(env.DATA_DIR!, env.RECORDINGS_DIR!);
    for (const k of ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'ADMIN_TOKEN', 'TWILIO_API_BASE_URL']) delete env[k];
    let out = '';
    const npm = spawn('npm', ['start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    npm.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    npm.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    try {
      let up = false;
      for (let i = 0; i < 300 && !up && npm.exitCode === null; i++) {
        up = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
        if (!up) await new Promise((r) => setTimeout(r, 100));
      }
      expect(up, out).toBe(true);
      npm.kill('SIGTERM');
      await new Promise((r) => npm.once('exit', r));
      // The service got the signal too (npm's shell execs it): it stops, and says so.
      let stopped = false;
      for (let i = 0; i < 100 && !stopped; i++) {
        stopped = await fetch(`${url}/healthz`).then(() => false, () => true);
        if (!stopped) await new Promise((r) => setTimeout(r, 100));
      }
      expect(stopped, out).toBe(true);
      await new Promise((r) => setTimeout(r, 300));
      expect(out).toMatch(/stopped/);
      expect(out).not.toMatch(/"level":(50|60)/);
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
    }
  }, 60_000);
});
