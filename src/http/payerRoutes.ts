import express from 'express';
import type pg from 'pg';
import { payerInputSchema } from '../payers/payers.js';
import { findPayer, upsertPayer } from '../payers/store.js';
import { firstProblem } from '../shared/problems.js';
import { Refusal } from '../shared/refusal.js';
import { koreanValidationMessage } from '../shared/koreanMessages.js';
import { logAccess } from '../audit/store.js';
import { actorOf } from './actor.js';
import { allow } from './auth.js';

/** Payers on file: written by admins, read by admins and agents. */
export function payerRoutes(deps: { pool: pg.Pool }): express.Router {
  const router = express.Router();
  router.post('/payers', allow('admin'), async (req, res) => {
    const parsed = payerInputSchema.safeParse(req.body);
    if (!parsed.success) {
      const { field, reason } = firstProblem(parsed.error);
      throw new Refusal('validation', reason, { field, message: koreanValidationMessage(field, reason) });
    }
    const created = await upsertPayer(deps.pool, parsed.data);
    const payer = await findPayer(deps.pool, parsed.data.payerNumber);
    res.status(created ? 201 : 200).json({ ...payer, created });
  });

  router.get('/payers/:payerNumber', allow('admin', 'agent'), async (req, res) => {
    const payer = await findPayer(deps.pool, String(req.params.payerNumber));
    if (!payer) throw new Refusal('not-found', 'no payer with that payer number', { message: '그런 납부자번호가 없습니다.' });
    await logAccess(deps.pool, { ...actorOf(req, res), action: 'read-payer', target: `payer:${payer.payerNumber}` });
    res.json(payer);
  });
  return router;
}
