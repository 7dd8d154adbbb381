import path from 'node:path';
import express from 'express';
import { z } from 'zod';
import { exportBatch, ExportError } from '../export/exporter.js';
import type pg from 'pg';
import { findPayer, payerInputSchema, upsertPayer } from '../payers/payers.js';
import { firstProblem } from '../shared/problems.js';
import { consentById, consentJson, FilterError, listConsents } from '../consents/consents.js';
import { accessLogFor, logAccess as writeAccessLog, remoteOf, verifyAccessLogChain } from '../audit/accessLog.js';
import { sha256File } from '../shared/files.js';
import { kstDayStart } from '../shared/time.js';
import { allow, authenticate } from './auth.js';
import { rateLimit } from 'express-rate-limit';
import { checkLogin, createUser, issueToken, newUserSchema, type Principal } from '../users/users.js';
import { RequestRefused, type ConsentRequests } from '../requests/consentRequests.js';
import type { AgentConsents } from '../agent/agentConsents.js';
import { agentRoutes } from './agentRoutes.js';
import { pageApiRoutes } from './pageApiRoutes.js';
import { koreanValidationMessage } from '../shared/koreanMessages.js';
import { organizationCodeProblem } from '../kftc/rules.js';
import { consentOrigin } from '../consents/origin.js';
import { registrationOf } from '../export/resultStore.js';
import { activeHold } from '../consents/holdStore.js';
import { kftcRoutes } from './kftcRoutes.js';

export type ApiDeps = { pool: pg.Pool; adminToken: string; exportsDir: string; requests: ConsentRequests; agent: AgentConsents };

async function logAccess(pool: pg.Pool, req: express.Request, action: string, target: string, detail: Record<string, unknown> = {}): Promise<void> {
  const actor = (req.res?.locals.principal as Principal | undefined)?.actor ?? 'unknown';
  await writeAccessLog(pool, { actor, action, target, remote: remoteOf(req), detail });
}

function sendValidationError(res: express.Response, error: z.ZodError): void {
  const { field, reason } = firstProblem(error);
  res.status(400).json({ error: 'validation', field, reason, message: koreanValidationMessage(field, reason) });
}

