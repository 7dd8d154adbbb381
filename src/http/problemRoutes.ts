import express from 'express';
import type pg from 'pg';
import { consentProblems, type ConsentProblem } from '../recordings/consentSourcesStore.js';
import { kstIso } from '../shared/time.js';
import { allow, authenticate } from './auth.js';
import { ErrorPage } from '../web/authPages.js';
import { sendPage } from '../web/layout.js';
import { ProblemsPage } from '../web/problemsPage.js';
import { sessionPrincipal } from './sessions.js';

/**
 * Consents given without a ready consent record: `GET /api/problems` (admins and auditors) and the
 * same list on the auditor's pages (`/problems`, Korean). A pipeline that failed for good shows here.
 */

function problemJson(p: ConsentProblem) {
  return { kind: p.kind, callSid: p.callSid, agentConsentId: p.agentConsentId, recordingSid: p.recordingSid, consentId: p.consentId, stage: p.stage, reason: p.reason, since: kstIso(p.since) };
}

export function problemApi(deps: { pool: pg.Pool; adminToken: string }): express.Router {
  const router = express.Router();
  router.get('/problems', authenticate(deps.pool, deps.adminToken), allow('admin', 'auditor'), async (_req, res) => {
    res.json({ problems: (await consentProblems(deps.pool)).map(problemJson) });
  });
  return router;
}

export function problemPage(deps: { pool: pg.Pool }): express.Router {
  const router = express.Router();
  router.get('/problems', async (req, res) => {
    const session = await sessionPrincipal(deps.pool, req);
    if (!session) return void res.redirect(303, '/login');
    if (session.role !== 'auditor' && session.role !== 'admin') {
      return sendPage(res, ErrorPage({ status: 403, viewer: session, message: '이 화면은 감사 담당자와 관리자만 볼 수 있습니다.' }), 403);
    }
    sendPage(res, ProblemsPage({ viewer: session, problems: await consentProblems(deps.pool) }));
  });
  return router;
}
