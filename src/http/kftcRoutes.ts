import express from 'express';
import type pg from 'pg';
import { z } from 'zod';
import { buildAuditPackage } from '../audit/auditPackage.js';
import { logAccess, remoteOf } from '../audit/accessLog.js';
import { consentJson } from '../consents/consents.js';
import { consentById, type Consent } from '../consents/store.js';
import { activeHold, placeHold, releaseHold } from '../consents/holdStore.js';
import { setTraceNumberSetting } from '../export/organizationSettingsStore.js';
import { importResult } from '../export/resultImport.js';
import { registrationOf, reopenRejected } from '../export/resultStore.js';
import { transmissionProblems } from '../export/transmission.js';
import { organizationCodeProblem } from '../kftc/rules.js';
import { firstProblem } from '../shared/problems.js';
import { Refusal } from '../shared/refusal.js';
import type { Principal } from '../users/users.js';
import { allow } from './auth.js';

/**
 * Issue 18's routes: FB0120 results in, audit packages out, legal holds, re-export of a rejected
 * consent after correction, and each organisation's trace-number setting.
 */

const actorOf = (res: express.Response) => (res.locals.principal as Principal).actor;

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    const { field, reason } = firstProblem(parsed.error);
    throw new Refusal('validation', reason, { field });
  }
  return parsed.data;
}

async function consentOr404(pool: pg.Pool, id: string): Promise<Consent> {
  const row = await consentById(pool, id);
  if (!row) throw new Refusal('not-found', 'no consent with that id', { message: '그런 출금동의가 없습니다.' });
  return row;
}

export const holdSchema = z.object({ reason: z.string().trim().min(1, 'is required').max(500) }).strict();

const filtersSchema = z
  .object({
    from: z.string().optional(), to: z.string().optional(), payerNumber: z.string().optional(), methodCode: z.string().optional(),
    status: z.string().optional(), callSid: z.string().optional(), held: z.enum(['true', 'false']).optional(),
    registration: z.enum(['accepted', 'rejected', 'resubmitted', 'none']).optional(), organizationCode: z.string().optional(),
  })
  .strict();

export const packageSchema = z
  .object({ consentIds: z.array(z.string().uuid()).min(1).optional(), filters: filtersSchema.optional() })
  .strict()
  .refine((b) => b.consentIds || b.filters, { message: 'give consentIds or filters', path: ['consentIds'] });

export const resubmitSchema = z
  .object({
    accountNumber: z.string().regex(/^\d{1,20}$/, 'must be 1 to 20 digits').optional(),
    bankCode: z.string().regex(/^\d{3}$/, 'must be 3 digits').optional(),
    payerNumber: z.string().regex(/^[A-Za-z0-9]{1,30}$/, 'letters and digits, at most 30').optional(),
    holderId: z.string().regex(/^\d{6}$|^\d{10}$/, 'YYMMDD or a 10-digit business number').optional(),
  })
  .strict();

export const settingSchema = z.object({ traceNumber: z.enum(['blank', 'registration']) }).strict();