export const exportSchema = z
  .object({
    format: z.enum(['ei13', 'fb0110']),
    organizationCode: z.string().regex(/^[A-Za-z0-9]{1,20}$/, 'letters and digits, at most 20'),
    date: z.string().regex(/^\d{8}$/, 'must be YYYYMMDD'),
    vanCode: z.string().regex(/^[A-Za-z0-9]{1,3}$/).optional(),
    vanId: z.string().regex(/^[A-Za-z0-9]{1,30}$/).optional(),
    bankCode: z.string().regex(/^\d{3}$/).optional(),
    subOrganizationCode: z.string().regex(/^[A-Za-z0-9]{1,10}$/).optional(),
    /** FB0110, for an organisation set to fill trace numbers from the registration (R00) file. */
    registrationFile: z
      .object({ date: z.string().regex(/^\d{8}$/, 'must be YYYYMMDD'), sequence: z.number().int().min(0).max(999), firstSerial: z.number().int().min(1).max(9_999_999).default(1) })
      .strict()
      .optional(),
  })
  .strict();

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
  router.use(kftcRoutes({ pool: deps.pool }));
  router.use(pageApiRoutes({ pool: deps.pool }));

  router.post('/users', allow('admin'), async (req, res) => {
    const parsed = newUserSchema.safeParse(req.body);
    if (!parsed.success) {
      sendValidationError(res, parsed.error);
      return;
    }
    const created = await createUser(deps.pool, parsed.data);
    if (created === 'exists') {
      res.status(409).json({ error: 'conflict', field: 'username', reason: 'a user with that name exists', message: '같은 아이디가 이미 있습니다.' });
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

  router.post('/payers', allow('admin'), async (req, res) => {
    const parsed = payerInputSchema.safeParse(req.body);
    if (!parsed.success) {
      sendValidationError(res, parsed.error);
      return;
    }
    const created = await upsertPayer(deps.pool, parsed.data);
    const payer = await findPayer(deps.pool, parsed.data.payerNumber);
    res.status(created ? 201 : 200).json({ ...payer, created });
  });

  router.get('/payers/:payerNumber', allow('admin', 'agent'), async (req, res) => {
    const payer = await findPayer(deps.pool, String(req.params.payerNumber));
    if (!payer) {
      res.status(404).json({ error: 'not_found', reason: 'no payer with that payer number' });
      return;
    }
    res.json(payer);
  });

  router.get('/calls/:callSid', allow('admin', 'auditor'), async (req, res) => {
    const call = await deps.pool.query(
      `SELECT call_sid AS "callSid", scenario_id AS "scenarioId", direction, step, outcome, outcome_detail AS "outcomeDetail",
              payer_number AS "payerNumber", bank_code AS "bankCode", account_number AS "accountNumber",
              started_at AS "startedAt", ended_at AS "endedAt"
         FROM calls WHERE call_sid = $1`,
      [String(req.params.callSid)],
    );
    if (call.rowCount === 0) {
      res.status(404).json({ error: 'not_found', reason: 'no call with that CallSid' });
      return;
    }
    const events = await deps.pool.query(
      'SELECT at, turn, step, kind, detail FROM call_events WHERE call_sid = $1 ORDER BY id',
      [String(req.params.callSid)],
    );
    res.json({ ...call.rows[0], events: events.rows });
  });

  router.get('/consents', allow('admin', 'auditor'), async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const pick = (k: string) => (typeof q[k] === 'string' && q[k] !== '' ? (q[k] as string) : undefined);
    try {
      const rows = await listConsents(deps.pool, {
        from: pick('from'), to: pick('to'), payerNumber: pick('payerNumber'), methodCode: pick('methodCode'), status: pick('status'), callSid: pick('callSid'),
        held: pick('held'), registration: pick('registration'),
      });
      res.json({ consents: rows.map(consentJson), count: rows.length });
    } catch (err) {
      if (err instanceof FilterError) {
        res.status(400).json({ error: 'validation', field: err.field, reason: err.message, message: `${err.field} ${err.message}` });
        return;
      }
      throw err;
    }
  });

  router.get('/consents/:id', allow('admin', 'auditor'), async (req, res) => {
    const row = await consentById(deps.pool, String(req.params.id));
    if (!row) {
      res.status(404).json({ error: 'not_found', reason: 'no consent with that id' });
      return;
    }
    res.json({ ...consentJson(row), origin: await consentOrigin(deps.pool, row), registration: await registrationOf(deps.pool, row.id), hold: await activeHold(deps.pool, row.id) });
  });

  router.get('/consents/:id/audio', allow('admin', 'auditor'), async (req, res) => {
    const row = await consentById(deps.pool, String(req.params.id));
    if (!row) {
      res.status(404).json({ error: 'not_found', reason: 'no consent with that id' });
      return;
    }
    // The auditor page's player logs its replay when playback starts (POST …/replay), not per fetched range.
    const player = req.query.via === 'player' && 'csrf' in (res.locals.principal as object);
    if (!player) await logAccess(deps.pool, req, req.headers.range ? 'replay' : 'download', `consent:${row.id}`, req.headers.range ? { range: req.headers.range } : {});
    if (req.query.download) res.attachment(`consent-${row.id}.mp3`);
    res.setHeader('Content-Type', 'audio/mpeg');
    res.setHeader('Cache-Control', 'private, no-store');
    res.sendFile(row.file_path, { acceptRanges: true, headers: { 'Content-Type': 'audio/mpeg' } }, (err) => {
      if (err && !res.headersSent) res.status(410).json({ error: 'gone', reason: 'the audio file is missing from storage' });
    });
  });

  /** "Verify now": re-hashes the stored file and says intact or altered. */
  router.post('/consents/:id/verify', allow('admin', 'auditor'), async (req, res) => {
    const row = await consentById(deps.pool, String(req.params.id));
    if (!row) {
      res.status(404).json({ error: 'not_found', reason: 'no consent with that id' });
      return;
    }
    const actual = await sha256File(row.file_path).catch(() => undefined);
    const result = actual === undefined ? 'missing' : actual === row.file_sha256 ? 'intact' : 'altered';
    await logAccess(deps.pool, req, 'verify', `consent:${row.id}`, { result });
    res.json({ id: row.id, result, intact: result === 'intact', expectedSha256: row.file_sha256, actualSha256: actual ?? null });
  });

  router.get('/consents/:id/access-log', allow('admin', 'auditor'), async (req, res) => {
    const row = await consentById(deps.pool, String(req.params.id));
    if (!row) {
      res.status(404).json({ error: 'not_found', reason: 'no consent with that id' });
      return;
    }
    res.json({ entries: await accessLogFor(deps.pool, `consent:${row.id}`), chain: await verifyAccessLogChain(deps.pool) });
  });

  /** The organisation reports that the auto-debit of this consent ended: its retention clock starts (R7). */
  router.post('/consents/:id/end', allow('admin'), async (req, res) => {
    const row = await consentById(deps.pool, String(req.params.id));
    if (!row) {
      res.status(404).json({ error: 'not_found', reason: 'no consent with that id' });
      return;
    }
    const endedOn = (req.body ?? {}).endedOn;
    const at = endedOn === undefined ? new Date() : typeof endedOn === 'string' ? kstDayStart(endedOn) : undefined;
    if (!at || at.getTime() > Date.now()) {
      res.status(400).json({ error: 'validation', field: 'endedOn', reason: 'must be a past or present date as YYYY-MM-DD' });
      return;
    }
    await deps.pool.query('UPDATE consents SET ended_at = $2 WHERE id = $1', [row.id, at]);
    await logAccess(deps.pool, req, 'end', `consent:${row.id}`, { endedOn: at.toISOString() });
    res.json(consentJson((await consentById(deps.pool, row.id))!));
  });

  router.get('/access-log/verify', allow('admin', 'auditor'), async (_req, res) => {
    res.json(await verifyAccessLogChain(deps.pool));
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

  router.post('/exports', allow('admin', 'auditor'), async (req, res) => {
    const parsed = exportSchema.safeParse(req.body);
    if (!parsed.success) {
      sendValidationError(res, parsed.error);
      return;
    }
    const p = parsed.data;
    const out = path.join(deps.exportsDir, `${p.format}-${p.organizationCode}-${p.date}-${Date.now()}.dat`);
    try {
      const result = await exportBatch(deps.pool, { ...p, out });
      await logAccess(deps.pool, req, 'export', `${p.format}:${p.organizationCode}:${p.date}`, {
        batchId: result.batchId ?? null, count: result.count, sha256: result.sha256, excluded: result.excluded.map((x) => x.id),
      });
      res.setHeader('X-Export-Batch', String(result.batchId ?? ''));
      res.setHeader('X-Export-Count', String(result.count));
      res.setHeader('X-Export-Cancellations', String(result.cancellations));
      res.setHeader('X-Export-Sha256', result.sha256);
      res.setHeader('X-Export-Excluded', JSON.stringify(result.excluded));
      res.download(out, path.basename(out));
    } catch (err) {
      if (err instanceof ExportError) {
        res.status(409).json({ error: 'export_refused', reason: err.message });
        return;
      }
      throw err;
    }
  });

  return router;
}
