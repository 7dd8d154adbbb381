import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPublicAddress } from '../src/requests/callbackTarget.js';
import { api, PUBLIC_BASE_URL, startTestApp, TEST_ACCOUNT_SID, TEST_ADMIN_TOKEN, TEST_AUTH_TOKEN, type TestApp } from './support/app.js';
import { until } from './support/callbacks.js';
import { defaultScenarioJson, scenariosDir } from './support/scenarios.js';

/**
 * Issue 14: each attack as the attacker sends it, asserting the refusal and that nothing was
 * called, posted, logged in clear or leaked.
 */

const ORG_A = '9912345678'; // the default scenario's
const ORG_B = '9987654321';
const PUBLIC_IP = '93.184.216.34';
const callsPath = `/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Calls.json`;

// A test-only DNS: names the attacker controls, including one that turns to loopback after the check.
const dnsAnswers = new Map<string, string[]>([
  ['hooks.public.test', [PUBLIC_IP]],
  ['intranet.corp.test', ['10.1.2.3']],
  ['loopback.attacker.test', ['127.0.0.1']],
  ['mixed.attacker.test', [PUBLIC_IP, '127.0.0.1']],
  ['metadata.attacker.test', ['169.254.169.254']],
]);
let rebindAfter = Number.POSITIVE_INFINITY;
let rebindLookups = 0;
const resolveHost = async (hostname: string) => {
  if (hostname === 'rebind.attacker.test') {
    rebindLookups++;
    return [{ address: rebindLookups > rebindAfter ? '127.0.0.1' : PUBLIC_IP, family: 4 }];
  }
  const answers = dnsAnswers.get(hostname.replace(/\.$/, ''));
  if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

let app: TestApp;
const tokens: Record<string, string> = {};

async function user(username: string, role: string, extra: Record<string, unknown> = {}) {
  const password = `${username}-password-123`;
  const made = await api(app, 'POST', '/api/users', { username, password, role, ...extra }, tokens.admin);
  expect(made.status, made.text).toBe(201);
  const t = await api(app, 'POST', '/api/tokens', { username, password }, 'none');
  expect(t.status, t.text).toBe(201);
  tokens[username] = t.json.token;
}

const count = async (sql: string, values: unknown[] = []) => Number((await app.db.pool.query(sql, values)).rows[0].n);

beforeAll(async () => {
  const otherOrg = { ...defaultScenarioJson(), id: 'other-org', default: false, organization: { name: '다른기관', serviceType: 'cms', codes: { cms: ORG_B } } };
  app = await startTestApp(
    {
      QUIET_HOURS: 'off', JOB_POLL_SECONDS: '0.5', CALLBACK_RETRY_LIMIT: '0', CONSENT_REQUESTS_PER_MINUTE: '45',
      SCENARIOS_DIR: scenariosDir(() => {}, [otherOrg]), LOGIN_RATE_LIMIT: '1000', LOGIN_USERNAME_RATE_LIMIT: '1000',
    },
    undefined,
    { resolveHost },
  );
  await user('admin1', 'admin', {});
  tokens.admin = tokens.admin1!;
  await user('site-a', 'integration', { organizationCode: ORG_A });
  await user('site-a2', 'integration', { organizationCode: ORG_A });
  await user('site-b', 'integration', { organizationCode: ORG_B });
  await api(app, 'POST', '/api/payers', { payerNumber: 'P1', name: '홍길동', birthDate: '19940424', phone: '+821012345678' }, tokens.admin);
});
afterAll(async () => {
  await app?.close();
});

const request = (extra: Record<string, unknown> = {}) => ({ payerNumber: 'P1', phone: '+821012345678', bankCode: '081', accountNumber: '75023332200333', ...extra });

describe('SSRF through callbackUrl', () => {
  const spellings = [
    'https://127.0.0.1/hook',
    'https://localhost/hook',
    'https://localhost./hook',
    'https://[::1]/hook',
    'https://0x7f000001/hook',
    'https://2130706433/hook',
    'https://127.1/hook',
    'https://0177.0.0.1/hook',
    'https://[::ffff:127.0.0.1]/hook',
    'https://[0:0:0:0:0:ffff:7f00:1]/hook',
    'https://0.0.0.0/hook',
    'https://169.254.169.254/latest/meta-data/',
    'https://10.0.0.5/hook',
    'https://172.16.3.4/hook',
    'https://192.168.1.1/hook',
    'https://100.64.0.1/hook',
    'https://[fe80::1]/hook',
    'https://[fd00::1]/hook',
    'https://[64:ff9b::7f00:1]/hook',
    'https://intranet.corp.test/hook',
    'https://loopback.attacker.test/hook',
    'https://loopback.attacker.test./hook',
    'https://mixed.attacker.test/hook',
    'https://metadata.attacker.test/hook',
    'https://nowhere.attacker.test/hook',
    'http://hooks.public.test/hook',
    'https://user:secret@hooks.public.test/hook',
    `https://hooks.public.test/${'a'.repeat(2100)}`,
    'ftp://hooks.public.test/hook',
    'javascript:alert(1)',
  ];

  it('every private, loopback, link-local or malformed target is a 400 on callbackUrl, and nothing is made or called', async () => {
    const before = await count('SELECT count(*) AS n FROM consent_requests');
    for (const callbackUrl of spellings) {
      const r = await api(app, 'POST', '/api/consent-requests', request({ callbackUrl }), tokens['site-a']);
      expect(r.status, callbackUrl).toBe(400);
      expect(r.json.field, callbackUrl).toBe('callbackUrl');
    }
    expect(await count('SELECT count(*) AS n FROM consent_requests')).toBe(before);
    // No Twilio interceptor was set: a placed call would have failed loudly; none was queued either.
    expect(await count("SELECT count(*) AS n FROM pgboss.job WHERE name = 'place-consent-call'").catch(() => 0)).toBe(0);
  });

  it('a name that turns to loopback after the check (DNS rebinding) is refused at connect: nothing reaches the port, the error is coarse', async () => {
    const connections: string[] = [];
    const listener: Server = createServer((s) => {
      connections.push(String(s.remoteAddress));
      s.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', () => resolve()));
    const port = (listener.address() as AddressInfo).port;
    nock('https://api.twilio.com').post(callsPath).reply(201, { sid: `CA${'4'.repeat(32)}`, status: 'queued' });
    // Let the real connection attempt through nock: the service's own guard must stop it.
    nock.enableNetConnect((host) => /^(127\.0\.0\.1|localhost|rebind\.attacker\.test)(:\d+)?$/.test(host));
    try {
      rebindLookups = 0;
      rebindAfter = 1; // the request-time check sees a public address; every later look-up says loopback
      const made = await api(app, 'POST', '/api/consent-requests', request({ callbackUrl: `https://rebind.attacker.test:${port}/hook` }), tokens['site-a']);
      expect(made.status, made.text).toBe(201);
      await app.requests.finish(made.json.id, { status: 'failed', reason: 'test' });
      const shown = await until(async () => {
        const r = (await api(app, 'GET', `/api/consent-requests/${made.json.id}`, undefined, tokens['site-a'])).json;
        return r.callback.state === 'given-up' ? r : undefined;
      }, 20_000, 'the callback to be given up');
      expect(shown.callback.lastError).toBe('delivery failed');
      expect(rebindLookups).toBeGreaterThan(1);
      expect(connections).toEqual([]);
    } finally {
      rebindAfter = Number.POSITIVE_INFINITY;
      nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    }
  }, 30_000);

  it('a public target is delivered to; the integration sees only the status it answered', async () => {
    nock('https://api.twilio.com').post(callsPath).reply(201, { sid: `CA${'5'.repeat(32)}`, status: 'queued' });
    const posted: string[] = [];
    nock('https://hooks.public.test').post('/hook', (b) => (posted.push(JSON.stringify(b)), true)).reply(500, 'internal details');
    const made = await api(app, 'POST', '/api/consent-requests', request({ callbackUrl: 'https://hooks.public.test/hook' }), tokens['site-a']);
    expect(made.status, made.text).toBe(201);
    await app.requests.finish(made.json.id, { status: 'failed', reason: 'test' });
    const shown = await until(async () => {
      const r = (await api(app, 'GET', `/api/consent-requests/${made.json.id}`, undefined, tokens['site-a'])).json;
      return r.callback.state === 'given-up' ? r : undefined;
    }, 20_000, 'the callback to be tried');
    expect(posted).toHaveLength(1);
    expect(shown.callback.lastError).toBe('delivery failed: answered 500');
    // The organisation's signing secret is stored encrypted under SECRETS_KEY, never in clear.
    const stored = (await app.db.pool.query('SELECT secret FROM organization_secrets WHERE organization_code = $1', [ORG_A])).rows[0].secret as string;
    const secret = (await api(app, 'GET', `/api/organizations/${ORG_A}/callback-secret`, undefined, tokens.admin)).json.secret as string;
    expect(stored).toMatch(/^enc:v1:/);
    expect(stored).not.toContain(secret);
  }, 30_000);

  it('the address check knows the special ranges', () => {
    for (const a of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '10.0.0.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', 'fe80::1', 'fd00::1', '224.0.0.1', '255.255.255.255', '64:ff9b::7f00:1', '2002:7f00:1::1']) {
      expect(isPublicAddress(a), a).toBe(false);
    }
    for (const a of [PUBLIC_IP, '2606:4700:4700::1111', '::ffff:93.184.216.34']) expect(isPublicAddress(a), a).toBe(true);
  });
});

describe('integrations are tenants', () => {
  it("another organisation's request is not found; its scenario cannot be picked", async () => {
    nock('https://api.twilio.com').post(callsPath).reply(201, { sid: `CA${'6'.repeat(32)}`, status: 'queued' });
    const made = await api(app, 'POST', '/api/consent-requests', request(), tokens['site-a']);
    expect(made.status, made.text).toBe(201);
    expect(made.json.organizationCode).toBe(ORG_A);
    const theirs = await api(app, 'GET', `/api/consent-requests/${made.json.id}`, undefined, tokens['site-b']);
    expect(theirs.status).toBe(404);
    expect(theirs.text).not.toContain(made.json.code);
    expect((await api(app, 'GET', `/api/consent-requests/${made.json.id}`, undefined, tokens['site-a2'])).status).toBe(200);
    const pick = await api(app, 'POST', '/api/consent-requests', request({ scenario: 'default' }), tokens['site-b']);
    expect(pick.status).toBe(400);
    expect(pick.json).toMatchObject({ field: 'scenario', reason: 'no such scenario' });
    const b = await api(app, 'POST', '/api/consent-requests', request({ scenario: 'nope' }), tokens['site-b']);
    expect(b.json.reason).toBe(pick.json.reason);
  });

  it("Idempotency-Key is the organisation's and the user's: another user's key is not theirs; another body is a 422", async () => {
    nock('https://api.twilio.com').post(callsPath).times(3).reply(201, () => ({ sid: `CA${String(Date.now()).padStart(32, '7')}`, status: 'queued' }));
    const send = (token: string, body: unknown) =>
      fetch(`${app.url}/api/consent-requests`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'order-1' },
        body: JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, json: (await r.json()) as any }));
    const first = await send(tokens['site-a']!, request());
    expect(first.status).toBe(201);
    const again = await send(tokens['site-a']!, request());
    expect(again.status).toBe(200);
    expect(again.json.id).toBe(first.json.id);
    // Another user of the same organisation with the same key: their own request, never A's code.
    const other = await send(tokens['site-a2']!, request({ bankCode: '088', accountNumber: '110123456789' }));
    expect(other.status).toBe(201);
    expect(other.json.id).not.toBe(first.json.id);
    const reuse = await send(tokens['site-a']!, request({ bankCode: '088', accountNumber: '110123456789' }));
    expect(reuse.status).toBe(422);
    expect(reuse.json).toMatchObject({ error: 'unprocessable', field: 'Idempotency-Key' });
    expect(JSON.stringify(reuse.json)).not.toContain(first.json.code === '' ? '§' : `"code":"${first.json.code}"`);
  });

  it('an integration user needs an organisation; the last admin cannot be disabled or demoted', async () => {
    const r = await api(app, 'POST', '/api/users', { username: 'no-org', password: 'no-org-password-1', role: 'integration' }, tokens.admin);
    expect(r.status).toBe(400);
    expect(r.json.field).toBe('organizationCode');
    expect((await api(app, 'PATCH', '/api/users/admin1', { disabled: true }, tokens.admin)).status).toBe(409);
    expect((await api(app, 'PATCH', '/api/users/admin1', { role: 'auditor' }, tokens.admin)).status).toBe(409);
    // ADMIN_TOKEN stays refused once an admin was ever created.
    expect((await api(app, 'GET', '/api/users', undefined, TEST_ADMIN_TOKEN)).status).toBe(401);
  });
});

