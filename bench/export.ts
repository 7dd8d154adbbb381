import { runBench } from './scratch.js';
/**
 * npm run bench:export [-- --bytes 98304]
 *
 * Exports EI13 batches of 1,000 and 10,000 stored consents (each with its own audio file of
 * --bytes bytes) and prints the time, the file size and the process's peak RSS for each, so that
 * time and memory can be compared across batch sizes. Target: 10,000 in under 30 s, memory flat.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { startEmbeddedPostgres } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { exportBatch } from '../src/export/exporter.js';
import { freePort, machinePostgres } from './webhooks.js';
import { openPool, seedReadyConsents } from './store.js';

const { values } = parseArgs({ options: { bytes: { type: 'string', default: String(96 * 1024) } } });
const BYTES = Number(values.bytes);

async function seed(pool: pg.Pool, dir: string, date: string, n: number): Promise<void> {
  const audio = randomBytes(BYTES);
  const sha = createHash('sha256').update(audio).digest('hex');
  for (let start = 0; start < n; start += 1000) {
    const count = Math.min(1000, n - start);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const file = path.join(dir, `${date}-${start + i}.mp3`);
      writeFileSync(file, audio);
      ids.push(file);
    }
    await seedReadyConsents(pool, { count, seedKey: `${date}-${start}-`, date, files: ids, firstPayer: start, bytes: BYTES, sha256: sha });
  }
}

async function main(): Promise<void> {
  let url = await machinePostgres();
  let stop = async () => {};
  if (!url) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-export-pg-'));
    chmodSync(dataDir, 0o755);
    const embedded = await startEmbeddedPostgres(dataDir, await freePort());
    url = embedded.url;
    stop = embedded.stop;
  }
  const pool = openPool(url, 4);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-export-'));
  try {
    await migrate(pool);
    console.log(`bench:export: EI13, ${BYTES} bytes of audio a consent, ${url.includes(':5432/') ? 'real' : 'embedded'} PostgreSQL`);
    for (const [n, date] of [[1000, '20261101'], [10_000, '20261102']] as const) {
      await seed(pool, dir, date, n);
      let peak = process.memoryUsage().rss;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      const out = path.join(dir, `ei13-${n}.dat`);
      const rssBefore = process.memoryUsage().rss;
      const t0 = performance.now();
      const result = await exportBatch(pool, { format: 'ei13', organizationCode: '9912345678', date, out });
      const seconds = (performance.now() - t0) / 1000;
      clearInterval(sampler);
      console.log(
        `  ${String(n).padStart(6)} consents: ${seconds.toFixed(1)} s, ${(result.bytes / 1e6).toFixed(1)} MB file, peak RSS ${(peak / 1e6).toFixed(0)} MB (at start ${(rssBefore / 1e6).toFixed(0)} MB)` +
          `${n === 10_000 ? `  target < 30 s: ${seconds < 30 ? 'met' : 'NOT met'}` : ''}`,
      );
      if (result.count !== n) throw new Error(`exported ${result.count} of ${n}`);
      rmSync(out);
    }
  } finally {
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
    await stop();
  }
}

runBench(main);
