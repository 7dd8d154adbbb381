import { createHmac, timingSafeEqual } from 'node:crypto';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginLimits } from '../src/http/loginLimits.js';
import { problemApi } from '../src/http/problemRoutes.js';
import { apiRoutes } from '../src/http/apiRoutes.js';
import { openApiPath } from '../src/http/openapi.js';
import { requestJson, type RequestRow } from '../src/requests/requests.js';
import { api, startTestApp, type TestApp } from './support/app.js';

let app: TestApp;
let doc: any;

beforeAll(async () => {
  app = await startTestApp();
  const res = await fetch(`${app.url}/api/openapi.json`);
  expect(res.status).toBe(200);
  doc = await res.json();
});
afterAll(async () => {
  await app?.close();
});

/** Every route of an express router and the routers it mounts at its root: "get /consents/:id". */
function routesOf(router: any, prefix = ''): string[] {
  const out: string[] = [];
  for (const layer of router.stack ?? []) {
    if (layer.route && typeof layer.route.path === 'string') {
      for (const method of Object.keys(layer.route.methods)) if (method !== '_all') out.push(`${method} ${prefix}${layer.route.path}`);
    } else if (layer.handle?.stack) {
      out.push(...routesOf(layer.handle, prefix));
    }
  }
  return out;
}

const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
function requestSchema(method: string, path: string) {
  return doc.paths[path][method].requestBody.content['application/json'].schema;
}
function validates(schema: object, value: unknown): boolean {
  const refsResolved = { ...schema, $defs: { ...(schema as any).$defs } };
  return ajv.validate(refsResolved, value) as boolean;
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and names every /api route of the express router', () => {
    expect(doc.openapi).toBe('3.1.0');
    const router = apiRoutes({ pool: {} as any, adminToken: 'unused', exportsDir: '/nonexistent', requests: {} as any, agent: {} as any, loginLimits: loginLimits({ perAddressPerMinute: 10, perUsernamePerMinute: 10 }) }) as express.Router;
    // The problems list is mounted beside the API router (it serves a page too).
    const routes = [...routesOf(router), ...routesOf(problemApi({ pool: {} as any, adminToken: 'unused' }) as express.Router)];
    expect(routes.length).toBeGreaterThan(20);
    const missing = routes.filter((r) => {
      const [method, path] = r.split(' ') as [string, string];
      return !doc.paths[openApiPath(path)]?.[method];
    });
    expect(missing, 'routes missing from src/http/openapi.ts').toEqual([]);
    // And nothing in the document that the router does not serve.
    const served = new Set(routes.map((r) => { const [m, p] = r.split(' ') as [string, string]; return `${m} ${openApiPath(p)}`; }));
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops as object).map((m) => `${m} ${p}`));
    expect(documented.filter((d) => !served.has(d))).toEqual([]);
  });

  it('describes the completion callback: its body and X-Ars-Signature', () => {
    const hook = doc.webhooks.consentRequestFinished.post;
    expect(hook.parameters.map((p: any) => p.name)).toContain('X-Ars-Signature');
    // The body the service sends, made by its own serializer, fits the document.
    const at = new Date('2026-11-27T05:00:00Z');
    const row: RequestRow = {
      id: '3f0e4b8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b', organization_code: '9912345678', scenario_id: 'default', payer_number: '100200', holder_name: '홍길동',
      birth_date: '19940424', business_number: null, phone: '+821012345678', bank_code: '081', account_number: '75023332200333', code: '4821',
      callback_url: 'https://org.example/cb', idempotency_key: null, body_sha256: null, status: 'consented', reason: null, call_sid: `CA${'1'.repeat(32)}`, consent_id: 'c1', not_before: at,
      call_attempted_at: at, requested_by: 'integration', callback_state: 'waiting', callback_attempts: 0, callback_error: null, created_at: at, updated_at: at, finished_at: at,
    };
    const body = { event: 'consent-request.finished', sentAt: at.toISOString(), ...requestJson(row, { id: 'c1', status: 'ready', verification_number: 'V1', method_code: 5, file_bytes: 1200, file_sha256: 'ab'.repeat(32), consented_at: at }) };
    const schema = { ...doc.components.schemas.ConsentRequestFinished };
    expect(validates(schema, body), JSON.stringify(ajv.errors)).toBe(true);
    expect(validates(schema, { ...body, status: 'maybe' })).toBe(false);
    expect(JSON.stringify(body)).not.toContain('75023332200333');
  });

  it('example requests that fit the document are accepted by the service, and ones that do not are refused', async () => {
    const payer = { payerNumber: '100277', name: '홍길동', birthDate: '19940424', phone: '+821012345678', amountDue: 1000 };
    expect(validates(requestSchema('post', '/payers'), payer), JSON.stringify(ajv.errors)).toBe(true);
    expect((await api(app, 'POST', '/api/payers', payer)).status).toBe(201);
    const badPayer = { ...payer, amountDue: 'lots' };
    expect(validates(requestSchema('post', '/payers'), badPayer)).toBe(false);
    expect((await api(app, 'POST', '/api/payers', badPayer)).status).toBe(400);

    const user = { username: 'integration.one', password: 'a-long-password-1', role: 'integration', organizationCode: '9912345678' };
    expect(validates(requestSchema('post', '/users'), user)).toBe(true);
    expect((await api(app, 'POST', '/api/users', user)).status).toBe(201);
    const badUser = { ...user, role: 'root' };
    expect(validates(requestSchema('post', '/users'), badUser)).toBe(false);
    expect((await api(app, 'POST', '/api/users', badUser)).status).toBe(400);

    const request = { payerNumber: '100277', phone: '010-1234-5678', bankCode: '081', accountNumber: '75023332200333', callbackUrl: 'https://org.example/cb' };
    expect(validates(requestSchema('post', '/consent-requests'), request), JSON.stringify(ajv.errors)).toBe(true);
    const extra = { ...request, color: 'blue' };
    expect(validates(requestSchema('post', '/consent-requests'), extra)).toBe(false);
    expect((await api(app, 'POST', '/api/consent-requests', extra)).status).toBe(400);

    const exportBody = { format: 'ei13', organizationCode: '9912345678', date: '20261127' };
    expect(validates(requestSchema('post', '/exports'), exportBody)).toBe(true);
    expect(validates(requestSchema('post', '/exports'), { ...exportBody, format: 'pdf' })).toBe(false);
    expect((await api(app, 'POST', '/api/exports', { ...exportBody, format: 'pdf' })).status).toBe(400);
  });

  it('a readable reference at /api/docs, served from the swagger-ui-dist package', async () => {
    const page = await fetch(`${app.url}/api/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//); // nothing from a CDN
    for (const asset of ['docs/assets/swagger-ui-bundle.js', 'docs/assets/swagger-ui.css', 'docs/init.js']) {
      expect(html).toContain(asset);
      const res = await fetch(`${app.url}/api/${asset}`);
      expect(res.status, asset).toBe(200);
    }
  });
});

describe('verifying a callback signature (README)', () => {
  it('the Node snippet accepts the signed body and refuses a changed one', () => {
    const secret = 'org-secret-0123456789';
    const raw = JSON.stringify({ event: 'consent-request.finished', id: 'x' });
    const header = `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
    const verify = (rawBody: string, signature: string) => {
      const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`);
      const given = Buffer.from(signature);
      return given.length === expected.length && timingSafeEqual(given, expected);
    };
    expect(verify(raw, header)).toBe(true);
    expect(verify(raw.replace('x', 'y'), header)).toBe(false);
  });
});
