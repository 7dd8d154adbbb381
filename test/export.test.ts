import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/db/migrate.js';
import { exportBatch } from '../src/export/exporter.js';
import {
  bufferSource, readTransmission, transmissionProblems, writeTransmission, type BatchParams, type TransmissionConsent,
} from '../src/export/transmission.js';
import { freshDatabase } from './support/app.js';
import { storeConsent } from './support/consents.js';
import { until } from './support/callbacks.js';

const run = promisify(execFile);

const consent = (over: Partial<TransmissionConsent> = {}): TransmissionConsent => ({
  id: 'c1', methodCode: 5, fileExtension: 'mp3', fileBytes: 10, payerNumber: 'P1', bankCode: '081', accountNumber: '75023332200333',
  applicationDate: '20261122', holderIdKind: 'birthDate', holderId: '940424', organizationCode: '9912345678', verificationNumber: '1234567890123452',
  ...over,
});
const audio = (n: number, seed = 1) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));
const EI13: BatchParams = { format: 'ei13', organizationCode: '9912345678', date: '20261122' };
const sp = (n: number) => ' '.repeat(n);

describe('EI13 writer: byte-exact', () => {
  it('0 consents: header and trailer only', () => {
    const file = writeTransmission(EI13, []);
    const expected =
      'AE1112' + '11' + '0000000' + '20261122' + '9912345678' + sp(10) + '0000000' + sp(974) +
      'AE1112' + '33' + '9999999' + '9912345678' + sp(10) + '0000000' + '0000000000' + sp(972);
    expect(file.equals(Buffer.from(expected, 'latin1'))).toBe(true);
  });

  it('1 consent: the record, the audio, spaces to the block boundary', () => {
    const a = audio(10);
    const file = writeTransmission(EI13, [{ consent: consent(), audio: a }]);
    const record =
      'AE1112' + '22' + '0000001' + sp(10) + '9912345678' + sp(10) + 'P1' + sp(28) + '081' + '75023332200333' + sp(6) + '20261122' + '5' + 'mp3  ' + '0000010';
    expect(record.length).toBe(119);
    const expected = Buffer.concat([
      Buffer.from('AE1112' + '11' + '0000000' + '20261122' + '9912345678' + sp(10) + '0000001' + sp(974), 'latin1'),
      Buffer.from(record, 'latin1'),
      a,
      Buffer.from(sp(1024 - 119 - 10), 'latin1'),
      Buffer.from('AE1112' + '33' + '9999999' + '9912345678' + sp(10) + '0000001' + '0000000001' + sp(972), 'latin1'),
    ]);
    expect(file.equals(expected)).toBe(true);
  });

  it('3 consents, one ending exactly on a block boundary (no filler), one spanning blocks', () => {
    const exact = audio(1024 - 119, 2); // record + audio = one whole block
    const spanning = audio(3000, 3);
    const small = audio(5, 4);
    const file = writeTransmission(EI13, [
      { consent: consent({ id: 'a', payerNumber: 'A1', fileBytes: exact.length }), audio: exact },
      { consent: consent({ id: 'b', payerNumber: 'B2', methodCode: 4, fileBytes: spanning.length }), audio: spanning },
      { consent: consent({ id: 'c', payerNumber: 'C3', fileBytes: small.length }), audio: small },
    ]);
    // header 1 + exact 1 + spanning ceil(3119/1024)=4 + small 1 + trailer 1; 총 Data Block 수 = 8 − 2 = 6
    expect(file.length).toBe(8 * 1024);
    expect(file.subarray(1024 + 119, 2048).equals(exact)).toBe(true);
    expect(file.toString('latin1', 2048, 2048 + 8)).toBe('AE111222');
    expect(file.toString('latin1', 2048 + 9, 2048 + 15)).toBe('000002');
    expect(file.toString('latin1', 2048 + 106, 2048 + 107)).toBe('4');
    expect(file.toString('latin1', 2048 + 112, 2048 + 119)).toBe('0003000');
    expect(file.subarray(2048 + 119 + 3000, 6 * 1024).every((b) => b === 0x20)).toBe(true);
    expect(file.toString('latin1', 7 * 1024, 7 * 1024 + 52)).toBe('AE1112' + '33' + '9999999' + '9912345678' + sp(10) + '0000003' + '0000000006');
    expect(file.toString('latin1', 43, 50)).toBe('0000003');
  });
});