describe('requests cannot aim a call at a stranger or probe a payer', () => {
  it("the stranger's phone with a payer number on file: 400 with the generic reason, nobody is called", async () => {
    const before = await count('SELECT count(*) AS n FROM consent_requests');
    const r = await api(app, 'POST', '/api/consent-requests', request({ phone: '+821055556666' }), tokens['site-b']);
    expect(r.status).toBe(400);
    expect(r.json.reason).toBe('the payer details do not match');
    expect(r.json.field).toBeUndefined();
    expect(r.text).not.toContain('홍길동');
    expect(r.text).not.toContain('19940424');
    expect(await count('SELECT count(*) AS n FROM consent_requests')).toBe(before);
  });

  it('the birthdate probe: every guess has the same answer, the guesses run into the rate limit, each is access-logged', async () => {
    const answers: { status: number; body: string }[] = [];
    for (let n = 0; n < 60; n++) {
      const birthDate = `1994${String(1 + Math.floor(n / 28)).padStart(2, '0')}${String(1 + (n % 28)).padStart(2, '0')}`;
      if (birthDate === '19940424') continue;
      const r = await api(app, 'POST', '/api/consent-requests', request({ name: '홍길동', birthDate, scenario: 'other-org' }), tokens['site-b']);
      answers.push({ status: r.status, body: JSON.stringify({ ...r.json, message: undefined }) });
    }
    const refused = answers.filter((a) => a.status === 400);
    expect(new Set(refused.map((a) => a.body)).size).toBe(1);
    expect(refused[0]!.body).not.toContain('birthDate');
    expect(answers.some((a) => a.status === 429)).toBe(true);
    expect(answers.length - refused.length).toBe(answers.filter((a) => a.status === 429).length);
    const logged = await count("SELECT count(*) AS n FROM access_log WHERE action = 'consent-request-refused' AND actor = 'site-b'");
    expect(logged).toBeGreaterThanOrEqual(refused.length);
    expect(app.logs.join('\n')).not.toMatch(/1994\d{4}/);
  });
});

