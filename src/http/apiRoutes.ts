import { rm } from 'node:fs/promises';
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
import type { Principal } from '../users/users.js';
import type { ConsentRequests } from '../requests/consentRequests.js';
import { tokenIssueRoutes, userRoutes } from './userRoutes.js';
import { consentRequestRoutes } from './consentRequestRoutes.js';
import type { LoginLimits } from './loginLimits.js';
import { uuidParam } from './params.js';
import type { AgentConsents } from '../agent/agentConsents.js';
import { agentRoutes } from './agentRoutes.js';
import { pageApiRoutes } from './pageApiRoutes.js';
import { koreanValidationMessage } from '../shared/koreanMessages.js';
import { organizationCodeProblem } from '../kftc/rules.js';
import { consentOrigin } from '../consents/origin.js';
import { registrationOf } from '../export/resultStore.js';
import { activeHold } from '../consents/holdStore.js';
import { kftcRoutes } from './kftcRoutes.js';

export type ApiDeps = { pool: pg.Pool; adminToken: string; exportsDir: string; requests: ConsentRequests; agent: AgentConsents; loginLimits: LoginLimits };

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

  router.use(tokenIssueRoutes({ pool: deps.pool, limits: deps.loginLimits }));

  router.use(authenticate(deps.pool, deps.adminToken));
  router.param('id', uuidParam);
  router.use(agentRoutes({ pool: deps.pool, agent: deps.agent }));
  router.use(kftcRoutes({ pool: deps.pool }));
  router.use(pageApiRoutes({ pool: deps.pool }));

  router.use(userRoutes({ pool: deps.pool }));
  router.use(consentRequestRoutes({ pool: deps.pool, requests: deps.requests }));

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
    await logAccess(deps.pool, req, 'read-payer', `payer:${payer.payerNumber}`);
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
    const known = ['from', 'to', 'payerNumber', 'methodCode', 'status', 'callSid', 'held', 'registration'];
    const unknown = Object.keys(q).find((k) => !known.includes(k));
    if (unknown) {
      res.status(400).json({ error: 'validation', field: unknown, reason: `is not a filter (known: ${known.join(', ')})`, message: `${unknown}: 알 수 없는 검색 조건입니다.` });
      return;
    }
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
    await logAccess(deps.pool, req, 'view', `consent:${row.id}`);
    res.json({ ...consentJson(row), origin: await consentOrigin(deps.pool, row), registration: await registrationOf(deps.pool, row.id), hold: await activeHold(deps.pool, row.id) });
  });

  router.get('/consents/:id/audio', allow('admin', 'auditor'), async (req, res) => {
    const row = await consentById(deps.pool, String(req.params.id));
    if (!row) {
      res.status(404).json({ error: 'not_found', reason: 'no consent with that id' });
      return;
    }
    // The auditor's page logs a replay when its player starts playing (POST …/replay), not when it preloads;
    // anything else fetching the audio (an API token, a download) is logged now.
    const fromPagePlayer = 'csrf' in (res.locals.principal as object) && !req.query.download;
    if (!fromPagePlayer) await logAccess(deps.pool, req, req.headers.range ? 'replay' : 'download', `consent:${row.id}`, req.headers.range ? { range: req.headers.range } : {});
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
      // The file holds full account numbers: streamed once, then not kept (the CLI writes where it is told).
      res.download(out, path.basename(out), () => {
        rm(out, { force: true }).catch(() => undefined);
      });
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
