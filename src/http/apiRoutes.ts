import express from 'express';
import { z } from 'zod';
import type pg from 'pg';
import { firstProblem } from '../shared/problems.js';
import { logAccess as writeAccessLog, remoteOf } from '../audit/accessLog.js';
import { allow, authenticate } from './auth.js';
import { rateLimit } from 'express-rate-limit';
import { checkLogin, createUser, issueToken, newUserSchema, type Principal } from '../users/users.js';
import { RequestRefused, type ConsentRequests } from '../requests/consentRequests.js';
import type { AgentConsents } from '../agent/agentConsents.js';
import { agentRoutes } from './agentRoutes.js';
import { organizationCodeProblem } from '../kftc/rules.js';
import { accessLogRoutes } from './accessLogRoutes.js';
import { callRoutes } from './callRoutes.js';
import { consentRoutes } from './consentRoutes.js';
import { exportRoutes } from './exportRoutes.js';
import { payerRoutes } from './payerRoutes.js';

export type ApiDeps = { pool: pg.Pool; adminToken: string; exportsDir: string; requests: ConsentRequests; agent: AgentConsents };

async function logAccess(pool: pg.Pool, req: express.Request, action: string, target: string, detail: Record<string, unknown> = {}): Promise<void> {
  const actor = (req.res?.locals.principal as Principal | undefined)?.actor ?? 'unknown';
  await writeAccessLog(pool, { actor, action, target, remote: remoteOf(req), detail });
}

function sendValidationError(res: express.Response, error: z.ZodError): void {
  const { field, reason } = firstProblem(error);
  res.status(400).json({ error: 'validation', field, reason, message: `${field} ${reason}` });
}