describe('FB0110 writer', () => {
  const FB: BatchParams = { format: 'fb0110', organizationCode: 'HANBIT01', date: '20261122', vanCode: '123', vanId: 'VANID', bankCode: '081' };

  it('byte-exact header, 400-byte record and trailer', () => {
    const a = audio(624); // 400 + 624 = exactly one block
    const file = writeTransmission(FB, [{ consent: consent({ organizationCode: 'HANBIT01', fileBytes: a.length }), audio: a }]);
    const header = 'H' + 'FB0110' + '123' + 'HANBIT01' + sp(12) + '20261122' + 'VANID' + sp(25) + '081' + '0000000001' + sp(943);
    const record =
      'D' + '0000000001' + sp(30) + '20261122' + '0' + '940424' + sp(7) + 'HANBIT01' + sp(12) + 'N' + sp(10) + 'P1' + sp(28) +
      '081' + '75023332200333' + sp(6) + '5' + 'mp3 ' + '0000624' + sp(200) + 'N' + sp(40);
    expect(record.length).toBe(400);
    const trailer = 'T' + 'FB0110' + '0000000001' + sp(1007);
    expect(file.equals(Buffer.concat([Buffer.from(header + record, 'latin1'), a, Buffer.from(trailer, 'latin1')]))).toBe(true);
  });

  it('round trip through the reader', async () => {
    const items = [1, 2, 3].map((i) => ({ consent: consent({ id: `x${i}`, payerNumber: `P${i}`, organizationCode: 'HANBIT01', fileBytes: 700 * i, holderIdKind: i === 2 ? 'businessNumber' : 'birthDate', holderId: i === 2 ? '2208162517' : '940424' }), audio: audio(700 * i, i) }));
    const r = await readTransmission(bufferSource(writeTransmission(FB, items)));
    expect(r.format).toBe('fb0110');
    expect(r.consents.map((c) => c.fields.payerNumber)).toEqual(['P1', 'P2', 'P3']);
    expect(r.consents[1]!.fields).toMatchObject({ idKind: '1', idNumber: '2208162517', traceNumber: '', terminated: 'N' });
    expect(r.consents.every((c) => !c.cancellation)).toBe(true);
    const { createHash } = await import('node:crypto');
    expect(r.consents.map((c) => c.sha256)).toEqual(items.map((x) => createHash('sha256').update(x.audio).digest('hex')));
  });
});

describe('reader', () => {
  it('round trip of EI13 and detection of damage', async () => {
    const items = [audio(905), audio(4000, 7)].map((a, i) => ({ consent: consent({ payerNumber: `Q${i}`, fileBytes: a.length }), audio: a }));
    const file = writeTransmission(EI13, items);
    const r = await readTransmission(bufferSource(file));
    expect(r.consents.map((c) => c.audioBytes)).toEqual([905, 4000]);
    expect(r.trailer.blocks).toBe('0000000006');
    const countingAll = Buffer.from(file);
    countingAll.write('0000000008', file.length - 1024 + 42, 'latin1'); // the old count, header and trailer included
    await expect(readTransmission(bufferSource(countingAll))).rejects.toThrow(/trailer counts 8 data blocks, the file has 6/);
    const cut = file.subarray(0, file.length - 1024);
    await expect(readTransmission(bufferSource(cut))).rejects.toThrow(/no trailer|blocks/);
    const badCount = Buffer.from(file);
    badCount.write('0000009', 43, 'latin1');
    await expect(readTransmission(bufferSource(badCount))).rejects.toThrow(/header counts 9/);
    const badPad = Buffer.from(file);
    badPad[2048 + 119 + 4000 + 3] = 0x41;
    await expect(readTransmission(bufferSource(badPad))).rejects.toThrow(/filler/);
  });
});

