import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import os from 'node:os';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { buildAuditPackage } from '../audit/auditPackage.js';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { isRefusal } from '../shared/refusal.js';

const USAGE = `usage:
  npm run audit-package -- --out <file.zip> --consent <id> [--consent <id> ...]
  npm run audit-package -- --out <file.zip> [--org <code>] [--from <YYYY-MM-DD>] [--to <YYYY-MM-DD>] [--payer <number>] [--status <status>]
                           [--held true|false] [--registration accepted|rejected|resubmitted|none]`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' }, consent: { type: 'string', multiple: true }, org: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' },
      payer: { type: 'string' }, status: { type: 'string' }, held: { type: 'string' }, registration: { type: 'string' },
    },
  });
  const filters = {
    ...(values.org ? { organizationCode: values.org } : {}), ...(values.from ? { from: values.from } : {}), ...(values.to ? { to: values.to } : {}),
    ...(values.payer ? { payerNumber: values.payer } : {}), ...(values.status ? { status: values.status } : {}), ...(values.held ? { held: values.held } : {}),
    ...(values.registration ? { registration: values.registration } : {}),
  };
  if (!values.out || (!values.consent?.length && Object.keys(filters).length === 0)) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig();
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, embeddedPort: config.embeddedPgPort, poolSize: 2 });
  const tmp = `${values.out}.${process.pid}.partial`;
  try {
    await migrate(db.pool);
    const pkg = await buildAuditPackage(db.pool, values.consent?.length ? { consentIds: values.consent } : { filters }, { actor: `cli:${os.userInfo().username}`, remote: undefined });
    await pipeline(pkg.zip, createWriteStream(tmp));
    await rename(tmp, values.out);
    console.log(`audit package: ${pkg.count} consents -> ${values.out}`);
    console.log(`manifest.json sha256 ${pkg.manifestSha256}`);
    return 0;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  } finally {
    await db.close();
  }
}

main()
  .then((code) => process.exit(code))
  .catch((err: Error) => {
    if (isRefusal(err)) console.error(`refused: ${err.field ? `${err.field} ` : ''}${err.reason}`);
    else console.error(err instanceof ConfigError ? err.message : `audit-package failed: ${err.message}`);
    process.exit(1);
  });
