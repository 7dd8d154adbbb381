import { open } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { ConfigError, loadConfig } from '../config.js';
import { maskAccountNumber } from '../shared/mask.js';
import { openDatabase } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { exportBatch } from '../export/exporter.js';
import { isRefusal } from '../shared/refusal.js';
import { LayoutError } from '../export/layouts.js';
import { readTransmission, type ByteSource } from '../export/transmission.js';
import { compareWithDatabase, sha256Of } from '../export/verifyFile.js';
import { kstDate } from '../shared/time.js';

const USAGE = `usage:
  npm run export -- ei13 --org <CMS code> [--date <YYYYMMDD>] --out <file>
  npm run export -- fb0110 --org <code> [--date <YYYYMMDD>] --out <file> [--van-code <3>] [--van-id <id>] [--bank <3 digits>] [--sub-org <code>]
                   [--registration-date <YYYYMMDD> --registration-sequence <0-999> [--registration-serial <first serial, 1>]]
  npm run export -- verify <file> [--offline]
--date defaults to today in Korea time.`;

async function fileSource(file: string): Promise<{ src: ByteSource; close: () => Promise<void> }> {
  const handle = await open(file, 'r');
  const { size } = await handle.stat();
  return {
    src: {
      size,
      async read(offset, length) {
        const buf = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buf, 0, length, offset);
        return buf.subarray(0, bytesRead);
      },
    },
    close: () => handle.close(),
  };
}

async function verify(file: string, offline: boolean): Promise<number> {
  const { src, close } = await fileSource(file);
  try {
    const r = await readTransmission(src);
    const org = r.header.organizationCode;
    const date = r.header.applicationDate ?? r.header.processingDate;
    const cancellations = r.consents.filter((c) => c.cancellation).length;
    console.log(
      `${r.format.toUpperCase()} layout ok: organisation ${org}, date ${date}, ${r.consents.length} consents${cancellations ? ` (${cancellations} cancellations)` : ''}, ${r.blocks} blocks of 1024 bytes`,
    );
    for (const c of r.consents) {
      const f = c.fields;
      const account = maskAccountNumber(f.accountNumber!);
      console.log(
        `${String(c.serial).padStart(6)}  payer ${f.payerNumber}  bank ${f.bankCode}  account ${account}  method ${f.methodCode ?? f.evidenceKind}  ${
          c.cancellation ? 'cancellation (해지), no evidence' : `${f.fileExtension} ${c.audioBytes} B  sha256 ${c.sha256}`
        }`,
      );
    }
    if (offline) {
      console.log('--offline: the layout only was checked, not compared with the database');
      return 0;
    }
    let db: Awaited<ReturnType<typeof openDatabase>>;
    try {
      const config = loadConfig();
      db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, embeddedPort: config.embeddedPgPort, poolSize: 2 });
    } catch (err) {
      console.error(`the database could not be reached (${(err as Error).message}): the layout only was checked, not compared with the database`);
      return 0;
    }
    try {
      const compared = await compareWithDatabase(db.pool, r, await sha256Of(src));
      const where = compared.batchId ? `batch ${compared.batchId}${compared.sameBytesAsBatch ? ' (same bytes)' : ' (the bytes differ from the batch as exported)'}` : 'no batch of this file found';
      if (compared.differences.length === 0) {
        console.log(`matches the database: ${r.consents.length} records, every field and SHA-256; ${where}`);
        return 0;
      }
      for (const d of compared.differences) console.error(`record ${d.serial}${d.consentId ? ` (consent ${d.consentId})` : ''}: ${d.problem}`);
      console.error(`DIFFERS from the database: ${compared.differences.length} differences in ${new Set(compared.differences.map((d) => d.serial)).size} records; ${where}`);
      return 1;
    } finally {
      await db.close();
    }
  } catch (err) {
    if (err instanceof LayoutError) {
      console.error(`${file}: not a valid transmission file: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await close();
  }
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      org: { type: 'string' }, date: { type: 'string' }, out: { type: 'string' }, 'van-code': { type: 'string' }, 'van-id': { type: 'string' },
      bank: { type: 'string' }, 'sub-org': { type: 'string' }, offline: { type: 'boolean' }, 'registration-date': { type: 'string' },
      'registration-sequence': { type: 'string' }, 'registration-serial': { type: 'string' },
    },
  });
  const [command, file] = positionals;
  if (command === 'verify' && file) return verify(file, values.offline === true);
  const date = values.date ?? kstDate(new Date());
  const registration = values['registration-date'] ?? values['registration-sequence'] ?? values['registration-serial'];
  const registrationOk =
    registration === undefined ||
    (/^\d{8}$/.test(values['registration-date'] ?? '') && /^\d{1,3}$/.test(values['registration-sequence'] ?? '') && /^\d{0,7}$/.test(values['registration-serial'] ?? ''));
  if ((command !== 'ei13' && command !== 'fb0110') || !values.org || !values.out || !/^\d{8}$/.test(date) || !registrationOk) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig();
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, embeddedPort: config.embeddedPgPort, poolSize: 3 });
  let bar: cliProgress.SingleBar | undefined;
  try {
    await migrate(db.pool);
    const result = await exportBatch(
      db.pool,
      {
        format: command, organizationCode: values.org, date, out: values.out,
        ...(registration !== undefined
          ? { registrationFile: { date: values['registration-date']!, sequence: Number(values['registration-sequence']), firstSerial: Number(values['registration-serial'] || 1) } }
          : {}),
        ...(values['van-code'] ? { vanCode: values['van-code'] } : {}), ...(values['van-id'] ? { vanId: values['van-id'] } : {}),
        ...(values.bank ? { bankCode: values.bank } : {}), ...(values['sub-org'] ? { subOrganizationCode: values['sub-org'] } : {}),
      },
      (done, total) => {
        if (total < 200 || !process.stderr.isTTY) return;
        if (!bar) {
          bar = new cliProgress.SingleBar({ stream: process.stderr, format: 'exporting [{bar}] {value}/{total} consents' }, cliProgress.Presets.shades_classic);
          bar.start(total, 0);
        }
        bar.update(done);
      },
    );
    bar?.stop();
    for (const x of result.excluded) console.error(`excluded consent ${x.id} (payer ${x.payerNumber}): ${x.problems.join('; ')}`);
    console.log(
      `${result.reexport ? `re-exported batch ${result.batchId}` : result.batchId ? `batch ${result.batchId}` : 'empty file'}: ${result.count} consents${
        result.cancellations ? ` and ${result.cancellations} cancellations` : ''
      }, ${result.bytes} bytes, sha256 ${result.sha256} -> ${values.out}`,
    );
    if (!result.batchId) {
      console.error(
        result.waiting.length
          ? `nothing is waiting for ${date}; consents of ${values.org} are waiting for: ${result.waiting.map((w) => `${w.date} (${w.count})`).join(', ')}`
          : `nothing is waiting for ${date}, nor for any other date, for ${values.org}`,
      );
    }
    return result.excluded.length > 0 ? 3 : 0;
  } finally {
    bar?.stop();
    await db.close();
  }
}

main()
  .then((code) => process.exit(code))
  .catch((err: Error) => {
    console.error(err instanceof ConfigError || isRefusal(err) ? err.message : `export failed: ${err.message}`);
    process.exit(1);
  });