describe('checks before writing', () => {
  const cases: [Partial<TransmissionConsent>, RegExp][] = [
    [{ methodCode: 3 }, /method code 3/],
    [{ fileExtension: 'wav' }, /extension "wav" is not mp3/],
    [{ fileBytes: 307_201 }, /file size 307201/],
    [{ organizationCode: '1234567890' }, /10 digits starting with 99/],
    [{ bankCode: '999' }, /bank code 999/],
    [{ accountNumber: '1234-5678' }, /account number must be 1 to 20 digits/],
    [{ accountNumber: '1'.repeat(21) }, /account number/],
    [{ holderId: '941324' }, /birthdate is not a date/],
    [{ holderId: '9404241234567' }, /birthdate/],
    [{ holderIdKind: 'businessNumber', holderId: '2208162518' }, /business number/],
    [{ payerNumber: 'P-1' }, /payer number/],
  ];
  for (const [over, message] of cases) {
    it(`refuses ${JSON.stringify(over)}`, () => {
      const problems = transmissionProblems(consent(over), 'ei13');
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(message);
    });
  }
  it('firm-banking codes are up to 20 letters and digits; giro 7 digits', () => {
    expect(transmissionProblems(consent({ organizationCode: 'HANBIT01' }), 'fb0110')).toEqual([]);
    expect(transmissionProblems(consent({ organizationCode: 'HAN-BIT' }), 'fb0110')[0]).toMatch(/firm-banking/);
    expect(transmissionProblems(consent(), 'ei13')).toEqual([]);
  });
});

describe('export from stored consents', () => {
  let pool: pg.Pool;
  let databaseUrl: string;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ars-export-'));

  beforeAll(async () => {
    databaseUrl = await freshDatabase();
    pool = new pg.Pool({ connectionString: databaseUrl });
    await migrate(pool);
  });
  afterAll(async () => {
    await pool?.end();
  });

  it('exports ready consents once, marks them sent, and the same batch again gives the same bytes', async () => {
    const a = await storeConsent(pool, dir, audio(905), { payerNumber: 'E1', consentedAt: new Date('2026-11-22T01:00:00Z') });
    const b = await storeConsent(pool, dir, audio(5000, 9), { payerNumber: 'E2', consentedAt: new Date('2026-11-22T02:00:00Z') });
    await storeConsent(pool, dir, audio(100), { payerNumber: 'E3', status: 'evidence_failed' });
    await storeConsent(pool, dir, audio(100), { payerNumber: 'E4', applicationDate: '20261121' });
    const bad = await storeConsent(pool, dir, audio(100), { payerNumber: 'E5', accountNumber: '12-34', consentedAt: new Date('2026-11-22T04:00:00Z') });

    const out = path.join(dir, 'ei13-1.dat');
    const first = await exportBatch(pool, { ...EI13, out });
    expect(first.count).toBe(2);
    expect(first.excluded).toEqual([{ id: bad.id, payerNumber: 'E5', problems: ['the account number must be 1 to 20 digits'] }]);
    expect(statSync(out).mode & 0o777).toBe(0o600); // full account numbers: the owner only
    const r = await readTransmission(bufferSource(readFileSync(out)));
    expect(r.consents.map((c) => c.fields.payerNumber)).toEqual(['E1', 'E2']);
    expect(r.consents.map((c) => c.sha256)).toEqual([a.fileSha256, b.fileSha256]);
    const sent = await pool.query("SELECT payer_number FROM consents WHERE status = 'sent' ORDER BY payer_number");
    expect(sent.rows.map((x) => x.payer_number)).toEqual(['E1', 'E2']);

    // Nothing new but the excluded one: the excluded consent is reported again, and no batch is repeated.
    await pool.query("UPDATE consents SET status = 'evidence_failed' WHERE id = $1", [bad.id]);
    const again = path.join(dir, 'ei13-2.dat');
    const second = await exportBatch(pool, { ...EI13, out: again });
    expect(second.reexport).toBe(true);
    expect(second.batchId).toBe(first.batchId);
    expect(readFileSync(again).equals(readFileSync(out))).toBe(true);
  });

  it('an altered audio file stops the export and nothing is marked sent', async () => {
    const c = await storeConsent(pool, dir, audio(2000), { payerNumber: 'T1', applicationDate: '20261123' });
    const buf = readFileSync(c.filePath);
    buf[100] = buf[100]! ^ 0xff;
    writeFileSync(c.filePath, buf);
    const out = path.join(dir, 'tampered.dat');
    await expect(exportBatch(pool, { ...EI13, date: '20261123', out })).rejects.toThrow(/does not match its SHA-256/);
    const row = await pool.query('SELECT status FROM consents WHERE id = $1', [c.id]);
    expect(row.rows[0].status).toBe('ready');
    expect(() => readFileSync(out)).toThrow();
  });

  it('the CLI exports while the database is in use, and verify lists the consents', async () => {
    await storeConsent(pool, dir, audio(3000), { payerNumber: 'CLI1', applicationDate: '20261124' });
    await storeConsent(pool, dir, audio(1500), { payerNumber: 'CLI2', applicationDate: '20261124', consentedAt: new Date('2026-11-24T09:00:00Z') });
    const out = path.join(dir, 'cli.dat');
    const env = { ...process.env, DATABASE_URL: databaseUrl };
    const exported = await run('npx', ['tsx', 'src/cli/export.ts', 'ei13', '--org', '9912345678', '--date', '20261124', '--out', out], { env });
    expect(exported.stdout).toMatch(/batch \d+: 2 consents, 8192 bytes/);
    const verified = await run('npx', ['tsx', 'src/cli/export.ts', 'verify', out], { env });
    expect(verified.stdout).toContain('EI13 layout ok: organisation 9912345678, date 20261124, 2 consents, 8 blocks');
    expect(verified.stdout).toContain('matches the database: 2 records');
    expect(verified.stdout).toContain('payer CLI1');
    expect(verified.stdout).toContain('account **********0333');
    writeFileSync(path.join(dir, 'junk.dat'), 'hello');
    const junk = await run('npx', ['tsx', 'src/cli/export.ts', 'verify', path.join(dir, 'junk.dat')], { env }).catch((e) => e);
    expect(junk.code).toBe(1);
    expect(junk.stderr).toContain('not a valid transmission file');
    const usage = await run('npx', ['tsx', 'src/cli/export.ts', 'ei13', '--org', 'x'], { env }).catch((e) => e);
    expect(usage.code).toBe(2);
  }, 120_000);
});

