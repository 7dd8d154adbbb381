import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportBatch } from '../src/export/exporter.js';
import { bufferSource, readTransmission, writeTransmission, type BatchParams, type TransmissionConsent } from '../src/export/transmission.js';
import { compareWithDatabase } from '../src/export/verifyFile.js';
import { purgeExpired } from '../src/jobs/retention.js';
import { api, startTestApp, TEST_ADMIN_TOKEN, type TestApp } from './support/app.js';
import { storeConsent } from './support/consents.js';

const run = promisify(execFile);
const sp = (n: number) => ' '.repeat(n);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const audio = (n: number, seed = 1) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 17 + seed) & 0xff));

const consent = (over: Partial<TransmissionConsent> = {}): TransmissionConsent => ({
  id: 'c1', methodCode: 5, fileExtension: 'mp3', fileBytes: 10, payerNumber: 'P1', bankCode: '088', accountNumber: '110123456789',
  applicationDate: '20261122', holderIdKind: 'birthDate', holderId: '940424', organizationCode: 'HANBIT01', verificationNumber: '1234567890123452',
  ...over,
});

describe('FB0110 writer: cancellations, header bank, trace numbers', () => {
  const FB: BatchParams = { format: 'fb0110', organizationCode: 'HANBIT01', date: '20261122', vanCode: 'VKN', bankCode: '081' };

  it('a cancellation record is the 400 bytes with 해지구분 Y, no evidence, then spaces to the block boundary; the reader reads it', async () => {
    const a = audio(700);
    const file = writeTransmission(FB, [
      { consent: consent({ fileBytes: a.length }), audio: a },
      { consent: consent({ id: 'c2', payerNumber: 'P2', applicationDate: '20261125', cancellation: true }), audio: Buffer.alloc(0) },
    ]);
    expect(file.length).toBe(1024 + 2048 + 1024 + 1024);
    const cancel = file.subarray(3072, 4096).toString('latin1');
    const expected =
      'D' + '0000000002' + sp(30) + '20261125' + '0' + '940424' + sp(7) + 'HANBIT01' + sp(12) + 'N' + sp(10) + 'P2' + sp(28) + '088' + '110123456789' + sp(8) +
      '5' + sp(4) + '0000000' + sp(200) + 'Y' + sp(40);
    expect(expected.length).toBe(400);
    expect(cancel).toBe(expected + sp(624));
    // The header names the records' bank (all 088), not the --bank given; the count holds both records.
    expect(file.toString('latin1', 68, 81)).toBe('088' + '0000000002');
    expect(file.toString('latin1', 1024 + 11, 1024 + 41)).toBe(sp(30)); // never our verification number
    const r = await readTransmission(bufferSource(file));
    expect(r.consents.map((c) => [c.cancellation, c.audioBytes, c.fields.terminated])).toEqual([[false, 700, 'N'], [true, 0, 'Y']]);
    const damaged = Buffer.from(file);
    damaged.write('0000001', 3072 + 152, 'latin1');
    await expect(readTransmission(bufferSource(damaged))).rejects.toThrow(/cancellation carries no evidence/);
  });

  it('mixed banks: the header bank is the one given; the trace number can come from the registration file', () => {
    const a = audio(10);
    const file = writeTransmission({ ...FB, registrationFile: { date: '20261121', sequence: 3, firstSerial: 41 } }, [
      { consent: consent({ fileBytes: 10 }), audio: a },
      { consent: consent({ id: 'c2', bankCode: '004', fileBytes: 10 }), audio: a },
    ]);
    expect(file.toString('latin1', 68, 71)).toBe('081');
    expect(file.toString('latin1', 1024 + 11, 1024 + 41)).toBe('20261121' + '003' + '0000041' + sp(12));
    expect(file.toString('latin1', 2048 + 11, 2048 + 41)).toBe('20261121' + '003' + '0000042' + sp(12));
  });
});

