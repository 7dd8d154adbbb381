import { randomBytes } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import type pg from 'pg';
import { accessLogFor } from '../audit/store.js';
import { consentJson } from '../consents/consents.js';
import { consentById, type Consent } from '../consents/store.js';
import { findConsents } from '../consents/useCases.js';
import { callEvents } from '../calls/store.js';
import { isRefusal } from '../shared/refusal.js';
import { consentOrigin } from '../consents/origin.js';
import { maskAccountNumber } from '../shared/mask.js';
import { kstIso } from '../shared/time.js';
import { checkLogin } from '../users/users.js';
import { cookieOptions, cookies, endSession, LOGIN_CSRF_COOKIE, sessionPrincipal, startSession, type SessionPrincipal } from './sessions.js';

/** The auditor's pages (Korean, keyboard and screen-reader friendly): sign-in, search, a consent. */

export const esc = (v: unknown) =>
  String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function layout(title: string, body: string, session?: SessionPrincipal): string {
  const links = [
    ...(session && session.role !== 'agent' && session.role !== 'integration' ? ['<a href="/consents">동의 검색</a>'] : []),
    ...(session && (session.role === 'agent' || session.role === 'admin') ? ['<a href="/agent">상담원 녹취</a>'] : []),
  ].join(' · ');
  return `<!doctype html><html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · 출금동의 감사</title>${session ? `<meta name="csrf-token" content="${esc(session.csrf)}">` : ''}
<style>body{font-family:system-ui,"Noto Sans KR",sans-serif;max-width:64rem;margin:1.5rem auto;padding:0 1rem;color:#1b1b1b}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}.ok{color:#075}.bad{color:#b00}
form.search{display:grid;grid-template-columns:repeat(3,1fr);gap:.5rem}label{display:flex;flex-direction:column;font-size:.9rem}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #0a58ca}</style></head>
<body><header>${session ? `<nav aria-label="메뉴">${links} · ${esc(session.username)} (${esc(session.role)}) <form method="post" action="/logout" style="display:inline"><input type="hidden" name="csrf" value="${esc(session.csrf)}"><button>로그아웃</button></form></nav>` : ''}</header>
<main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

export function pageRoutes(deps: { pool: pg.Pool; secureCookies: boolean }): express.Router {
  const router = express.Router();
  router.use(express.urlencoded({ extended: false, limit: '16kb' }));

  const loginForm = (res: Response, status: number, message = '') => {
    const csrf = randomBytes(18).toString('base64url');
    res.cookie(LOGIN_CSRF_COOKIE, csrf, cookieOptions(deps.secureCookies, 3600_000));
    res.status(status).type('html').send(
      layout(
        '로그인',
        `${message ? `<p role="alert" class="bad">${esc(message)}</p>` : ''}
<form method="post" action="/login"><input type="hidden" name="csrf" value="${esc(csrf)}">
<label>아이디 <input name="username" autocomplete="username" required></label>
<label>비밀번호 <input name="password" type="password" autocomplete="current-password" required></label>
<button>로그인</button></form>`,
      ),
    );
  };

  router.get('/login', (_req, res) => loginForm(res, 200));

  router.post('/login', async (req, res) => {
    const body = req.body as Record<string, string>;
    if (!body.csrf || body.csrf !== cookies(req)[LOGIN_CSRF_COOKIE]) return loginForm(res, 403, '보안 토큰이 맞지 않습니다. 다시 시도해 주세요.');
    const login = await checkLogin(deps.pool, String(body.username ?? ''), String(body.password ?? ''));
    if (!login.ok) {
      return loginForm(res, login.reason === 'locked' ? 423 : 401, login.reason === 'locked' ? '로그인 실패가 반복되어 계정이 잠겼습니다. 15분 뒤에 다시 시도해 주세요.' : '아이디 또는 비밀번호가 맞지 않습니다.');
    }
    await startSession(deps.pool, res, login.userId, deps.secureCookies);
    res.redirect(303, login.role === 'agent' ? '/agent' : '/consents');
  });

  router.post('/logout', async (req, res) => {
    const session = await sessionPrincipal(deps.pool, req);
    if (session && (req.body as Record<string, string>).csrf === session.csrf) await endSession(deps.pool, req);
    res.redirect(303, '/login');
  });

  const auditorPage = async (req: Request, res: Response): Promise<SessionPrincipal | undefined> => {
    const session = await sessionPrincipal(deps.pool, req);
    if (!session) {
      res.redirect(303, '/login');
      return undefined;
    }
    if (session.role !== 'auditor' && session.role !== 'admin') {
      res.status(403).type('html').send(layout('권한 없음', '<p>이 화면은 감사 담당자와 관리자만 볼 수 있습니다.</p>', session));
      return undefined;
    }
    return session;
  };

  router.get('/consents', async (req, res) => {
    const session = await auditorPage(req, res);
    if (!session) return;
    const q = req.query as Record<string, string | undefined>;
    let rows: Consent[] = [];
    let problem: string | undefined;
    try {
      rows = await findConsents(deps.pool, req.query as Record<string, unknown>, 200);
    } catch (err) {
      if (!isRefusal(err)) throw err;
      problem = err.koreanMessage ?? err.message;
      res.status(400);
    }
    const field = (name: string, label: string, extra = '') => `<label>${label}<input name="${name}" value="${esc(q[name])}" ${extra}></label>`;
    res.type('html').send(
      layout(
        '출금동의 검색',
        `<form class="search" method="get" role="search">
${field('payerNumber', '납부자번호')}${field('name', '예금주 이름')}${field('phone', '전화번호')}
${field('account', '계좌 끝자리', 'inputmode="numeric"')}${field('verificationNumber', '확인번호', 'inputmode="numeric"')}
<label>방법<select name="method"><option value="">전체</option><option value="5"${q.method === '5' ? ' selected' : ''}>ARS (5)</option><option value="4"${q.method === '4' ? ' selected' : ''}>녹취 (4)</option></select></label>
<label>상태<select name="status"><option value="">전체</option>${['ready', 'evidence_failed', 'sent'].map((s) => `<option${q.status === s ? ' selected' : ''}>${s}</option>`).join('')}</select></label>
${field('from', '시작일', 'type="date"')}${field('to', '종료일', 'type="date"')}
<button>검색</button></form>
${problem ? `<p role="alert" class="bad">${esc(problem)}</p>` : ''}<p aria-live="polite">${rows.length}건</p>
<table><thead><tr><th scope="col">동의 일시</th><th scope="col">납부자번호</th><th scope="col">예금주</th><th scope="col">계좌</th><th scope="col">방법</th><th scope="col">상태</th></tr></thead><tbody>
${rows
  .map(
    (r) =>
      `<tr><td><a href="/consents/${esc(r.id)}">${esc(kstIso(r.consentedAt))}</a></td><td>${esc(r.payerNumber)}</td><td>${esc(r.holderName)}</td><td>${esc(r.bankCode)} ${esc(maskAccountNumber(r.accountNumber))}</td><td>${esc(r.methodCode)}</td><td>${esc(r.status)}</td></tr>`,
  )
  .join('')}
</tbody></table>`,
        session,
      ),
    );
  });

  router.get('/consents/:id', async (req, res) => {
    const session = await auditorPage(req, res);
    if (!session) return;
    const row = await consentById(deps.pool, String(req.params.id));
    if (!row) {
      res.status(404).type('html').send(layout('찾을 수 없음', '<p>그런 출금동의가 없습니다.</p>', session));
      return;
    }
    const c = consentJson(row) as Record<string, any>;
    const events = await callEvents(deps.pool, row.callSid);
    const log = await accessLogFor(deps.pool, `consent:${row.id}`);
    const origin = await consentOrigin(deps.pool, row);
    const eventNames: Record<string, string> = { start: '녹음 시작', pause: '일시정지', resume: '재개', finish: '답변 표시·녹음 종료' };
    const originHtml =
      origin.kind === 'agent'
        ? `<p>상담원 녹취 (방법 4): 상담원 <strong>${esc(origin.agent)}</strong>가 표시한 부분만 녹음되었습니다.</p><ol id="agent-events">${origin.events
            .map((e) => `<li><time>${esc(e.at)}</time> ${esc(eventNames[e.kind] ?? e.kind)} (${esc(e.actor)})</li>`)
            .join('')}</ol>`
        : origin.kind === 'request'
          ? `<p>출금동의 요청에 따른 발신 ARS (방법 5): 요청 ${esc(origin.requestId)}, ${esc(origin.requestedBy)}, ${esc(origin.requestedAt)}</p>`
          : '<p>고객의 ARS 수신 통화 (방법 5)</p>';
    const fields: [string, unknown][] = [
      ['상태', c.status], ['방법 코드', c.methodCode], ['서비스', c.serviceType], ['이용기관코드', c.organizationCode], ['기관', c.organizationName],
      ['납부자번호', c.payerNumber], ['예금주', c.holderName], [c.businessNumber ? '사업자번호' : '생년월일(YYMMDD)', c.businessNumber ?? c.birthDate],
      ['은행', `${c.bankName} (${c.bankCode})`], ['계좌번호', c.accountNumber], ['신청일', c.applicationDate], ['동의 일시', c.consentedAt],
      ['확인번호', c.verificationNumber], ['파일', `${c.fileExtension}, ${c.fileSize} bytes, ${c.bitrateKbps} kbps, ${c.durationSeconds} s`],
      ['통화', c.callSid], ['녹음', c.recordingSid],
    ];
    const describe = (e: { kind: string; detail: Record<string, any> }) =>
      e.kind === 'prompt' ? `ARS: ${e.detail.text}` : e.kind === 'input' ? `입력: ${JSON.stringify(e.detail)}` : `${e.kind}: ${JSON.stringify(e.detail)}`;
    res.type('html').send(
      layout(
        `출금동의 ${c.consentedAt}`,
        `<dl>${fields.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>
<h2>녹음</h2><audio id="player" controls preload="metadata" src="/api/consents/${esc(row.id)}/audio"></audio>
<p><a href="/api/consents/${esc(row.id)}/audio?download=1" download>MP3 내려받기</a></p>
<h2>무결성</h2><p>SHA-256 <code id="sha">${esc(c.sha256)}</code> <button id="verify">지금 검증</button> <span id="verify-result" role="status" aria-live="polite"></span></p>
<h2>증거 검사 ${c.evidence.passed ? '<span class="ok">통과</span>' : '<span class="bad">실패</span>'}</h2>
<ul>${c.evidence.checks.map((k: any) => `<li class="${k.ok ? 'ok' : 'bad'}">${esc(k.name)}: ${esc(k.reason)}</li>`).join('')}</ul>
<h2>동의 경위</h2>${originHtml}
<h2>통화 기록</h2><ol>${events.map((e) => `<li><time>${esc(kstIso(e.at))}</time> [${esc(e.step)}] ${esc(describe(e))}</li>`).join('')}</ol>
<h2>열람 기록</h2><ul id="access-log">${log.map((e: any) => `<li>${esc(kstIso(e.at))} ${esc(e.actor)} ${esc(e.action)} ${esc(e.remote ?? '')}</li>`).join('')}</ul>
<script>
document.getElementById('verify').onclick = async () => {
  const out = document.getElementById('verify-result');
  out.textContent = '검증 중…';
  const r = await fetch('/api/consents/${esc(row.id)}/verify', { method: 'POST', headers: { 'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content } });
  const j = await r.json();
  out.textContent = j.result === 'intact' ? '원본과 같습니다 (intact)' : j.result === 'altered' ? '파일이 변경되었습니다 (altered)' : '파일이 없습니다 (missing)';
  out.className = j.result === 'intact' ? 'ok' : 'bad';
};
</script>`,
        session,
      ),
    );
  });

  return router;
}
