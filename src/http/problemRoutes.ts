import express from 'express';
import type pg from 'pg';
import { consentProblems, type ConsentProblem } from '../recordings/consentSourcesStore.js';
import { kstIso } from '../shared/time.js';
import { allow, authenticate } from './auth.js';
import { esc, layout } from './pages.js';
import { sessionPrincipal } from './sessions.js';

/**
 * Consents given without a ready consent record: `GET /api/problems` (admins and auditors) and the
 * same list on the auditor's pages (`/problems`, Korean). A pipeline that failed for good shows here.
 */

function problemJson(p: ConsentProblem) {
  return { kind: p.kind, callSid: p.callSid, agentConsentId: p.agentConsentId, recordingSid: p.recordingSid, consentId: p.consentId, stage: p.stage, reason: p.reason, since: kstIso(p.since) };
}

const STAGE_KO: Record<string, string> = {
  'waiting-for-recording': '녹음 대기',
  processing: '처리 중',
  failed: '처리 실패',
  'evidence-failed': '증거 검사 실패',
  'recording-missing': '녹음 없음',
};

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
      return void res.status(403).type('html').send(layout('권한 없음', '<p>이 화면은 감사 담당자와 관리자만 볼 수 있습니다.</p>', session));
    }
    const problems = await consentProblems(deps.pool);
    const rows = problems
      .map((p) => `<tr><td>${esc(kstIso(p.since))}</td><td>${p.kind === 'agent' ? '상담원 녹취' : 'ARS'}</td><td>${esc(p.callSid)}</td><td class="bad">${esc(STAGE_KO[p.stage] ?? p.stage)}</td><td>${esc(p.reason ?? '')}</td><td>${p.consentId ? `<a href="/consents/${esc(p.consentId)}">동의 기록</a>` : ''}</td></tr>`)
      .join('');
    const body = problems.length
      ? `<p>동의했지만 준비된 동의 기록이 없는 통화 ${problems.length}건입니다.</p><table><thead><tr><th>시각</th><th>방식</th><th>통화</th><th>단계</th><th>사유</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
      : '<p class="ok">처리되지 않은 동의가 없습니다.</p>';
    res.type('html').send(layout('처리되지 않은 동의', body, session));
  });
  return router;
}
