import { z } from 'zod';
import { startSchema } from '../agent/agentConsents.js';
import { payerInputSchema } from '../payers/payers.js';
import { requestInputSchema } from '../requests/requests.js';
import { newUserSchema } from '../users/users.js';
import { exportSchema } from './apiRoutes.js';
import { holdSchema, packageSchema, resubmitSchema, settingSchema } from './kftcRoutes.js';

/**
 * The API contract (OpenAPI 3.1), generated from the zod schemas the routes validate their bodies
 * with (zod 4's JSON Schema output, as the client sends them: io "input"). Routes that check their
 * few fields by hand are described by the small schemas below. test/openapi.test.ts fails for any
 * /api route missing here, and validates example requests against the document.
 */

type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';
type Operation = {
  method: Method;
  /** Express path under /api, e.g. /consents/:id */
  path: string;
  summary: string;
  roles: string[];
  body?: z.ZodType;
  query?: Record<string, { description: string; schema?: object }>;
  /** status: description */
  responses: Record<string, string>;
  /** A response body that is not JSON. */
  produces?: string;
  headers?: Record<string, string>;
  tag: string;
};

const refusal = z
  .object({
    error: z.string().describe('validation, unauthorized, forbidden, not_found, conflict, unprocessable, locked, gone, rate_limited, unavailable'),
    field: z.string().optional().describe('the field at fault, for validation'),
    reason: z.string().describe('the stable English reason integrators match'),
    message: z.string().optional().describe('Korean, for people'),
  })
  .meta({ id: 'Refusal' });

const tokenRequest = z.object({ username: z.string(), password: z.string(), name: z.string().max(60).optional() }).strict();
const userChange = z
  .object({ role: z.enum(['admin', 'agent', 'auditor', 'integration']).optional(), disabled: z.boolean().optional(), unlock: z.boolean().optional() })
  .strict();
const consentEnd = z.object({ endedOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional().describe('Korea date the auto-debit ended; today when absent') });

/** The completion callback's body, POSTed to a consent request's callbackUrl. */
export const callbackBodySchema = z
  .object({
    event: z.literal('consent-request.finished'),
    sentAt: z.string().describe('ISO 8601 time of this delivery'),
    id: z.string(),
    status: z.enum(['consented', 'declined', 'no-answer', 'busy', 'failed']),
    reason: z.string().nullable(),
    code: z.string().nullable(),
    organizationCode: z.string(),
    scenario: z.string(),
    payerNumber: z.string(),
    phone: z.string().describe('masked'),
    bankCode: z.string(),
    callSid: z.string().nullable(),
    consentId: z.string().nullable(),
    consent: z
      .object({
        id: z.string(),
        status: z.string(),
        methodCode: z.number().int(),
        verificationNumber: z.string(),
        fileSize: z.number().int(),
        sha256: z.string(),
        consentedAt: z.string(),
      })
      .nullable(),
    scheduledFor: z.string(),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
    callback: z.object({ url: z.string(), state: z.string().nullable(), attempts: z.number().int(), lastError: z.string().nullable() }).nullable(),
  })
  .meta({ id: 'ConsentRequestFinished' });

const consentFilters = {
  from: { description: 'first application date, YYYYMMDD' },
  to: { description: 'last application date, YYYYMMDD' },
  payerNumber: { description: 'the organisation’s payer number' },
  methodCode: { description: 'KFTC method code (1-5)' },
  status: { description: 'ready, evidence_failed, sent' },
  callSid: { description: 'the Twilio CallSid' },
  held: { description: 'true: under legal hold; false: not' },
  registration: { description: 'the FB0120 result: accepted, rejected, resubmitted, none' },
};

