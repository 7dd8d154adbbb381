import express from 'express';
import type pg from 'pg';
import { notYours, type AgentConsents } from '../agent/agentConsents.js';
import { remoteOf } from '../audit/accessLog.js';
import { logAccess } from '../audit/store.js';
import type { Principal } from '../users/users.js';
import { allow } from './auth.js';
import { uuidParam } from './params.js';

/**
 * The agent console's API (agents and admins): live calls handed to an agent, payer search, and
 * the recorded-consent flow: start, pause, resume, consented, declined. Mounted after authentication.
 */
export function agentRoutes(deps: { pool: pg.Pool; agent: AgentConsents }): express.Router {
  const router = express.Router();
  const agentOnly = allow('agent', 'admin');
  router.param('id', uuidParam);
  const actor = (res: express.Response) => (res.locals.principal as Principal).actor;

  /** Runs an action and answers its result; a refusal goes to the central error middleware. */
  const handle =
    (action: (req: express.Request, res: express.Response) => Promise<unknown>, status = 200) =>
    async (req: express.Request, res: express.Response) => {
      res.status(status).json(await action(req, res));
    };

  const logged = async (req: express.Request, res: express.Response, action: string, id: string, detail: Record<string, unknown> = {}) =>
    logAccess(deps.pool, { actor: actor(res), action, target: `agent-consent:${id}`, remote: remoteOf(req), detail });

  router.get('/agent/calls', agentOnly, handle(async () => ({ calls: await deps.agent.liveCalls() })));

  router.get(
    '/payers',
    agentOnly,
    handle(async (req, res) => {
      const payers = await deps.agent.searchPayers(typeof req.query.q === 'string' ? req.query.q : '');
      // Who looked payers up, and how many were shown (not the search words: they are personal data).
      await logAccess(deps.pool, { actor: actor(res), action: 'list-payers', target: 'payers', remote: remoteOf(req), detail: { count: payers.length } });
      return { payers };
    }),
  );

  router.post(
    '/agent-consents',
    agentOnly,
    handle(async (req, res) => {
      const started = await deps.agent.start(req.body, actor(res));
      await logged(req, res, 'agent-consent-start', started.id, { callSid: started.callSid });
      return started;
    }, 201),
  );

  router.get('/agent-consents/:id', agentOnly, handle(async (req) => deps.agent.show(String(req.params.id))));

  for (const step of ['pause', 'resume', 'consented', 'declined'] as const) {
    router.post(
      `/agent-consents/:id/${step}`,
      agentOnly,
      handle(async (req, res) => {
        const id = String(req.params.id);
        // An agent acts only on the marked parts they started (admins on any); another's is not found.
        const principal = res.locals.principal as Principal;
        if (principal.role !== 'admin' && (await deps.agent.show(id)).agent !== principal.actor) {
          throw notYours();
        }
        const shown =
          step === 'pause' ? await deps.agent.pause(id, actor(res))
          : step === 'resume' ? await deps.agent.resume(id, actor(res))
          : await deps.agent.finish(id, actor(res), step);
        await logged(req, res, `agent-consent-${step}`, id);
        return shown;
      }),
    );
  }
  return router;
}
