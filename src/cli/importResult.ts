import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { importResult } from '../export/resultImport.js';
import { isRefusal } from '../shared/refusal.js';

/** npm run import-result -- <file>: reads an FB0120 result file and stores each consent's registration result. */

async function main(): Promise<number> {
  const file = process.argv[2];
  if (!file || process.argv.length > 3) {
    console.error('usage: npm run import-result -- <FB0120 file>');
    return 2;
  }
  const bytes = await readFile(file);
  const config = loadConfig();
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, embeddedPort: config.embeddedPgPort, poolSize: 2 });
  try {
    await migrate(db.pool);
    const answer = await importResult(db.pool, { bytes, name: path.basename(file), actor: `cli:${os.userInfo().username}`, remote: undefined });
    console.log(JSON.stringify(answer, null, 2));
    for (const u of answer.unmatched) console.error(`unmatched: record ${u.serial}, payer ${u.payerNumber}, ${u.applicationDate}: ${u.code} ${u.reason}`);
    return answer.unmatched.length ? 3 : 0;
  } finally {
    await db.close();
  }
}

main()
  .then((code) => process.exit(code))
  .catch((err: Error) => {
    if (isRefusal(err)) console.error(`refused, nothing stored: ${err.reason}${err.koreanMessage ? ` (${err.koreanMessage})` : ''}`);
    else console.error(err instanceof ConfigError ? err.message : `import-result failed: ${err.message}`);
    process.exit(1);
  });