export const OPERATIONS: Operation[] = [
  { tag: 'Access', method: 'post', path: '/tokens', summary: 'A personal API token for a user name and password (five wrong passwords lock the account for 15 minutes)', roles: [], body: tokenRequest, responses: { 201: 'the token', 400: 'missing field', 401: 'wrong user name or password', 423: 'locked', 429: 'too many attempts' } },
  { tag: 'Access', method: 'get', path: '/tokens', summary: "The caller's tokens (all, for an admin)", roles: ['admin', 'agent', 'auditor', 'integration'], responses: { 200: 'the tokens' } },
  { tag: 'Access', method: 'delete', path: '/tokens/:id', summary: 'Revokes a token: its owner or an admin', roles: ['admin', 'agent', 'auditor', 'integration'], responses: { 204: 'revoked', 404: 'no such token of yours' } },
  { tag: 'Access', method: 'get', path: '/users', summary: 'The users', roles: ['admin'], responses: { 200: 'the users' } },
  { tag: 'Access', method: 'post', path: '/users', summary: 'Creates a user', roles: ['admin'], body: newUserSchema, responses: { 201: 'created', 400: 'invalid', 409: 'the name is taken' } },
  { tag: 'Access', method: 'patch', path: '/users/:username', summary: "Changes a user's role, disables or enables them, lifts a lockout", roles: ['admin'], body: userChange, responses: { 200: 'the user', 400: 'invalid', 404: 'no such user' } },
  { tag: 'Payers', method: 'post', path: '/payers', summary: "Adds or updates one of the organisation's payers", roles: ['admin'], body: payerInputSchema, responses: { 201: 'stored', 400: 'invalid' } },
  { tag: 'Payers', method: 'get', path: '/payers/:payerNumber', summary: 'A payer (masked)', roles: ['admin', 'agent'], responses: { 200: 'the payer', 404: 'no such payer' } },
  { tag: 'Payers', method: 'get', path: '/payers', summary: 'Agent console: payers matching a search', roles: ['agent'], query: { q: { description: 'name, payer number or phone digits' } }, responses: { 200: 'the payers' } },
  { tag: 'Calls', method: 'get', path: '/calls/:callSid', summary: 'A call: its steps and outcome', roles: ['admin', 'auditor'], responses: { 200: 'the call', 404: 'no such call' } },
  { tag: 'Consents', method: 'get', path: '/consents', summary: 'Consents matching the filters', roles: ['admin', 'auditor'], query: consentFilters, responses: { 200: 'the consents', 400: 'a filter is invalid' } },
  { tag: 'Consents', method: 'get', path: '/consents/:id', summary: 'A consent', roles: ['admin', 'auditor'], responses: { 200: 'the consent', 404: 'no such consent' } },
  { tag: 'Consents', method: 'get', path: '/consents/:id/audio', summary: "A consent's recording (MP3)", roles: ['admin', 'auditor'], produces: 'audio/mpeg', query: { download: { description: 'any value: as an attachment' } }, responses: { 200: 'the MP3', 404: 'no such consent' } },
  { tag: 'Consents', method: 'post', path: '/consents/:id/verify', summary: "Checks a consent's file against its stored SHA-256", roles: ['admin', 'auditor'], responses: { 200: 'the result', 404: 'no such consent' } },
  { tag: 'Consents', method: 'get', path: '/consents/:id/access-log', summary: 'Who opened a consent, when', roles: ['admin', 'auditor'], responses: { 200: 'the access log', 404: 'no such consent' } },
  { tag: 'Consents', method: 'post', path: '/consents/:id/end', summary: "Records the end of a consent's auto-debit (retention counts from it)", roles: ['admin'], body: consentEnd, responses: { 200: 'the consent', 400: 'invalid date', 404: 'no such consent' } },
  { tag: 'Consents', method: 'post', path: '/consents/:id/replay', summary: "The auditor's page says its player started playing the recording: one replay in the access log", roles: ['admin', 'auditor'], responses: { 204: 'logged', 404: 'no such consent' } },
  { tag: 'Consents', method: 'post', path: '/consents/:id/hold', summary: 'Puts a consent under legal hold: never purged while held', roles: ['admin'], body: holdSchema, responses: { 200: 'the hold', 400: 'invalid', 404: 'no such consent', 409: 'already held' } },
  { tag: 'Consents', method: 'post', path: '/consents/:id/release', summary: 'Releases a legal hold', roles: ['admin'], responses: { 200: 'released', 404: 'no such consent', 409: 'not held' } },
  { tag: 'Consents', method: 'post', path: '/consents/:id/resubmit', summary: 'Corrects a consent KFTC rejected and puts it back in the next export', roles: ['admin'], body: resubmitSchema, responses: { 200: 'the consent', 400: 'invalid', 404: 'no such consent', 409: 'not rejected' } },
  { tag: 'Consents', method: 'get', path: '/access-log/verify', summary: "Checks the access log's hash chain", roles: ['admin', 'auditor'], responses: { 200: 'the result' } },
  { tag: 'Consent requests', method: 'post', path: '/consent-requests', summary: 'Asks the service to call a payer for a consent; the result is POSTed to callbackUrl (see the webhook consentRequestFinished)', roles: ['admin', 'integration'], body: requestInputSchema, headers: { 'Idempotency-Key': 'the same key within 24 hours answers the first request again' }, responses: { 201: 'queued', 200: 'the same Idempotency-Key: the first answer', 400: 'invalid', 409: 'a request for this payer is in progress', 429: 'too many requests this minute' } },
  { tag: 'Consent requests', method: 'get', path: '/consent-requests/:id', summary: 'A consent request and its result', roles: ['admin', 'integration', 'auditor'], responses: { 200: 'the request', 404: 'no such request' } },
  { tag: 'Consent requests', method: 'get', path: '/organizations/:code/callback-secret', summary: "The secret an organisation's callbacks are signed with (HMAC-SHA256, X-Ars-Signature)", roles: ['admin'], responses: { 200: 'the secret', 400: 'invalid code' } },
  { tag: 'Exports', method: 'post', path: '/exports', summary: 'A KFTC file (EI13 or FB0110) of the consents of one day', roles: ['admin', 'auditor'], body: exportSchema, responses: { 201: 'the file', 400: 'invalid', 422: 'nothing to export' } },
  { tag: 'Exports', method: 'post', path: '/kftc-results', summary: 'Reads an FB0120 result file (the raw file as the body) and records each consent’s registration result', roles: ['admin'], headers: { 'X-File-Name': 'the result file’s name, kept with the results' }, responses: { 200: '{format, total, normal, errors, matched, unmatched}', 422: 'the file is refused whole, with the reason' } },
  { tag: 'Exports', method: 'post', path: '/audit-packages', summary: 'A ZIP of consents for an audit: MP3s, manifest (JSON, CSV), their access log (X-Manifest-Sha256)', roles: ['admin', 'auditor'], body: packageSchema, produces: 'application/zip', responses: { 200: 'the ZIP', 400: 'invalid', 404: 'no such consents' } },
  { tag: 'Exports', method: 'put', path: '/kftc-settings/:organizationCode', summary: "An organisation's FB0110 trace-number setting", roles: ['admin'], body: settingSchema, responses: { 200: 'the setting', 400: 'invalid' } },
  { tag: 'Consents', method: 'get', path: '/problems', summary: 'Consents given without a ready consent record, with the stage and the reason', roles: ['admin', 'auditor'], responses: { 200: '{problems: [...]}' } },
  { tag: 'Agent', method: 'get', path: '/agent/calls', summary: 'Agent console: live calls transferred to an agent', roles: ['agent'], responses: { 200: 'the calls' } },
  { tag: 'Agent', method: 'post', path: '/agent-consents', summary: 'Agent console: starts the recorded consent part of a call', roles: ['agent'], body: startSchema, responses: { 201: 'started', 400: 'invalid', 409: 'not possible now' } },
  { tag: 'Agent', method: 'get', path: '/agent-consents/:id', summary: 'Agent console: a recorded consent part', roles: ['agent'], responses: { 200: 'the part', 404: 'no such part' } },
  ...(['pause', 'resume', 'consented', 'declined'] as const).map((step): Operation => ({
    tag: 'Agent', method: 'post', path: `/agent-consents/:id/${step}`, summary: `Agent console: ${step === 'pause' || step === 'resume' ? `${step}s the recording` : `the payer ${step}`}`, roles: ['agent'], responses: { 200: 'the part', 404: 'no such part', 409: 'not possible now' },
  })),
];

