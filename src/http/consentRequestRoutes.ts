import express from 'express';
import type pg from 'pg';
import { logAccess, remoteOf } from '../audit/accessLog.js';
import { Refusal } from '../shared/refusal.js';
import type { ConsentRequests } from '../requests/consentRequests.js';
import type { Principal } from '../users/users.js';
import { allow } from './auth.js';

/** Outbound consent requests (method 5): an organisation's website asks for a call, and reads how it went. */
export function consentRequestRoutes(deps: { pool: pg.Pool; requests: ConsentRequests }): express.Router {
  const router = express.Router();

  router.post('/consent-requests', allow('admin', 'integration'), async (req, res) => {
    const principal = res.locals.principal as Principal;
    const { row, replayed } = await deps.requests.create(
      { actor: principal.actor, organizationCode: principal.organizationCode, remote: remoteOf(req) },
      req.body,
      req.header('Idempotency-Key'),
    );
    if (!replayed) {
      await logAccess(deps.pool, { actor: principal.actor, action: 'consent-request', target: `consent-request:${row.id}`, remote: remoteOf(req), detail: { organizationCode: row.organization_code } });
    }
    res.setHeader('Cache-Control', 'no-store');
    res.status(replayed ? 200 : 201).location(`/api/consent-requests/${row.id}`).json({ ...(await deps.requests.show(row.id)), id: row.id, code: row.code });
  });

  /** An integration user reads only its organisation's requests (another's: 404). */
  router.get('/consent-requests/:id', allow('admin', 'integration', 'auditor'), async (req, res) => {
    const principal = res.locals.principal as Principal;
    const id = String(req.params.id);
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw new Refusal('validation', 'must be a UUID', { field: 'id' });
    const shown = await deps.requests.show(id, { organizationCode: principal.role === 'integration' ? (principal.organizationCode ?? '') : undefined });
    if (!shown) throw new Refusal('not-found', 'no consent request with that id');
    res.setHeader('Cache-Control', 'no-store');
    res.json(shown);
  });

  return router;
}
