import express from 'express';
import type pg from 'pg';
import { callEvents, callRecord } from '../calls/store.js';
import { Refusal } from '../shared/refusal.js';
import { allow } from './auth.js';

/** A call's state, outcome and event log. */
export function callRoutes(deps: { pool: pg.Pool }): express.Router {
  const router = express.Router();
  router.get('/calls/:callSid', allow('admin', 'auditor'), async (req, res) => {
    const callSid = String(req.params.callSid);
    const call = await callRecord(deps.pool, callSid);
    if (!call) throw new Refusal('not-found', 'no call with that CallSid', { message: '그런 통화가 없습니다.' });
    const { hungUpAt: _hungUpAt, ...shown } = call;
    res.json({ ...shown, events: await callEvents(deps.pool, callSid) });
  });
  return router;
}
