import express from 'express';
import type pg from 'pg';
import { verifyAccessLogChain } from '../audit/store.js';
import { allow } from './auth.js';

/** The access log's hash chain, checked whole. */
export function accessLogRoutes(deps: { pool: pg.Pool }): express.Router {
  const router = express.Router();
  router.get('/access-log/verify', allow('admin', 'auditor'), async (_req, res) => {
    res.json(await verifyAccessLogChain(deps.pool));
  });
  return router;
}