/** /consents/:id → /consents/{id} */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function jsonSchema(schema: z.ZodType): object {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  return rest;
}

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const path = openApiPath(op.path);
    const parameters = [
      ...[...op.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } })),
      ...Object.entries(op.query ?? {}).map(([name, q]) => ({ name, in: 'query', required: false, description: q.description, schema: q.schema ?? { type: 'string' } })),
      ...Object.entries(op.headers ?? {}).map(([name, description]) => ({ name, in: 'header', required: false, description, schema: { type: 'string' } })),
    ];
    const responses: Record<string, unknown> = {};
    for (const [status, description] of Object.entries(op.responses)) {
      const ok = Number(status) < 300;
      responses[status] =
        Number(status) === 204 ? { description }
        : ok ? { description, content: { [op.produces ?? 'application/json']: { schema: op.produces ? { type: 'string', format: 'binary' } : { type: 'object' } } } }
        : { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Refusal' } } } };
    }
    if (op.roles.length) {
      responses['401'] ??= { description: 'no or a bad bearer token', content: { 'application/json': { schema: { $ref: '#/components/schemas/Refusal' } } } };
      responses['403'] ??= { description: `the token's role may not: ${op.roles.join(', ')} only`, content: { 'application/json': { schema: { $ref: '#/components/schemas/Refusal' } } } };
    }
    paths[path] ??= {};
    paths[path][op.method] = {
      tags: [op.tag],
      summary: op.summary,
      operationId: `${op.method}${path.replace(/[{}]/g, '').replace(/[/-]+(\w)/g, (_m, c: string) => c.toUpperCase())}`,
      ...(op.roles.length ? { security: [{ bearer: [] }], 'x-roles': op.roles } : { security: [] }),
      ...(parameters.length ? { parameters } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'ARS consent service API',
      version: '1',
      description:
        'Withdrawal consent (출금동의) by ARS call. Bearer tokens: POST /api/tokens, or ADMIN_TOKEN. ' +
        'Refusals are {error, field, reason, message}. The completion callback of a consent request is described under webhooks: ' +
        'its body is signed with HMAC-SHA256 of the raw body under the organisation’s callback secret, sent as X-Ars-Signature: sha256=<hex>.',
    },
    servers: [{ url: '/api' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Refusal: jsonSchema(refusal), ConsentRequestFinished: jsonSchema(callbackBodySchema) },
    },
    paths,
    webhooks: {
      consentRequestFinished: {
        post: {
          summary: "A consent request finished: POSTed to its callbackUrl until answered 2xx (retried with back-off)",
          parameters: [
            { name: 'X-Ars-Signature', in: 'header', required: true, description: 'sha256=<hex HMAC-SHA256 of the raw body, keyed with the organisation’s callback secret>', schema: { type: 'string', pattern: '^sha256=[0-9a-f]{64}$' } },
            { name: 'X-Ars-Delivery', in: 'header', required: true, description: '<request id>.<attempt>: the same for a retried delivery of the same attempt number', schema: { type: 'string' } },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/ConsentRequestFinished' } } } },
          responses: { '2XX': { description: 'received; any other answer is retried' } },
        },
      },
    },
  };
}