export function kftcRoutes(deps: { pool: pg.Pool }): express.Router {
  const router = express.Router();
  const { pool } = deps;

  /** An FB0120 result file, raw, as the body (any content type but JSON). */
  router.post('/kftc-results', allow('admin'), express.raw({ type: () => true, limit: '64mb' }), async (req, res) => {
    if (!Buffer.isBuffer(req.body) || req.body.length === 0) throw new Refusal('validation', 'the body must be the result file itself', { field: 'file' });
    const name = req.header('X-File-Name') ?? (typeof req.query.name === 'string' ? req.query.name : undefined);
    res.json(await importResult(pool, { bytes: req.body, name, actor: actorOf(res), remote: remoteOf(req) }));
  });

  router.post('/audit-packages', allow('admin', 'auditor'), async (req, res) => {
    const body = parse(packageSchema, req.body);
    const pkg = await buildAuditPackage(pool, body, { actor: actorOf(res), remote: remoteOf(req) });
    res.setHeader('Content-Type', 'application/zip');
    res.setHeader('Content-Disposition', `attachment; filename="${pkg.fileName}"`);
    res.setHeader('X-Manifest-Sha256', pkg.manifestSha256);
    res.setHeader('X-Package-Count', String(pkg.count));
    res.setHeader('Cache-Control', 'private, no-store');
    pkg.zip.pipe(res);
  });

  router.post('/consents/:id/hold', allow('admin'), async (req, res) => {
    const { reason } = parse(holdSchema, req.body);
    const row = await consentOr404(pool, String(req.params.id));
    if (!(await placeHold(pool, row.id, reason, actorOf(res)))) throw new Refusal('conflict', 'the consent is already held', { message: '이미 보존 조치된 동의입니다.' });
    await logAccess(pool, { actor: actorOf(res), action: 'hold', target: `consent:${row.id}`, remote: remoteOf(req), detail: { reason } });
    res.status(201).json({ ...consentJson(row), hold: await activeHold(pool, row.id) });
  });

  router.post('/consents/:id/release', allow('admin'), async (req, res) => {
    const row = await consentOr404(pool, String(req.params.id));
    const reason = await releaseHold(pool, row.id, actorOf(res));
    if (reason === undefined) throw new Refusal('conflict', 'the consent is not held', { message: '보존 조치된 동의가 아닙니다.' });
    await logAccess(pool, { actor: actorOf(res), action: 'release', target: `consent:${row.id}`, remote: remoteOf(req), detail: { reason } });
    res.json({ ...consentJson(row), hold: null });
  });

  /** A consent the VAN rejected, corrected where needed, waits for the next export of its application date again. */
  router.post('/consents/:id/resubmit', allow('admin'), async (req, res) => {
    const correction = parse(resubmitSchema, req.body);
    const row = await consentOr404(pool, String(req.params.id));
    const registration = await registrationOf(pool, row.id);
    if (registration?.status !== 'rejected') throw new Refusal('conflict', 'only a rejected consent can be resubmitted', { message: '반려된 동의만 다시 보낼 수 있습니다.' });
    const corrected = {
      id: row.id, methodCode: row.methodCode, fileExtension: row.fileExtension, fileBytes: row.fileBytes, organizationCode: row.organizationCode,
      verificationNumber: row.verificationNumber, applicationDate: row.applicationDate, holderIdKind: row.holderIdKind,
      payerNumber: correction.payerNumber ?? row.payerNumber, bankCode: correction.bankCode ?? row.bankCode,
      accountNumber: correction.accountNumber ?? row.accountNumber, holderId: correction.holderId ?? row.holderId,
    };
    const problems = transmissionProblems(corrected, row.serviceType === 'cms' ? 'ei13' : 'fb0110');
    if (problems.length) throw new Refusal('unprocessable', problems.join('; '), { message: '수정한 값이 전송 규칙에 맞지 않습니다.' });
    await reopenRejected(pool, row.id, correction);
    await logAccess(pool, {
      actor: actorOf(res), action: 'resubmit', target: `consent:${row.id}`, remote: remoteOf(req),
      detail: { rejectedCode: registration.code, corrected: Object.keys(correction) },
    });
    res.json({ ...consentJson((await consentById(pool, row.id))!), registration: await registrationOf(pool, row.id) });
  });

  router.put('/kftc-settings/:organizationCode', allow('admin'), async (req, res) => {
    const code = String(req.params.organizationCode);
    if (organizationCodeProblem('firmBanking', code)) throw new Refusal('validation', 'an organisation code is letters and digits, at most 20', { field: 'organizationCode' });
    const { traceNumber } = parse(settingSchema, req.body);
    await setTraceNumberSetting(pool, code, traceNumber, actorOf(res));
    await logAccess(pool, { actor: actorOf(res), action: 'kftc-settings', target: `organization:${code}`, remote: remoteOf(req), detail: { traceNumber } });
    res.json({ organizationCode: code, traceNumber });
  });

  return router;
}