export function apiRoutes(deps: ApiDeps): express.Router {
  const router = express.Router();
  router.use(express.json({ limit: '1mb' }));

  /** A personal API token for a user's name and password; five wrong passwords lock the account for 15 minutes. */
  router.post(
    '/tokens',
    rateLimit({ windowMs: 60_000, limit: 20, standardHeaders: 'draft-7', legacyHeaders: false, message: { error: 'rate_limited', reason: 'too many attempts; wait a minute' } }),
    async (req, res) => {
      const { username, password, name } = (req.body ?? {}) as Record<string, unknown>;
      if (typeof username !== 'string' || typeof password !== 'string') {
        res.status(400).json({ error: 'validation', field: typeof username !== 'string' ? 'username' : 'password', reason: 'is required' });
        return;
      }
      const login = await checkLogin(deps.pool, username, password);
      if (!login.ok) {
        const locked = login.reason === 'locked';
        res.status(locked ? 423 : 401).json({ error: locked ? 'locked' : 'unauthorized', reason: locked ? `too many failed attempts; locked until ${login.lockedUntil?.toISOString()}` : 'wrong username or password' });
        return;
      }
      const token = await issueToken(deps.pool, login.userId, typeof name === 'string' && name ? name.slice(0, 60) : 'api');
      res.status(201).json({ token, username: login.username, role: login.role });
    },
  );

  router.use(authenticate(deps.pool, deps.adminToken));
  router.use(agentRoutes({ pool: deps.pool, agent: deps.agent }));
  router.use(payerRoutes({ pool: deps.pool }));
  router.use(callRoutes({ pool: deps.pool }));
  router.use(consentRoutes({ pool: deps.pool }));
  router.use(accessLogRoutes({ pool: deps.pool }));
  router.use(exportRoutes({ pool: deps.pool, exportsDir: deps.exportsDir }));

  router.post('/users', allow('admin'), async (req, res) => {
    const parsed = newUserSchema.safeParse(req.body);
    if (!parsed.success) {
      sendValidationError(res, parsed.error);
      return;
    }
    const created = await createUser(deps.pool, parsed.data);
    if (created === 'exists') {
      res.status(409).json({ error: 'conflict', field: 'username', reason: 'a user with that name exists' });
      return;
    }
    await logAccess(deps.pool, req, 'create-user', `user:${parsed.data.username}`, { role: parsed.data.role });
    res.status(201).json({ id: created.id, username: parsed.data.username, role: parsed.data.role });
  });

  /** Admins change a user's role, disable or enable them, or lift a lockout. */
  router.patch('/users/:username', allow('admin'), async (req, res) => {
    const body = (req.body ?? {}) as { role?: unknown; disabled?: unknown; unlock?: unknown };
    if (body.role !== undefined && !['admin', 'agent', 'auditor', 'integration'].includes(String(body.role))) {
      res.status(400).json({ error: 'validation', field: 'role', reason: 'must be admin, agent, auditor or integration' });
      return;
    }
    if (body.disabled !== undefined && typeof body.disabled !== 'boolean') {
      res.status(400).json({ error: 'validation', field: 'disabled', reason: 'must be true or false' });
      return;
    }
    const r = await deps.pool.query(
      `UPDATE users SET role = COALESCE($2, role),
         disabled_at = CASE WHEN $3::boolean IS NULL THEN disabled_at WHEN $3 THEN COALESCE(disabled_at, now()) ELSE NULL END,
         failed_attempts = CASE WHEN $4 THEN 0 ELSE failed_attempts END, locked_until = CASE WHEN $4 THEN NULL ELSE locked_until END
       WHERE username = $1 RETURNING id, username, role, disabled_at AS "disabledAt", locked_until AS "lockedUntil"`,
      [String(req.params.username), body.role ?? null, body.disabled ?? null, body.unlock === true],
    );
    if (!r.rowCount) {
      res.status(404).json({ error: 'not_found', reason: 'no user with that name' });
      return;
    }
    if (body.disabled === true) await deps.pool.query('DELETE FROM sessions WHERE user_id = $1', [r.rows[0].id]);
    await logAccess(deps.pool, req, 'update-user', `user:${String(req.params.username)}`, { role: body.role ?? null, disabled: body.disabled ?? null, unlock: body.unlock === true });
    res.json(r.rows[0]);
  });

  /** Revokes a personal API token: its owner or an admin. */
  router.delete('/tokens/:id', async (req, res) => {
    const principal = res.locals.principal as Principal;
    const r = await deps.pool.query(
      'UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 AND ($2 OR user_id = $3) RETURNING id',
      [/^\d+$/.test(String(req.params.id)) ? Number(req.params.id) : -1, principal.role === 'admin', principal.userId ?? -1],
    );
    if (!r.rowCount) {
      res.status(404).json({ error: 'not_found', reason: 'no such token of yours' });
      return;
    }
    res.status(204).end();
  });

  router.get('/tokens', async (_req, res) => {
    const principal = res.locals.principal as Principal;
    const r = await deps.pool.query(
      'SELECT id, name, created_at AS "createdAt", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt" FROM api_tokens WHERE user_id = $1 ORDER BY id',
      [principal.userId ?? -1],
    );
    res.json({ tokens: r.rows });
  });

  router.get('/users', allow('admin'), async (_req, res) => {
    const r = await deps.pool.query('SELECT id, username, role, locked_until AS "lockedUntil", disabled_at AS "disabledAt", created_at AS "createdAt" FROM users ORDER BY username');
    res.json({ users: r.rows });
  });

  /** An organisation's website asks for a consent call (method 5): the id and the 2-digit code to show. */
  router.post('/consent-requests', allow('admin', 'integration'), async (req, res) => {
    try {
      const { row, replayed } = await deps.requests.create(req.body, (res.locals.principal as Principal).actor, req.header('Idempotency-Key'));
      if (!replayed) await logAccess(deps.pool, req, 'consent-request', `consent-request:${row.id}`, { organizationCode: row.organization_code });
      res.status(replayed ? 200 : 201).location(`/api/consent-requests/${row.id}`).json({ ...(await deps.requests.show(row.id)), id: row.id, code: row.code });
    } catch (err) {
      if (!(err instanceof RequestRefused)) throw err;
      if (err.retryAfterSeconds) res.setHeader('Retry-After', String(err.retryAfterSeconds));
      const error = err.status === 429 ? 'rate_limited' : err.status === 400 ? 'validation' : 'unavailable';
      res.status(err.status).json({ error, ...(err.field ? { field: err.field } : {}), reason: err.reason, message: err.field ? `${err.field} ${err.reason}` : err.reason });
    }
  });

  router.get('/consent-requests/:id', allow('admin', 'integration', 'auditor'), async (req, res) => {
    const shown = await deps.requests.show(String(req.params.id));
    if (!shown) {
      res.status(404).json({ error: 'not_found', reason: 'no consent request with that id' });
      return;
    }
    res.json(shown);
  });

  /** The secret an organisation verifies its completion callbacks with (HMAC-SHA256 of the body). */
  router.get('/organizations/:code/callback-secret', allow('admin'), async (req, res) => {
    const code = String(req.params.code);
    if (organizationCodeProblem('firmBanking', code)) {
      res.status(400).json({ error: 'validation', field: 'code', reason: 'an organisation code is letters and digits, at most 20' });
      return;
    }
    await logAccess(deps.pool, req, 'read-callback-secret', `organization:${code}`);
    res.json({ organizationCode: code, secret: await deps.requests.secretFor(code), algorithm: 'HMAC-SHA256', header: 'X-Ars-Signature' });
  });

  return router;
}
