import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestApp, type TestApp } from './support/app.js';
import { storeConsent } from './support/consents.js';

let app: TestApp;
const tokens: Record<string, string> = {};
let consentId = '';

beforeAll(async () => {
  app = await startTestApp({ PIPELINE_WORKERS: 'false' });
  for (const role of ['admin', 'agent', 'auditor', 'integration']) {
    // ADMIN_TOKEN creates the first admin; that admin's token creates the others.
    const organization = role === 'integration' ? { organizationCode: '9912345678' } : {};
    expect((await api(app, 'POST', '/api/users', { username: `${role}1`, password: `${role}-password-123`, role, ...organization }, tokens.admin)).status).toBe(201);
    const t = await api(app, 'POST', '/api/tokens', { username: `${role}1`, password: `${role}-password-123`, name: 'test' }, 'none');
    expect(t.status).toBe(201);
    tokens[role] = t.json.token;
  }
  consentId = (await storeConsent(app.db.pool, mkdtempSync(path.join(os.tmpdir(), 'ars-roles-')), Buffer.from('audio'))).id;
});
afterAll(async () => {
  await app?.close();
});

describe('roles on the JSON API', () => {
  it('each endpoint answers each role as it should, and nobody gets 401', async () => {
    const payer = { payerNumber: 'U1', name: '홍길동', birthDate: '19940424', phone: '+821012345678' };
    const cases: [string, string, unknown, Record<string, number>][] = [
      ['POST', '/api/payers', payer, { admin: 200, agent: 403, auditor: 403, integration: 403 }],
      ['GET', '/api/payers/U1', undefined, { admin: 200, agent: 200, auditor: 403, integration: 403 }],
      ['GET', '/api/payers?q=U1', undefined, { admin: 200, agent: 200, auditor: 403, integration: 403 }],
      ['GET', '/api/consents', undefined, { admin: 200, agent: 403, auditor: 200, integration: 403 }],
      ['GET', `/api/consents/${consentId}`, undefined, { admin: 200, agent: 403, auditor: 200, integration: 403 }],
      ['GET', `/api/consents/${consentId}/audio`, undefined, { admin: 200, agent: 403, auditor: 200, integration: 403 }],
      ['POST', `/api/consents/${consentId}/verify`, {}, { admin: 200, agent: 403, auditor: 200, integration: 403 }],
      ['POST', `/api/consents/${consentId}/end`, {}, { admin: 200, agent: 403, auditor: 403, integration: 403 }],
      ['GET', '/api/access-log/verify', undefined, { admin: 200, agent: 403, auditor: 200, integration: 403 }],
      ['GET', '/api/users', undefined, { admin: 200, agent: 403, auditor: 403, integration: 403 }],
      ['POST', '/api/users', { username: 'x1', password: 'short', role: 'agent' }, { admin: 400, agent: 403, auditor: 403, integration: 403 }],
      ['POST', '/api/consent-requests', { phone: 'x' }, { admin: 400, agent: 403, auditor: 403, integration: 400 }],
      ['GET', '/api/consent-requests/00000000-0000-4000-8000-000000000000', undefined, { admin: 404, agent: 403, auditor: 404, integration: 404 }],
      ['GET', '/api/organizations/9912345678/callback-secret', undefined, { admin: 200, agent: 403, auditor: 403, integration: 403 }],
      ['GET', '/api/agent/calls', undefined, { admin: 200, agent: 200, auditor: 403, integration: 403 }],
      ['POST', '/api/agent-consents', {}, { admin: 400, agent: 400, auditor: 403, integration: 403 }],
      ['POST', '/api/agent-consents/00000000-0000-4000-8000-000000000000/consented', {}, { admin: 404, agent: 404, auditor: 403, integration: 403 }],
      ['POST', '/api/kftc-results', {}, { admin: 400, agent: 403, auditor: 403, integration: 403 }],
      ['POST', '/api/audit-packages', {}, { admin: 400, agent: 403, auditor: 400, integration: 403 }],
      ['POST', '/api/consents/00000000-0000-4000-8000-000000000000/hold', { reason: 'x' }, { admin: 404, agent: 403, auditor: 403, integration: 403 }],
      ['POST', '/api/consents/00000000-0000-4000-8000-000000000000/release', {}, { admin: 404, agent: 403, auditor: 403, integration: 403 }],
      ['POST', '/api/consents/00000000-0000-4000-8000-000000000000/resubmit', {}, { admin: 404, agent: 403, auditor: 403, integration: 403 }],
      ['PUT', '/api/kftc-settings/HANBIT01', { traceNumber: 'blank' }, { admin: 200, agent: 403, auditor: 403, integration: 403 }],
    ];
    for (const [method, url, body, expected] of cases) {
      for (const role of ['admin', 'agent', 'auditor', 'integration'] as const) {
        const r = await api(app, method, url, body, tokens[role]);
        expect(r.status === 201 ? 200 : r.status, `${role} ${method} ${url}`).toBe(expected[role]);
      }
      expect((await api(app, method, url, body, 'ars_not-a-token')).status, `nobody ${method} ${url}`).toBe(401);
    }
  });

  it('organisation scoping: an integration user reads its organisation\'s requests only; another organisation\'s is 404', async () => {
    await api(app, 'POST', '/api/payers', { payerNumber: 'U2', name: '김영희', birthDate: '19800102', phone: '+821099990000' }, tokens.admin);
    const made = await api(app, 'POST', '/api/consent-requests', { payerNumber: 'U2', phone: '+821099990000', bankCode: '088', accountNumber: '110123456789' }, tokens.integration);
    expect(made.status, made.text).toBe(201);
    expect(made.json.organizationCode).toBe('9912345678');
    expect((await api(app, 'POST', '/api/users', { username: 'other-site', password: 'other-site-password', role: 'integration', organizationCode: 'HANBIT02' }, tokens.admin)).status).toBe(201);
    const other = (await api(app, 'POST', '/api/tokens', { username: 'other-site', password: 'other-site-password' }, 'none')).json.token;
    const cases: [string, number][] = [[tokens.admin!, 200], [tokens.auditor!, 200], [tokens.integration!, 200], [other, 404], [tokens.agent!, 403]];
    for (const [token, expected] of cases) expect((await api(app, 'GET', `/api/consent-requests/${made.json.id}`, undefined, token)).status).toBe(expected);
    // The other organisation has no scenario here: it cannot make a request at all.
    const refused = await api(app, 'POST', '/api/consent-requests', { payerNumber: 'U2', phone: '+821099990000', bankCode: '088', accountNumber: '110123456789' }, other);
    expect(refused.status).toBe(400);
    expect(refused.json.field).toBe('scenario');
  });

  it('the access log names the user who replayed', async () => {
    await (await fetch(`${app.url}/api/consents/${consentId}/audio`, { headers: { Authorization: `Bearer ${tokens.auditor}` } })).arrayBuffer();
    const log = (await api(app, 'GET', `/api/consents/${consentId}/access-log`, undefined, tokens.admin)).json.entries;
    expect(log.some((e: any) => e.action === 'download' && e.actor === 'auditor1')).toBe(true);
  });

  it('passwords are hashed with scrypt; five wrong passwords lock the account', async () => {
    const row = (await app.db.pool.query("SELECT password_hash FROM users WHERE username = 'agent1'")).rows[0];
    expect(row.password_hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(row.password_hash).not.toContain('agent-password-123');
    await api(app, 'POST', '/api/users', { username: 'locky', password: 'the-right-password', role: 'auditor' }, tokens.admin);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await api(app, 'POST', '/api/tokens', { username: 'locky', password: 'wrong-password' }, 'none')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 423, 423]);
    const right = await api(app, 'POST', '/api/tokens', { username: 'locky', password: 'the-right-password' }, 'none');
    expect(right.status).toBe(423);
    expect(right.json.reason).toContain('locked until');
    expect((await api(app, 'POST', '/api/tokens', { username: 'nobody', password: 'whatever-password' }, 'none')).status).toBe(401);
    expect((await api(app, 'POST', '/api/users', { username: 'agent1', password: 'another-password', role: 'agent' }, tokens.admin)).status).toBe(409);
  });

  it('admins disable users and lift lockouts; a disabled user\'s token stops working; tokens can be revoked', async () => {
    const t = await api(app, 'POST', '/api/tokens', { username: 'auditor1', password: 'auditor-password-123', name: 'second' }, 'none');
    expect((await api(app, 'GET', '/api/consents', undefined, t.json.token)).status).toBe(200);
    const mine = (await api(app, 'GET', '/api/tokens', undefined, t.json.token)).json.tokens;
    expect(mine.map((x: any) => x.name)).toEqual(['test', 'second']);
    expect((await api(app, 'DELETE', `/api/tokens/${mine[1].id}`, undefined, t.json.token)).status).toBe(204);
    expect((await api(app, 'GET', '/api/consents', undefined, t.json.token)).status).toBe(401);
    expect((await api(app, 'PATCH', '/api/users/auditor1', { disabled: true }, tokens.admin)).json.disabledAt).not.toBeNull();
    expect((await api(app, 'GET', '/api/consents', undefined, tokens.auditor)).status).toBe(401);
    expect((await api(app, 'PATCH', '/api/users/auditor1', { disabled: false }, tokens.admin)).status).toBe(200);
    // Disabling revoked the tokens: enabling again does not revive them; the user signs in for a new one.
    expect((await api(app, 'GET', '/api/consents', undefined, tokens.auditor)).status).toBe(401);
    tokens.auditor = (await api(app, 'POST', '/api/tokens', { username: 'auditor1', password: 'auditor-password-123' }, 'none')).json.token;
    expect((await api(app, 'GET', '/api/consents', undefined, tokens.auditor)).status).toBe(200);
    expect((await api(app, 'PATCH', '/api/users/locky', { unlock: true }, tokens.admin)).json.lockedUntil).toBeNull();
    expect((await api(app, 'POST', '/api/tokens', { username: 'locky', password: 'the-right-password' }, 'none')).status).toBe(201);
    expect((await api(app, 'PATCH', '/api/users/locky', { role: 'boss' }, tokens.admin)).status).toBe(400);
    expect((await api(app, 'PATCH', '/api/users/locky', { role: 'admin' }, tokens.auditor)).status).toBe(403);
  });

  it('ADMIN_TOKEN only bootstraps the first admin', async () => {
    const r = await api(app, 'GET', '/api/consents');
    expect(r.status).toBe(401);
    expect(r.json.reason).toContain('bootstraps the first admin');
  });
});

describe("the demo's start-up token", () => {
  it('a new one replaces the previous start\'s (revoked); tokens of other names stay', async () => {
    const { createUser, issueToken, principalForToken, replaceToken } = await import('../src/users/users.js');
    const created = await createUser(app.db.pool, { username: 'token-owner', password: 'a-long-password-123', role: 'admin' });
    if (created === 'exists') throw new Error('token-owner exists already');
    const user = created;
    const other = await issueToken(app.db.pool, user.id, 'integration');
    const first = await replaceToken(app.db.pool, user.id, 'demo start-up');
    const second = await replaceToken(app.db.pool, user.id, 'demo start-up');
    expect(await principalForToken(app.db.pool, first)).toBeUndefined();
    expect((await principalForToken(app.db.pool, second))?.actor).toBe('token-owner');
    expect((await principalForToken(app.db.pool, other))?.actor).toBe('token-owner');
  });
});
