import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dropScratchDatabase } from './store.js';

/**
 * What a benchmark makes for itself and removes when it ends, whether it passes or fails:
 * temporary folders (every os.tmpdir() of this process and its children is one scratch folder)
 * and databases on the machine's PostgreSQL. Import it first.
 */

const scratch = mkdtempSync(path.join(os.tmpdir(), 'bench-scratch-'));
process.env.TMPDIR = scratch;
const databases: { admin: string; name: string }[] = [];

/** A database the benchmark made on a server; dropped at the end. */
export function scratchDatabase(adminUrl: string, name: string): void {
  databases.push({ admin: adminUrl, name });
}

async function cleanUp(): Promise<void> {
  for (const { admin, name } of databases.splice(0)) {
    try {
      await dropScratchDatabase(admin, name);
    } catch (err) {
      console.error(`could not drop the benchmark database ${name}: ${(err as Error).message}`);
    }
  }
  // A child's embedded PostgreSQL may still be shutting down: a second pass gets what it wrote last.
  for (let i = 0; i < 3; i++) {
    rmSync(scratch, { recursive: true, force: true });
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Runs a benchmark's main, cleans up, and exits with its outcome. */
export function runBench(main: () => Promise<void>): void {
  main().then(
    async () => {
      await cleanUp();
      process.exit(0);
    },
    async (err) => {
      console.error(err);
      await cleanUp();
      process.exit(1);
    },
  );
}
