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

const USAGE = `usage:
  npm run export -- ei13 --org <CMS code> --date <YYYYMMDD> --out <file>
  npm run export -- fb0110 --org <code> --date <YYYYMMDD> --out <file> [--van-code <3>] [--van-id <id>] [--bank <3 digits>] [--sub-org <code>]
  npm run export -- verify <file>`;

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

async function verify(file: string): Promise<number> {
  const { src, close } = await fileSource(file);
  try {
    const r = await readTransmission(src);
    const org = r.header.organizationCode;
    const date = r.header.applicationDate ?? r.header.processingDate;
    console.log(`${r.format.toUpperCase()} ok: organisation ${org}, date ${date}, ${r.consents.length} consents, ${r.blocks} blocks of 1024 bytes`);
    for (const c of r.consents) {
      const f = c.fields;
      const account = maskAccountNumber(f.accountNumber!);
      console.log(
        `${String(c.serial).padStart(6)}  payer ${f.payerNumber}  bank ${f.bankCode}  account ${account}  method ${f.methodCode ?? f.evidenceKind}  ${f.fileExtension} ${c.audioBytes} B  sha256 ${c.sha256}`,
      );
    }
    return 0;
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
      bank: { type: 'string' }, 'sub-org': { type: 'string' },
    },
  });
  const [command, file] = positionals;
  if (command === 'verify' && file) return verify(file);
  if ((command !== 'ei13' && command !== 'fb0110') || !values.org || !values.out || !/^\d{8}$/.test(values.date ?? '')) {
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
        format: command, organizationCode: values.org, date: values.date!, out: values.out,
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
      `${result.reexport ? `re-exported batch ${result.batchId}` : result.batchId ? `batch ${result.batchId}` : 'empty file'}: ${result.count} consents, ${result.bytes} bytes, sha256 ${result.sha256} -> ${values.out}`,
    );
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