/** An FB0120 as the VAN writes it: header, the failed records (the FB0110 record's first 159 bytes and a code), trailer; CR LF after each. */
function fb0120(org: string, date: string, failed: { record: Buffer; code: string }[], counts: { total: number; normal?: number; errors?: number; headerCount?: number }): Buffer {
  const lines = [
    'H' + 'FB0120' + 'VKN' + org.padEnd(20) + date + sp(30) + '088' + String(counts.headerCount ?? failed.length).padStart(10, '0') + sp(319),
    ...failed.map((f) => f.record.toString('latin1', 0, 159) + f.code + sp(237)),
    'T' + 'FB0120' + String(counts.total).padStart(10, '0') + String(counts.normal ?? counts.total - failed.length).padStart(10, '0') +
      String(counts.errors ?? failed.length).padStart(10, '0') + sp(363),
  ];
  for (const l of lines) expect(l.length).toBe(400);
  return Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'latin1');
}

async function postResult(app: TestApp, body: Buffer, name: string) {
  const res = await fetch(`${app.url}/api/kftc-results`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'Content-Type': 'application/octet-stream', 'X-File-Name': name },
    body: new Uint8Array(body),
  });
  return { status: res.status, json: (await res.json()) as any };
}

describe('with the service', () => {
  let app: TestApp;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ars-kftc-'));

  beforeAll(async () => {
    app = await startTestApp({ PIPELINE_WORKERS: 'false' });
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const firm = { serviceType: 'firmBanking', organizationCode: 'HANBIT01', bankCode: '088', accountNumber: '110123456789' } as const;

  it('FB0110 export carries ended consents once as Y records; FB0120 results are matched, shown, filtered, and a rejected consent goes again after correction', async () => {
    const pool = app.db.pool;
    const a = await storeConsent(pool, dir, audio(900, 1), { ...firm, payerNumber: 'F1', applicationDate: '20261122', consentedAt: new Date('2026-11-22T01:00:00Z') });
    const b = await storeConsent(pool, dir, audio(1200, 2), { ...firm, payerNumber: 'F2', applicationDate: '20261122', consentedAt: new Date('2026-11-22T02:00:00Z') });
    const c = await storeConsent(pool, dir, audio(600, 3), { ...firm, payerNumber: 'F3', applicationDate: '20261122', consentedAt: new Date('2026-11-22T03:00:00Z') });
    const first = await exportBatch(pool, { format: 'fb0110', organizationCode: 'HANBIT01', date: '20261122', bankCode: '081', out: path.join(dir, 'fb1.dat') });
    expect([first.count, first.cancellations]).toEqual([3, 0]);
    const file1 = readFileSync(path.join(dir, 'fb1.dat'));
    expect(file1.toString('latin1', 68, 71)).toBe('088');

    // The auto-debit of F1 ends: the next FB0110 of the organisation reports it, once.
    expect((await api(app, 'POST', `/api/consents/${a.id}/end`, { endedOn: '2026-11-24' })).status).toBe(200);
    const second = await exportBatch(pool, { format: 'fb0110', organizationCode: 'HANBIT01', date: '20261125', out: path.join(dir, 'fb2.dat') });
    expect([second.count, second.cancellations]).toEqual([0, 1]);
    const read2 = await readTransmission(bufferSource(readFileSync(path.join(dir, 'fb2.dat'))));
    expect(read2.consents.map((x) => [x.cancellation, x.fields.payerNumber, x.fields.applicationDate])).toEqual([[true, 'F1', '20261124']]);
    expect((await compareWithDatabase(pool, read2, sha(readFileSync(path.join(dir, 'fb2.dat'))))).differences).toEqual([]);
    const reported = await pool.query('SELECT cancellation_batch_id FROM consents WHERE id = $1', [a.id]);
    expect(reported.rows[0].cancellation_batch_id).toBe(second.batchId);
    const third = await exportBatch(pool, { format: 'fb0110', organizationCode: 'HANBIT01', date: '20261126', out: path.join(dir, 'fb3.dat') });
    expect([third.batchId, third.count, third.cancellations]).toEqual([undefined, 0, 0]);

    // Counts that do not add up: refused whole, with the reason, nothing stored.
    const records = (await readTransmission(bufferSource(file1))).consents.map((x) => file1.subarray(x.audioOffset - 400, x.audioOffset));
    const bad = await postResult(app, fb0120('HANBIT01', '20261122', [{ record: records[1]!, code: '7121' }], { total: 3, normal: 1, errors: 1 }), 'bad.txt');
    expect(bad.status).toBe(422);
    expect(bad.json.reason).toBe('normal 1 + errors 1 is not the total 3');
    const headerCount = await postResult(app, fb0120('HANBIT01', '20261122', [], { total: 3, headerCount: 1 }), 'bad2.txt');
    expect(headerCount.json.reason).toMatch(/header counts 1 error records, the file holds 0/);
    expect((await pool.query('SELECT count(*)::int AS n FROM consent_registrations')).rows[0].n).toBe(0);

    // 0 errors: all accepted.
    const clean = await postResult(app, fb0120('HANBIT01', '20261122', [], { total: 3 }), 'FB0120-clean.txt');
    expect(clean.json).toMatchObject({ format: 'fb0120', total: 3, normal: 3, errors: 0, matched: 0, unmatched: [] });
    expect((await api(app, 'GET', `/api/consents/${b.id}`)).json.registration).toMatchObject({ status: 'accepted', code: '0000', reason: '정상', resultFile: 'FB0120-clean.txt' });

    // One 7121, one unknown code, and one record that matches nothing.
    const stranger = Buffer.from(records[2]!);
    stranger.write('ZZ9', 94, 'latin1');
    const withErrors = await postResult(
      app,
      fb0120('HANBIT01', '20261122', [{ record: records[1]!, code: '7121' }, { record: records[2]!, code: '7777' }, { record: stranger, code: '7107' }], { total: 3 }),
      'FB0120-errors.txt',
    );
    expect(withErrors.status).toBe(200);
    expect(withErrors.json).toMatchObject({ total: 3, normal: 0, errors: 3, matched: 2 });
    expect(withErrors.json.unmatched).toEqual([{ serial: 3, payerNumber: 'ZZ9', applicationDate: '20261122', code: '7107', reason: '납부자 번호 오류' }]);
    const shown = await api(app, 'GET', `/api/consents/${b.id}`);
    expect(shown.json.registration).toMatchObject({ status: 'rejected', code: '7121', reason: '증빙자료 크기 오류', resultFile: 'FB0120-errors.txt' });
    expect(shown.json.registration.receivedAt).toMatch(/\+09:00$/);
    expect((await api(app, 'GET', `/api/consents/${c.id}`)).json.registration).toMatchObject({ status: 'rejected', code: '7777', reason: '알 수 없는 응답코드' });
    expect((await api(app, 'GET', `/api/consents/${a.id}`)).json.registration).toMatchObject({ status: 'accepted' });
    const rejected = await api(app, 'GET', '/api/consents?registration=rejected');
    expect(rejected.json.consents.map((x: any) => x.payerNumber).sort()).toEqual(['F2', 'F3']);
    expect((await api(app, 'GET', '/api/consents?registration=maybe')).json.field).toBe('registration');

    // The consent page shows the code and its Korean meaning.
    const page = await pageAs(app, `/consents/${b.id}`);
    expect(page).toContain('응답코드 <code>7121</code> 증빙자료 크기 오류');

    // Corrected and resubmitted: it waits for the export of its date again and goes in a new batch.
    expect((await api(app, 'POST', `/api/consents/${a.id}/resubmit`, {})).status).toBe(409);
    const resubmitted = await api(app, 'POST', `/api/consents/${b.id}/resubmit`, { accountNumber: '110123456780' });
    expect(resubmitted.status).toBe(200);
    expect(resubmitted.json).toMatchObject({ status: 'ready', accountNumber: '110123456780', registration: { status: 'resubmitted' } });
    const again = await exportBatch(pool, { format: 'fb0110', organizationCode: 'HANBIT01', date: '20261122', out: path.join(dir, 'fb4.dat') });
    expect(again.count).toBe(1);
    const read4 = await readTransmission(bufferSource(readFileSync(path.join(dir, 'fb4.dat'))));
    expect(read4.consents[0]!.fields).toMatchObject({ payerNumber: 'F2', accountNumber: '110123456780' });
    const log = await pool.query("SELECT action FROM access_log WHERE target = $1 AND action <> 'view' ORDER BY id", [`consent:${b.id}`]);
    expect(log.rows.map((r) => r.action)).toEqual(['registration-rejected', 'resubmit']);
  });

  it('an organisation set to fill trace numbers from the registration file needs them at export; others may not give them', async () => {
    const pool = app.db.pool;
    await storeConsent(pool, dir, audio(500, 9), { ...firm, organizationCode: 'TRACE01', payerNumber: 'T1', applicationDate: '20261127' });
    const req = { format: 'fb0110' as const, organizationCode: 'TRACE01', date: '20261127', out: path.join(dir, 'trace.dat') };
    const registrationFile = { date: '20261126', sequence: 2, firstSerial: 7 };
    await expect(exportBatch(pool, { ...req, registrationFile })).rejects.toThrow(/leaves the trace number blank/);
    expect((await api(app, 'PUT', '/api/kftc-settings/TRACE01', { traceNumber: 'sometimes' })).json.field).toBe('traceNumber');
    expect((await api(app, 'PUT', '/api/kftc-settings/TRACE01', { traceNumber: 'registration' })).json).toEqual({ organizationCode: 'TRACE01', traceNumber: 'registration' });
    await expect(exportBatch(pool, req)).rejects.toThrow(/--registration-date/);
    expect((await exportBatch(pool, { ...req, registrationFile })).count).toBe(1);
    const r = await readTransmission(bufferSource(readFileSync(req.out)));
    expect(r.consents[0]!.fields.traceNumber).toBe('20261126' + '002' + '0000007');
  });

  it('a CMS file or junk is refused as not FB0120', async () => {
    const junk = await postResult(app, Buffer.from('AE111211' + sp(1016), 'latin1'), 'x');
    expect(junk.status).toBe(422);
    expect(junk.json.reason).toMatch(/CMS result file: its layout is not implemented/);
    expect((await postResult(app, Buffer.from('hello'), 'y')).json.reason).toMatch(/not an FB0120/);
  });

  it('legal hold: never purged while held, logged, shown and searchable; purged once released', async () => {
    const pool = app.db.pool;
    const held = await storeConsent(pool, dir, audio(300, 5), { payerNumber: 'H1' });
    await api(app, 'POST', `/api/consents/${held.id}/end`, { endedOn: '2019-01-10' });
    await pool.query(`INSERT INTO call_turns (call_sid, events) VALUES ($1, '[{"turn": 0, "step": "menu", "kind": "prompt"}]')`, [held.callSid]);
    expect((await api(app, 'POST', `/api/consents/${held.id}/hold`, {})).json.field).toBe('reason');
    const hold = await api(app, 'POST', `/api/consents/${held.id}/hold`, { reason: '분쟁: 민원 2026-118' });
    expect(hold.status).toBe(201);
    expect(hold.json.hold).toMatchObject({ reason: '분쟁: 민원 2026-118', heldBy: 'admin-token' });
    expect((await api(app, 'POST', `/api/consents/${held.id}/hold`, { reason: 'again' })).status).toBe(409);
    expect((await api(app, 'GET', '/api/consents?held=true')).json.consents.map((x: any) => x.id)).toEqual([held.id]);
    expect((await api(app, 'GET', `/api/consents/${held.id}`)).json.hold.reason).toBe('분쟁: 민원 2026-118');

    const { purged } = await purgeExpired(pool, 5, app.log, new Date('2026-11-22T00:00:00Z'));
    expect(purged).not.toContain(held.id);
    expect(existsSync(held.filePath)).toBe(true);
    expect((await pool.query('SELECT 1 FROM call_events WHERE call_sid = $1', [held.callSid])).rowCount).toBe(1);
    const page = await pageAs(app, `/consents/${held.id}`);
    expect(page).toContain('보존 중</strong>: 분쟁: 민원 2026-118');
    expect(await pageAs(app, '/consents?held=true')).toContain(`/consents/${held.id}`);

    expect((await api(app, 'POST', `/api/consents/${held.id}/release`)).json.hold).toBeNull();
    expect((await api(app, 'POST', `/api/consents/${held.id}/release`)).status).toBe(409);
    const log = await pool.query("SELECT action, detail FROM access_log WHERE target = $1 AND action <> 'view' ORDER BY id", [`consent:${held.id}`]);
    expect(log.rows.map((r) => [r.action, r.detail.reason ?? null])).toEqual([['end', null], ['hold', '분쟁: 민원 2026-118'], ['release', '분쟁: 민원 2026-118']]);
    expect((await purgeExpired(pool, 5, app.log, new Date('2026-11-22T00:00:00Z'))).purged).toContain(held.id);
    expect(existsSync(held.filePath)).toBe(false);
  });

  it('an audit package holds each MP3, the manifest (JSON and CSV) and the access log; every hash checks against the manifest', async () => {
    const pool = app.db.pool;
    const x = await storeConsent(pool, dir, audio(2500, 7), { payerNumber: 'AU1', accountNumber: '75023332200333' });
    const y = await storeConsent(pool, dir, audio(1800, 8), { payerNumber: 'AU2' });
    await api(app, 'POST', `/api/consents/${x.id}/verify`);
    const res = await fetch(`${app.url}/api/audit-packages`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ consentIds: [x.id, y.id] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    const zip = Buffer.from(await res.arrayBuffer());
    const files = await unzip(zip);
    expect(Object.keys(files).sort()).toEqual(['access-log.json', `audio/${x.id}.mp3`, `audio/${y.id}.mp3`, 'manifest.csv', 'manifest.json', 'manifest.json.sha256'].sort());
    expect(sha(files['manifest.json']!)).toBe(res.headers.get('x-manifest-sha256'));
    const manifest = JSON.parse(files['manifest.json']!.toString('utf8'));
    expect(manifest.count).toBe(2);
    for (const entry of manifest.consents) {
      expect(sha(files[entry.file]!)).toBe(entry.sha256);
      expect(entry.intact).toBe(true);
    }
    expect(manifest.consents[0]).toMatchObject({ consentId: x.id, accountNumber: '75023332200333', verificationNumber: x.verificationNumber, methodCode: 5, bankCode: '081', evidencePassed: true });
    const csv = files['manifest.csv']!.toString('utf8');
    expect(csv.split('\r\n')[1]).toContain(`"${x.id}","audio/${x.id}.mp3","9912345678"`);
    expect(csv).toContain('"75023332200333"');
    const accessLog = JSON.parse(files['access-log.json']!.toString('utf8'));
    expect(accessLog.chain.intact).toBe(true);
    expect(accessLog.consents[0].entries.map((e: any) => e.action)).toEqual(['verify']);
    const logged = await pool.query("SELECT actor, detail FROM access_log WHERE action = 'audit-package' AND target LIKE 'audit-package:%'");
    expect(logged.rows).toEqual([{ actor: 'admin-token', detail: { count: 2, consentIds: [x.id, y.id], manifestSha256: res.headers.get('x-manifest-sha256') } }]);

    // By filters, from the terminal; the manifest checksum is printed.
    const out = path.join(dir, 'pkg.zip');
    const cli = await run('npx', ['tsx', 'src/cli/auditPackage.ts', '--out', out, '--payer', 'AU2'], { env: { ...process.env, DATABASE_URL: app.config.databaseUrl } });
    const printed = /manifest.json sha256 ([0-9a-f]{64})/.exec(cli.stdout)![1];
    const fromCli = await unzip(readFileSync(out));
    expect(sha(fromCli['manifest.json']!)).toBe(printed);
    expect(JSON.parse(fromCli['manifest.json']!.toString()).consents.map((e: any) => e.consentId)).toEqual([y.id]);
    expect((await api(app, 'POST', '/api/audit-packages', { filters: { payerNumber: 'nobody' } })).status).toBe(404);
    expect((await api(app, 'POST', '/api/audit-packages', {})).json.field).toBe('consentIds');
  }, 120_000);

  it('export verify catches one changed byte in an MP3 and one changed account digit; --offline checks the layout only; the CLI names the dates waiting', async () => {
    const pool = app.db.pool;
    const env = { ...process.env, DATABASE_URL: app.config.databaseUrl };
    const v1 = await storeConsent(pool, dir, audio(3000, 11), { payerNumber: 'V1', applicationDate: '20261201' });
    const v2 = await storeConsent(pool, dir, audio(1000, 12), { payerNumber: 'V2', applicationDate: '20261201', consentedAt: new Date('2026-12-01T05:00:00Z') });
    const out = path.join(dir, 'v.dat');
    const cli = await run('npx', ['tsx', 'src/cli/export.ts', 'ei13', '--org', '9912345678', '--date', '20261130', '--out', out], { env });
    expect(cli.stderr).toMatch(/nothing is waiting for 20261130; consents of 9912345678 are waiting for: .*20261201 \(2\)/);
    await exportBatch(pool, { format: 'ei13', organizationCode: '9912345678', date: '20261201', out });
    const file = readFileSync(out);
    const read = await readTransmission(bufferSource(file));
    expect((await compareWithDatabase(pool, read, sha(file))).differences).toEqual([]);

    const mp3Changed = Buffer.from(file);
    const at = read.consents[0]!.audioOffset + 10;
    mp3Changed[at] = mp3Changed[at]! ^ 0x01;
    const tampered = path.join(dir, 'tampered.dat');
    writeFileSync(tampered, mp3Changed);
    const failed = await run('npx', ['tsx', 'src/cli/export.ts', 'verify', tampered], { env }).catch((e) => e);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('EI13 layout ok');
    expect(failed.stderr).toContain(`record 1 (consent ${v1.id}): the embedded file's SHA-256 is`);
    expect(failed.stderr).toContain('DIFFERS from the database: 1 differences in 1 records');

    const accountChanged = Buffer.from(file);
    const second = read.consents[1]!.audioOffset - 119;
    accountChanged.write('75023332200334', second + 78, 'latin1');
    const diff = await compareWithDatabase(pool, await readTransmission(bufferSource(accountChanged)), sha(accountChanged));
    expect(diff.differences).toEqual([{ serial: 2, consentId: v2.id, problem: 'accountNumber is "**********0334" in the file, "**********0333" in the database' }]);

    const offline = await run('npx', ['tsx', 'src/cli/export.ts', 'verify', tampered, '--offline'], { env });
    expect(offline.stdout).toContain('--offline: the layout only was checked, not compared with the database');
  }, 180_000);
});

async function pageAs(app: TestApp, pathname: string): Promise<string> {
  const { createUser } = await import('../src/users/users.js');
  await createUser(app.db.pool, { username: 'auditor18', password: 'correct-horse-battery', role: 'auditor' }).catch(() => undefined);
  const loginPage = await fetch(`${app.url}/login`);
  const cookie = loginPage.headers.get('set-cookie')!.split(';')[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(await loginPage.text())![1]!;
  const login = await fetch(`${app.url}/login`, {
    method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
    body: new URLSearchParams({ csrf, username: 'auditor18', password: 'correct-horse-battery' }).toString(),
  });
  const session = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return (await fetch(`${app.url}${pathname}`, { headers: { Cookie: session } })).text();
}

function unzip(buf: Buffer): Promise<Record<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const files: Record<string, Buffer> = {};
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            files[entry.fileName] = Buffer.concat(chunks);
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(files));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}