describe('POST /api/exports', () => {
  it('streams the file, logs the export, and refuses bad input with the field', async () => {
    const { startTestApp, api } = await import('./support/app.js');
    const app = await startTestApp({ PIPELINE_WORKERS: 'false' });
    try {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'ars-api-export-'));
      const c = await storeConsent(app.db.pool, dir, audio(777), { payerNumber: 'API1', applicationDate: '20261125' });
      const res = await fetch(`${app.url}/api/exports`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${app.config.adminToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ format: 'ei13', organizationCode: '9912345678', date: '20261125' }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-export-count')).toBe('1');
      const file = Buffer.from(await res.arrayBuffer());
      const r = await readTransmission(bufferSource(file));
      expect(r.consents[0]!.sha256).toBe(c.fileSha256);
      // Issue 14: full account numbers are not kept on disk once streamed.
      const exportsDir = path.join(app.config.dataDir, 'exports');
      await until(() => !existsSync(exportsDir) || readdirSync(exportsDir).length === 0, 5000, 'the export file to be removed');
      const log = await app.db.pool.query("SELECT actor, action, target FROM access_log WHERE action = 'export'");
      expect(log.rows).toEqual([{ actor: 'admin-token', action: 'export', target: 'ei13:9912345678:20261125' }]);
      const bad = await api(app, 'POST', '/api/exports', { format: 'ei13', organizationCode: '9912345678', date: '2026-11-25' });
      expect(bad.status).toBe(400);
      expect(bad.json.field).toBe('date');
      expect((await api(app, 'POST', '/api/exports', { format: 'zip', organizationCode: '1', date: '20261125' })).json.field).toBe('format');
      // An altered audio file: the export is refused as before (409, error export_refused), through the one Refusal.
      const altered = await storeConsent(app.db.pool, dir, audio(888), { payerNumber: 'API2', applicationDate: '20261126' });
      writeFileSync(altered.filePath, audio(888).fill(7));
      const refused = await api(app, 'POST', '/api/exports', { format: 'ei13', organizationCode: '9912345678', date: '20261126' });
      expect(refused.status).toBe(409);
      expect(refused.json).toMatchObject({ error: 'export_refused', reason: expect.stringMatching(/does not match its SHA-256/) });
      await expect(app.db.pool.query('DELETE FROM access_log')).rejects.toThrow(/append-only/);
    } finally {
      await app.close();
    }
  });
});
