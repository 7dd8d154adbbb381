import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { supersedeOlder } from '../src/consents/store.js';
import { purgeExpired } from '../src/jobs/retention.js';
import { api, startTestApp, type TestApp } from './support/app.js';
import { storeConsent } from './support/consents.js';

let app: TestApp;
const dir = mkdtempSync(path.join(os.tmpdir(), 'ars-retention-'));

beforeAll(async () => {
  app = await startTestApp({ PIPELINE_WORKERS: 'false' });
});
afterAll(async () => {
  await app?.close();
});

describe('retention (R7)', () => {
  it('purges, with their audio and call, the consents 5 years past their end or supersession, keeps the rest, and logs each purge', async () => {
    const pool = app.db.pool;
    const old = await storeConsent(pool, dir, Buffer.from('old'), { payerNumber: 'R1' });
    const recent = await storeConsent(pool, dir, Buffer.from('recent'), { payerNumber: 'R2' });
    const live = await storeConsent(pool, dir, Buffer.from('live'), { payerNumber: 'R3' });
    expect((await api(app, 'POST', `/api/consents/${old.id}/end`, { endedOn: '2020-01-10' })).json.endedAt).toBe('2020-01-10T00:00:00+09:00');
    expect((await api(app, 'POST', `/api/consents/${recent.id}/end`, { endedOn: '2023-06-01' })).status).toBe(200);
    expect((await api(app, 'POST', `/api/consents/${live.id}/end`, { endedOn: '2999-01-01' })).status).toBe(400);
    await pool.query(`INSERT INTO call_turns (call_sid, events) VALUES ($1, '[{"turn": 0, "step": "menu", "kind": "prompt"}]')`, [old.callSid]);
    // The old call was also an agent's marked part, placed for a website's consent request.
    const agentConsent = '00000000-0000-4000-8000-00000000aaaa';
    await pool.query(
      `INSERT INTO agent_consents (id, call_sid, agent, payer_number, holder_name, birth_date, bank_code, account_number, scenario_id, script, recording_sid, state)
       VALUES ($1, $2, 'agent1', 'R1', '홍길동', '19940424', '081', '75023332200333', 'default', 'script', $3, 'consented')`,
      [agentConsent, old.callSid, old.recordingSid],
    );
    await pool.query("INSERT INTO agent_consent_events (agent_consent_id, kind, actor) VALUES ($1, 'start', 'agent1')", [agentConsent]);
    const request = '00000000-0000-4000-8000-00000000bbbb';
    await pool.query(
      `INSERT INTO consent_requests (id, organization_code, scenario_id, payer_number, holder_name, birth_date, phone, bank_code, account_number, code, not_before, requested_by, call_sid, callback_url)
       VALUES ($1, '9912345678', 'default', 'R1', '홍길동', '19940424', '+821012345678', '081', '75023332200333', '42', now(), 'admin-token', $2, 'https://org.example/cb')`,
      [request, old.callSid],
    );
    await pool.query('INSERT INTO consent_request_deliveries (request_id, attempt, http_status) VALUES ($1, 1, 200)', [request]);

    const { purged } = await purgeExpired(pool, 5, app.log, new Date('2026-11-22T00:00:00Z'));
    expect(purged).toEqual([old.id]);
    expect(existsSync(old.filePath)).toBe(false);
    expect(existsSync(recent.filePath)).toBe(true);
    expect((await pool.query('SELECT 1 FROM calls WHERE call_sid = $1', [old.callSid])).rowCount).toBe(0);
    expect((await pool.query('SELECT 1 FROM call_events WHERE call_sid = $1', [old.callSid])).rowCount).toBe(0);
    expect((await pool.query('SELECT 1 FROM agent_consents WHERE call_sid = $1', [old.callSid])).rowCount).toBe(0);
    expect((await pool.query('SELECT 1 FROM consent_requests WHERE call_sid = $1', [old.callSid])).rowCount).toBe(0);
    const logged = await pool.query("SELECT actor, detail FROM access_log WHERE action = 'purge'");
    expect(logged.rows).toHaveLength(1);
    expect(logged.rows[0]).toMatchObject({ actor: 'retention', detail: { reason: 'ended', sha256: old.fileSha256, years: 5 } });
    expect(JSON.stringify(logged.rows)).not.toContain('75023332200333');
    await pool.query(`INSERT INTO call_turns (call_sid, events) VALUES ($1, '[{"turn": 0, "step": "menu", "kind": "prompt"}]')`, [recent.callSid]);
    await expect(pool.query('DELETE FROM call_turns WHERE call_sid = $1', [recent.callSid])).rejects.toThrow(/append-only/);
    expect((await api(app, 'GET', '/api/access-log/verify')).json.intact).toBe(true);
  });

  it('a newer consent supersedes the older ones of the same payer and organisation', async () => {
    const pool = app.db.pool;
    const first = await storeConsent(pool, dir, Buffer.from('a'), { payerNumber: 'S1', consentedAt: new Date('2026-01-01T00:00:00Z') });
    const other = await storeConsent(pool, dir, Buffer.from('b'), { payerNumber: 'S2', consentedAt: new Date('2026-01-01T00:00:00Z') });
    const second = await storeConsent(pool, dir, Buffer.from('c'), { payerNumber: 'S1', consentedAt: new Date('2026-06-01T00:00:00Z') });
    expect(await supersedeOlder(pool, { id: second.id, payerNumber: 'S1', organizationCode: '9912345678', consentedAt: second.consentedAt })).toBe(1);
    const rows = await pool.query('SELECT id, superseded_at FROM consents WHERE id = ANY($1::uuid[])', [[first.id, other.id, second.id]]);
    const superseded = Object.fromEntries(rows.rows.map((r) => [r.id, r.superseded_at !== null]));
    expect(superseded).toEqual({ [first.id]: true, [other.id]: false, [second.id]: false });
  });
});
