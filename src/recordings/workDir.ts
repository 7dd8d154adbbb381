import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The encoder's scratch space: RECORDINGS_DIR/.work/<host>-<pid>. A process killed while encoding
 * leaves its folder behind; the next process on the same host removes the folders of processes
 * that are gone (never those of one still running, which may share RECORDINGS_DIR).
 */
export function prepareWorkDir(recordingsDir: string): string {
  const root = path.join(recordingsDir, '.work');
  mkdirSync(root, { recursive: true });
  const host = os.hostname().replace(/[^A-Za-z0-9.-]/g, '_');
  for (const name of readdirSync(root)) {
    const m = new RegExp(`^${host.replace(/\./g, '\\.')}-(\\d+)$`).exec(name);
    if (!m || Number(m[1]) === process.pid) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') rmSync(path.join(root, name), { recursive: true, force: true });
    }
  }
  const mine = path.join(root, `${host}-${process.pid}`);
  mkdirSync(mine, { recursive: true });
  return mine;
}