describe('accounts', () => {
  it('40 parallel sign-ins, the right password last: at most five are checked, none signs in, and the lock holds for the right password', async () => {
    await api(app, 'POST', '/api/users', { username: 'racer', password: 'the-right-password', role: 'auditor' }, tokens.admin);
    const attempts = Array.from({ length: 40 }, (_, i) =>
      api(app, 'POST', '/api/tokens', { username: 'racer', password: i === 39 ? 'the-right-password' : `wrong-${i}-password` }, 'none'),
    );
    const statuses = (await Promise.all(attempts)).map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toEqual([]);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 423).length).toBeGreaterThanOrEqual(35);
    expect((await api(app, 'POST', '/api/tokens', { username: 'racer', password: 'the-right-password' }, 'none')).status).toBe(423);
  }, 60_000);

  it('an unknown username is answered like a real one, lock included', async () => {
    await api(app, 'POST', '/api/users', { username: 'realname', password: 'the-right-password', role: 'auditor' }, tokens.admin);
    const run = async (username: string) => {
      const out: string[] = [];
      for (let i = 0; i < 7; i++) {
        const r = await api(app, 'POST', '/api/tokens', { username, password: 'wrong-password-x' }, 'none');
        out.push(`${r.status} ${r.json.error} ${String(r.json.reason).replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/, 'T')}`);
      }
      return out;
    };
    const real = await run('realname');
    const ghost = await run('ghost-user');
    expect(ghost).toEqual(real);
    expect(real.slice(-2).every((s) => s.startsWith('423'))).toBe(true);
  });

  it('/login and POST /api/tokens are rate-limited per address', async () => {
    const limited = await startTestApp({ PIPELINE_WORKERS: 'false', LOGIN_RATE_LIMIT: '5', LOGIN_USERNAME_RATE_LIMIT: '100' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await api(limited, 'POST', '/api/tokens', { username: `u${i}`, password: 'whatever-password' }, 'none')).status);
      expect(statuses.slice(0, 5).every((s) => s === 401)).toBe(true);
      expect(statuses.slice(5)).toEqual([429, 429]);
      const login = await fetch(`${limited.url}/login`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'username=a&password=b&csrf=x', redirect: 'manual' });
      expect(login.status).toBe(429);
    } finally {
      await limited.close();
    }
  });

  it('an idle session ends', async () => {
    const page = await fetch(`${app.url}/login`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    await api(app, 'POST', '/api/users', { username: 'sleepy', password: 'sleepy-password-1', role: 'auditor' }, tokens.admin);
    const login = await fetch(`${app.url}/login`, {
      method: 'POST', redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
      body: new URLSearchParams({ csrf, username: 'sleepy', password: 'sleepy-password-1' }).toString(),
    });
    expect(login.status).toBe(303);
    const session = login.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c?.startsWith('ars_session='))!;
    expect((await fetch(`${app.url}/consents`, { headers: { Cookie: session }, redirect: 'manual' })).status).toBe(200);
    await app.db.pool.query("UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE user_id = (SELECT id FROM users WHERE username = 'sleepy')");
    const after = await fetch(`${app.url}/consents`, { headers: { Cookie: session }, redirect: 'manual' });
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toBe('/login');
  });
});

