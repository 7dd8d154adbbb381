import { existsSync } from 'node:fs';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { loadMarkKeys } from '../marks/marks.js';
import { setTimeMark, unmarkedConsents } from '../marks/store.js';
import { signTimeMark } from '../marks/timeMark.js';
import { sha256File } from '../shared/files.js';
import { kstIso } from '../shared/time.js';

/**
 * npm run sign-existing-consents: one time, gives the consents recorded before time marks existed
 * their mark. Each mark's issuedAt is the time it is signed now, never the consent's time; a
 * consent whose file is gone or no longer matches its recorded hash is not signed (and said so).
 */
async function main(): Promise<number> {
  const config = loadConfig();
  const keys = await loadMarkKeys(config);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, embeddedPort: config.embeddedPgPort, poolSize: 2 });
  let signed = 0;
  let refused = 0;
  try {
    await migrate(db.pool);
    const pending = await unmarkedConsents(db.pool);
    console.log(`${pending.length} consent(s) without a time mark; signing with key ${keys.kid}`);
    for (const c of pending) {
      if (!existsSync(c.filePath)) {
        console.log(`NOT SIGNED ${c.verificationNumber} (consent ${c.id}): the file ${c.filePath} is missing`);
        refused++;
        continue;
      }
      const actual = await sha256File(c.filePath);
      if (actual !== c.fileSha256) {
        console.log(`NOT SIGNED ${c.verificationNumber} (consent ${c.id}): the file no longer matches its recorded SHA-256`);
        refused++;
        continue;
      }
      const issuedAt = new Date();
      const mark = await signTimeMark(keys, { ...c, sha256: c.fileSha256, fileSize: c.fileBytes }, issuedAt);
      if (await setTimeMark(db.pool, c.id, mark)) {
        signed++;
        console.log(`signed ${c.verificationNumber} (consent ${c.id}, consented ${kstIso(c.consentedAt)}) at ${kstIso(issuedAt)}, sha256 ${c.fileSha256}`);
      }
    }
    console.log(`done: ${signed} signed, ${refused} not signed, key ${keys.kid}`);
  } finally {
    await db.close();
  }
  return refused > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err instanceof ConfigError ? err.message : `sign-existing-consents: ${err.message}`);
    process.exit(1);
  },
);
