import express from 'express';
import type pg from 'pg';
import { logAccess as writeAccessLog, remoteOf } from '../audit/accessLog.js';
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
import { organizationCodeProblem } from '../kftc/rules.js';
import { kftcRoutes } from './kftcRoutes.js';
import { accessLogRoutes } from './accessLogRoutes.js';
import { callRoutes } from './callRoutes.js';
import { consentRoutes } from './consentRoutes.js';
import { exportRoutes } from './exportRoutes.js';
import { payerRoutes } from './payerRoutes.js';

export { exportSchema } from './exportRoutes.js';

export type ApiDeps = { pool: pg.Pool; adminToken: string; exportsDir: string; requests: ConsentRequests; agent: AgentConsents; loginLimits: LoginLimits };

async function logAccess(pool: pg.Pool, req: express.Request, action: string, target: string, detail: Record<string, unknown> = {}): Promise<void> {
  const actor = (req.res?.locals.principal as Principal | undefined)?.actor ?? 'unknown';
  await writeAccessLog(pool, { actor, action, target, remote: remoteOf(req), detail });
}

export function apiRoutes(deps: ApiDeps): express.Router {
  const router = express.Router();
  router.use(express.json({ limit: '1mb' }));

  router.use(tokenIssueRoutes({ pool: deps.pool, limits: deps.loginLimits }));

  router.use(authenticate(deps.pool, deps.adminToken));
  router.param('id', uuidParam);
  router.use(agentRoutes({ pool: deps.pool, agent: deps.agent }));
  router.use(kftcRoutes({ pool: deps.pool }));
  router.use(pageApiRoutes({ pool: deps.pool }));
  router.use(payerRoutes({ pool: deps.pool }));
  router.use(callRoutes({ pool: deps.pool }));
  router.use(consentRoutes({ pool: deps.pool }));
  router.use(accessLogRoutes({ pool: deps.pool }));
  router.use(exportRoutes({ pool: deps.pool, exportsDir: deps.exportsDir }));

  router.use(userRoutes({ pool: deps.pool }));
  router.use(consentRequestRoutes({ pool: deps.pool, requests: deps.requests }));

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