describe('Twilio webhooks', () => {
  const url = '/twilio/voice/gather?turn=1';
  const fields = { CallSid: `CA${'8'.repeat(32)}`, AccountSid: TEST_ACCOUNT_SID };

  it('a signed request with Digits twice is a 400; the handler never sees it', async () => {
    const signature = twilio.getExpectedTwilioSignature(TEST_AUTH_TOKEN, PUBLIC_BASE_URL + url, { ...fields, Digits: ['2', '2'] } as any);
    const body = `${new URLSearchParams(fields).toString()}&Digits=2&Digits=2`;
    const res = await fetch(app.url + url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature }, body });
    expect(res.status).toBe(400);
    expect(await count('SELECT count(*) AS n FROM calls WHERE call_sid = $1', [fields.CallSid])).toBe(0);
  });

  it('unsigned or malformed requests are 403 without an error-level log', async () => {
    const logsBefore = app.logs.length;
    const unsigned = await fetch(app.url + url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'Digits=%zz&CallSid=x' });
    expect(unsigned.status).toBe(403);
    const json = await fetch(app.url + url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Twilio-Signature': 'abc' }, body: '{"Digits":' });
    expect(json.status).toBe(403);
    const huge = await fetch(app.url + url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': 'abc' }, body: `Digits=${'1'.repeat(100_000)}` });
    expect(huge.status).toBe(403);
    const errors = app.logs.slice(logsBefore).filter((l) => JSON.parse(l).level >= 50);
    expect(errors).toEqual([]);
  });
});

