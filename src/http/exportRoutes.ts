import { rm } from 'node:fs/promises';
import path from 'node:path';
import express from 'express';
import type pg from 'pg';
import { z } from 'zod';
import { logAccess } from '../audit/store.js';
import { exportBatch } from '../export/exporter.js';
import { firstProblem } from '../shared/problems.js';
import { Refusal } from '../shared/refusal.js';
import { koreanValidationMessage } from '../shared/koreanMessages.js';
import { actorOf } from './actor.js';
import { allow } from './auth.js';

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

/** KFTC transmission files: written under exportsDir, returned as a download, logged. */
export function exportRoutes(deps: { pool: pg.Pool; exportsDir: string }): express.Router {
  const router = express.Router();
  router.post('/exports', allow('admin', 'auditor'), async (req, res) => {
    const parsed = exportSchema.safeParse(req.body);
    if (!parsed.success) {
      const { field, reason } = firstProblem(parsed.error);
      throw new Refusal('validation', reason, { field, message: koreanValidationMessage(field, reason) });
    }
    const p = parsed.data;
    const out = path.join(deps.exportsDir, `${p.format}-${p.organizationCode}-${p.date}-${Date.now()}.dat`);
    const result = await exportBatch(deps.pool, { ...p, out });
    await logAccess(deps.pool, {
      ...actorOf(req, res), action: 'export', target: `${p.format}:${p.organizationCode}:${p.date}`,
      detail: { batchId: result.batchId ?? null, count: result.count, sha256: result.sha256, excluded: result.excluded.map((x) => x.id) },
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
  });
  return router;
}
