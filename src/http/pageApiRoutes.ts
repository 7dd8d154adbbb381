import express from 'express';
import type pg from 'pg';
import { logAccess, remoteOf } from '../audit/accessLog.js';
import { consentById } from '../consents/store.js';
import type { Principal } from '../users/users.js';
import { allow } from './auth.js';

/** API calls the pages make (mounted after authentication). */
export function pageApiRoutes(deps: { pool: pg.Pool }): express.Router {
  const router = express.Router();

  /** The consent page's player says playback started: one "replay" in the access log per play. */
  router.post('/consents/:id/replay', allow('admin', 'auditor'), async (req, res) => {
    const row = await consentById(deps.pool, String(req.params.id));
    if (!row) {
      res.status(404).json({ error: 'not_found', reason: 'no consent with that id', message: '그런 출금동의가 없습니다.' });
      return;
    }
    const actor = (res.locals.principal as Principal).actor;
    await logAccess(deps.pool, { actor, action: 'replay', target: `consent:${row.id}`, remote: remoteOf(req), detail: { player: true } });
    res.status(204).end();
  });

  return router;
}
