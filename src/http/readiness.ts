import { randomBytes } from 'node:crypto';
import { rm, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import express from 'express';
import type { Db } from '../db/database.js';
import { pendingMigrations } from '../db/migrate.js';

/**
 * GET /readyz: 200 only when this process can take work: the database answers within 1 s with
 * every migration applied, and RECORDINGS_DIR is writable with room for a few recordings; 503 with
 * the reasons otherwise. /healthz stays the liveness check (the process runs).
 */

export type ReadinessDeps = { db: Db; recordingsDir: string; minFreeBytes: number; databaseWithinMs?: number };

function within<T>(ms: number, work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    work.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]);
}

export async function readinessProblems(deps: ReadinessDeps): Promise<string[]> {
  const problems: string[] = [];
  try {
    const pending = await within(deps.databaseWithinMs ?? 1000, pendingMigrations(deps.db), 'the database');
    if (pending.length) problems.push(`migrations not applied: ${pending.join(', ')}`);
  } catch (err) {
    problems.push((err as Error).message);
  }
  const probe = path.join(deps.recordingsDir, `.readyz-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(probe, 'ok');
  } catch (err) {
    problems.push(`RECORDINGS_DIR ${deps.recordingsDir} is not writable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  } finally {
    await rm(probe, { force: true }).catch(() => {});
  }
  try {
    const fs = await statfs(deps.recordingsDir);
    const free = fs.bavail * fs.bsize;
    if (free < deps.minFreeBytes) problems.push(`RECORDINGS_DIR ${deps.recordingsDir} has ${free} bytes free; ${deps.minFreeBytes} needed for a few recordings`);
  } catch (err) {
    problems.push(`RECORDINGS_DIR ${deps.recordingsDir} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return problems;
}

export function readinessRoute(deps: ReadinessDeps): express.Router {
  const router = express.Router();
  router.get('/readyz', async (_req, res) => {
    const problems = await readinessProblems(deps);
    res.status(problems.length ? 503 : 200).json(problems.length ? { ready: false, reasons: problems } : { ready: true });
  });
  return router;
}
