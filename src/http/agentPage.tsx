import express from 'express';
import type pg from 'pg';
import { Layout, sendPage } from '../web/layout.js';
import { pageSession } from './pages.js';

/**
 * The agent console (signed in as an agent or admin). The page is a shell; its typed module
 * (src/web/client/agent.tsx) is a thin client of /api/agent/calls and /api/agent-consents.
 */
export function agentPage(deps: { pool: pg.Pool }): express.Router {
  const router = express.Router();
  router.get('/agent', async (req, res) => {
    const session = await pageSession(deps.pool, req, res, ['agent', 'admin']);
    if (!session) return;
    sendPage(
      res,
      <Layout title="상담원 녹취 동의" viewer={session} script="agent">
        <div id="console" data-role={session.role}>
          <p>불러오는 중…</p>
        </div>
      </Layout>,
    );
  });
  return router;
}
