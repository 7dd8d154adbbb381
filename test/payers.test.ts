import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, freshDatabase, startTestApp, type TestApp } from './support/app.js';

let app: TestApp;
let databaseUrl: string;

beforeAll(async () => {
  databaseUrl = await freshDatabase();
  app = await startTestApp({}, databaseUrl);
});
afterAll(async () => {
  await app?.close();
});

describe('POST /api/payers', () => {
  it('creates (201) and updates by payer number (200)', async () => {
    const p = { payerNumber: 'A1001', name: '홍길동', birthDate: '19940424', phone: '+82 10-1234-5678', amountDue: 1000 };
    const created = await api(app, 'POST', '/api/payers', p);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ payerNumber: 'A1001', phone: '+821012345678', amountDue: 1000 });
    const updated = await api(app, 'POST', '/api/payers', { ...p, name: '홍길순', amountDue: 2000 });
    expect(updated.status).toBe(200);
    expect((await api(app, 'GET', '/api/payers/A1001')).json).toMatchObject({ name: '홍길순', amountDue: 2000 });
  });

  it('answers a validation error with 400 naming the field and the reason', async () => {
    const good = { payerNumber: 'A1002', name: '김', birthDate: '19800102', phone: '+821099990000' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...good, birthDate: '19801302' }, 'birthDate'],
      [{ ...good, birthDate: '800102' }, 'birthDate'],
      [{ ...good, phone: '010-1234-5678' }, 'phone'],
      [{ ...good, payerNumber: 'A-1002' }, 'payerNumber'],
      [{ ...good, businessNumber: '1234567890' }, 'businessNumber'],
      [{ ...good, amountDue: -5 }, 'amountDue'],
      [{ ...good, name: undefined }, 'name'],
      [{ ...good, extra: 1 }, 'extra'],
    ];
    for (const [body, field] of cases) {
      const r = await api(app, 'POST', '/api/payers', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.field).toBe(field);
      expect(r.json.reason).toBeTruthy();
    }
    expect((await api(app, 'POST', '/api/payers', '{not json')).status).toBe(400);
    expect((await api(app, 'POST', '/api/payers', { ...good, businessNumber: '220-81-62517' })).status).toBe(201);
  });

  it('needs the bearer token', async () => {
    expect((await api(app, 'POST', '/api/payers', {}, 'wrong-token')).status).toBe(401);
    expect((await fetch(`${app.url}/api/payers/A1001`)).status).toBe(401);
  });
});

describe('CSV import CLI', () => {
  it('imports while the service runs, names each rejected line, updates existing payers', async () => {
    const file = path.join(os.tmpdir(), `payers-${Date.now()}.csv`);
    writeFileSync(
      file,
      '\uFEFFpayerNumber,name,birthDate,phone,businessNumber,amountDue\n' +
        'C1,이순신,19450428,+821011112222,,15000\n' +
        'C2,"주식회사 한빛",19700101,+8227001234,2208162517,\n' +
        'C3,잘못,19990231,+821011112222,,\n' +
        'A1001,홍길동,19940424,+821012345678,,3000\n',
    );
    const run = promisify(execFile);
    let stdout = '';
    let stderr = '';
    let code = 0;
    try {
      ({ stdout, stderr } = await run('npx', ['tsx', 'src/cli/importPayers.ts', file], { env: { ...process.env, DATABASE_URL: databaseUrl } }));
    } catch (err: any) {
      ({ stdout, stderr, code } = err);
    }
    expect(code).toBe(1);
    expect(stderr).toContain('line 4: birthDate');
    expect(stdout).toContain('imported 3 payers (2 new, 1 updated), rejected 1');
    expect((await api(app, 'GET', '/api/payers/C2')).json).toMatchObject({ businessNumber: '2208162517' });
    expect((await api(app, 'GET', '/api/payers/A1001')).json).toMatchObject({ amountDue: 3000 });
  });
});
