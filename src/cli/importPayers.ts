import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { ConfigError, loadConfig } from '../config.js';
import { payerInputSchema } from '../payers/payers.js';
import { upsertPayer } from '../payers/store.js';
import { firstProblem } from '../shared/problems.js';
import { openDatabase } from '../db/database.js';
import { migrate } from '../db/migrate.js';

/**
 * npm run import-payers -- payers.csv
 * A CSV with a header row: payerNumber,name,birthDate,phone[,businessNumber][,amountDue].
 * Valid rows are imported (the same payer number again updates it); each rejected row is named
 * with its line, field and reason. Works while the service runs, the embedded database included.
 */
export async function importPayersCsv(file: string, databaseUrl: string | undefined, dataDir: string, embeddedPort: number, out = console) {
  const db = await openDatabase({ databaseUrl, dataDir, embeddedPort, poolSize: 2 });
  let created = 0;
  let updated = 0;
  const rejected: string[] = [];
  try {
    await migrate(db.pool);
    const rows = createReadStream(file).pipe(parse({ columns: (h: string[]) => h.map((c) => c.trim()), bom: true, skip_empty_lines: true, trim: true, info: true }));
    for await (const { record, info } of rows as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      const raw: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(record)) if (v !== '') raw[k] = v;
      if (typeof raw.amountDue === 'string') raw.amountDue = /^\d+$/.test(raw.amountDue) ? Number(raw.amountDue) : raw.amountDue;
      const parsed = payerInputSchema.safeParse(raw);
      if (!parsed.success) {
        const { field, reason } = firstProblem(parsed.error);
        rejected.push(`line ${info.lines}: ${field} ${reason}`);
        continue;
      }
      if (await upsertPayer(db.pool, parsed.data)) created++;
      else updated++;
    }
  } finally {
    await db.close();
  }
  for (const r of rejected) out.error(r);
  out.log(`imported ${created + updated} payers (${created} new, ${updated} updated), rejected ${rejected.length}`);
  return { created, updated, rejected };
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file || file.startsWith('-')) {
    console.error('usage: npm run import-payers -- <file.csv>');
    process.exit(2);
  }
  const config = loadConfig();
  const result = await importPayersCsv(file, config.databaseUrl, config.dataDir, config.embeddedPgPort);
  process.exit(result.rejected.length > 0 ? 1 : 0);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: Error) => {
    console.error(err instanceof ConfigError ? err.message : `import failed: ${err.message}`);
    process.exit(1);
  });
}