describe('malformed input is a 400, never a 500', () => {
  it('repeated and invalid filters, a bad cookie, a bodiless logout, non-UUID ids', async () => {
    const auditorPassword = 'auditor-password-1';
    await api(app, 'POST', '/api/users', { username: 'auditor9', password: auditorPassword, role: 'auditor' }, tokens.admin);
    const cases: [string, string, number, string?][] = [
      ['GET', '/api/consents?status=ready&status=sent', 400, 'status'],
      ['GET', '/api/consents?payerNumber=1&payerNumber=2', 400, 'payerNumber'],
      ['GET', '/api/consents?from=bad', 400, 'from'],
      ['GET', '/api/consents?lastDigits=75023332200333', 400, 'lastDigits'],
      ['GET', '/api/consents/not-a-uuid', 400, 'id'],
      ['GET', '/api/consents/not-a-uuid/audio', 400, 'id'],
      ['POST', '/api/agent-consents/xyz/pause', 400, 'id'],
      ['GET', '/api/consent-requests/1%20OR%201=1', 400, 'id'],
      ['DELETE', '/api/tokens/abc', 400, 'id'],
    ];
    for (const [method, path, status, field] of cases) {
      const r = await api(app, method, path, method === 'GET' || method === 'DELETE' ? undefined : {}, tokens.admin);
      expect(r.status, `${method} ${path}`).toBe(status);
      if (field) expect(r.json.field, `${method} ${path}`).toBe(field);
    }
    const badCookie = await fetch(`${app.url}/consents`, { headers: { Cookie: 'ars_session=%E0%A4%A' }, redirect: 'manual' });
    expect(badCookie.status).toBe(303);
    const apiBadCookie = await fetch(`${app.url}/api/consents`, { headers: { Cookie: 'ars_session=%' } });
    expect(apiBadCookie.status).toBe(401);
    const logout = await fetch(`${app.url}/logout`, { method: 'POST', redirect: 'manual' });
    expect(logout.status).toBe(303);
    const badPath = await fetch(`${app.url}/api/consents/%E0%A4%A`, { headers: { Authorization: `Bearer ${tokens.admin}` } });
    expect(badPath.status).toBe(400);
  });
});

describe('headers on every response', () => {
  it('CSP allowing only our own script files (no inline scripts), no framing, nosniff, no referrer, HSTS, no-store', async () => {
    const routes: [string, RequestInit?][] = [
      ['/healthz'], ['/verify'], ['/login'], ['/consents'], ['/agent'], ['/api/consents', { headers: { Authorization: `Bearer ${tokens.admin}` } }],
      ['/api/verify/1234567890123456'], ['/api/nope'], ['/api/consents'], ['/twilio/voice', { method: 'POST' }], ['/nothing-here'],
      ['/api/tokens', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"username":"x","password":"y"}' }],
    ];
    for (const [path, init] of routes) {
      const res = await fetch(app.url + path, { redirect: 'manual', ...init });
      const csp = res.headers.get('content-security-policy') ?? '';
      const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1] ?? '';
      expect(scriptSrc.trim(), path).toBe("'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(res.headers.get('strict-transport-security'), path).toContain('max-age=');
      expect(res.headers.get('cache-control'), path).toContain('no-store');
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      const text = await res.text();
      if (/text\/html/.test(res.headers.get('content-type') ?? '')) {
        // Every script is a file (src), never inline: the CSP would refuse an inline one.
        for (const m of text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
          expect(m[1], path).toMatch(/\ssrc=/);
          expect(m[2]!.trim(), path).toBe('');
        }
      }
    }
  });
});

describe('agents act only on the marked parts they started', () => {
  it("another agent's pause or finish is not found; the owner and an admin reach the part", async () => {
    await user('agent-a', 'agent');
    await user('agent-b', 'agent');
    const callSid = `CA${'c'.repeat(32)}`;
    await app.db.pool.query("INSERT INTO calls (call_sid, scenario_id, state, step) VALUES ($1, 'default', '{}', 'agent')", [callSid]);
    const id = '00000000-0000-4000-8000-00000000abcd';
    await app.db.pool.query(
      `INSERT INTO agent_consents (id, call_sid, agent, payer_number, holder_name, birth_date, bank_code, account_number, scenario_id, script, state)
       VALUES ($1, $2, 'agent-a', 'P1', '홍길동', '19940424', '081', '75023332200333', 'default', 'script', 'consented')`,
      [id, callSid],
    );
    for (const step of ['pause', 'resume', 'consented', 'declined']) {
      const r = await api(app, 'POST', `/api/agent-consents/${id}/${step}`, {}, tokens['agent-b']);
      expect(r.status, step).toBe(404);
    }
    // The owner and an admin get past the check (the part is finished already: 409).
    expect((await api(app, 'POST', `/api/agent-consents/${id}/pause`, {}, tokens['agent-a'])).status).toBe(409);
    expect((await api(app, 'POST', `/api/agent-consents/${id}/pause`, {}, tokens.admin)).status).toBe(409);
  });
});

describe('reads are accounted for', () => {
  it('reading a payer and listing payers are in the access log with who and from where', async () => {
    expect((await api(app, 'GET', '/api/payers/P1', undefined, tokens['agent-a'])).status).toBe(200);
    expect((await api(app, 'GET', '/api/payers?q=%ED%99%8D', undefined, tokens['agent-a'])).status).toBe(200);
    const rows = (await app.db.pool.query("SELECT action, target, remote, detail FROM access_log WHERE actor = 'agent-a' AND action IN ('read-payer', 'list-payers') ORDER BY id")).rows;
    expect(rows.map((r) => `${r.action} ${r.target}`)).toEqual(['read-payer payer:P1', 'list-payers payers']);
    expect(rows.every((r) => r.remote)).toBe(true);
    expect(JSON.stringify(rows)).not.toContain('홍');
  });
});

describe('retention of what never became a consent', () => {
  it(`purges calls and requests older than NON_CONSENT_RETENTION_DAYS, logs each purge, keeps the recent`, async () => {
    const { purgeNonConsents } = await import('../src/jobs/nonConsentRetention.js');
    const pool = app.db.pool;
    const old = `CA${'d'.repeat(32)}`;
    const recent = `CA${'e'.repeat(32)}`;
    await pool.query("INSERT INTO calls (call_sid, scenario_id, state, step, payer_number, account_number, started_at) VALUES ($1, 'default', '{}', 'identity', 'P1', '75023332200333', now() - interval '91 days')", [old]);
    await pool.query("INSERT INTO calls (call_sid, scenario_id, state, step, started_at) VALUES ($1, 'default', '{}', 'identity', now() - interval '10 days')", [recent]);
    await pool.query(`INSERT INTO call_turns (call_sid, events) VALUES ($1, '[{"turn": 0, "step": "menu", "kind": "prompt"}]')`, [old]);
    const request = '00000000-0000-4000-8000-00000000dddd';
    await pool.query(
      `INSERT INTO consent_requests (id, organization_code, scenario_id, payer_number, holder_name, birth_date, phone, bank_code, account_number, code, not_before, requested_by, created_at)
       VALUES ($1, '9912345678', 'default', 'P1', '홍길동', '19940424', '+821012345678', '081', '75023332200333', '42', now(), 'site-a', now() - interval '100 days')`,
      [request],
    );
    const { calls, requests } = await purgeNonConsents(pool, 90, app.log);
    expect(calls).toContain(old);
    expect(calls).not.toContain(recent);
    expect(requests).toContain(request);
    expect((await pool.query('SELECT 1 FROM calls WHERE call_sid = $1', [old])).rowCount).toBe(0);
    expect((await pool.query('SELECT 1 FROM call_events WHERE call_sid = $1', [old])).rowCount).toBe(0);
    expect((await pool.query('SELECT 1 FROM calls WHERE call_sid = $1', [recent])).rowCount).toBe(1);
    const logged = (await pool.query("SELECT target FROM access_log WHERE action = 'purge-non-consent'")).rows.map((r) => r.target);
    expect(logged).toEqual(expect.arrayContaining([`call:${old}`, `consent-request:${request}`]));
  });
});
