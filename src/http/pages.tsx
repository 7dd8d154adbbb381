import { randomBytes } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import type pg from 'pg';
import { accessLogFor, logAccess, remoteOf } from '../audit/accessLog.js';
import { consentJson } from '../consents/consents.js';
import { consentById, type Consent } from '../consents/store.js';
import { callEvents } from '../calls/store.js';
import { activeHold } from '../consents/holdStore.js';
import { consentOrigin } from '../consents/origin.js';
import { registrationOf } from '../export/resultStore.js';
import { isRefusal } from '../shared/refusal.js';
import { checkLogin } from '../users/users.js';
import { ErrorPage, LoginPage } from '../web/authPages.js';
import { ConsentPage, type ConsentView } from '../web/consentPage.js';
import { ConsentsPage } from '../web/consentsPage.js';
import { sendPage } from '../web/layout.js';
import { PAGE_FILTERS, searchConsentsForPage, type PageFilters } from './consentSearch.js';
import type { LoginLimits } from './loginLimits.js';
import { cookieOptions, cookies, endSession, LOGIN_CSRF_COOKIE, sessionPrincipal, startSession, type SessionPrincipal } from './sessions.js';

/** The auditor's pages (Korean, keyboard and screen-reader friendly): sign-in, search, a consent. */

/** Sends the Korean 403 page to a signed-in user without the role, or redirects to sign-in. */
export async function pageSession(pool: pg.Pool, req: Request, res: Response, roles: string[]): Promise<SessionPrincipal | undefined> {
  const session = await sessionPrincipal(pool, req);
  if (!session) {
    res.redirect(303, '/login');
    return undefined;
  }
  if (!roles.includes(session.role)) {
    sendPage(res, <ErrorPage status={403} viewer={session} message="이 화면을 볼 권한이 없습니다. 필요한 경우 관리자에게 요청해 주세요." />, 403);
    return undefined;
  }
  return session;
}

export function pageRoutes(deps: { pool: pg.Pool; secureCookies: boolean; loginLimits: LoginLimits }): express.Router {
  const router = express.Router();
  router.use(express.urlencoded({ extended: false, limit: '16kb' }));

  const loginForm = (res: Response, status: number, message = '') => {
    const csrf = randomBytes(18).toString('base64url');
    res.cookie(LOGIN_CSRF_COOKIE, csrf, cookieOptions(deps.secureCookies, 3600_000));
    sendPage(res, <LoginPage csrf={csrf} message={message} />, status);
  };

  router.get('/login', (_req, res) => loginForm(res, 200));

  router.post('/login', deps.loginLimits.perAddress, deps.loginLimits.perUsername, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body.csrf !== 'string' || !body.csrf || body.csrf !== cookies(req)[LOGIN_CSRF_COOKIE]) return loginForm(res, 403, '보안 토큰이 맞지 않습니다. 다시 시도해 주세요.');
    const login = await checkLogin(deps.pool, String(body.username ?? ''), String(body.password ?? ''));
    if (!login.ok) {
      return loginForm(res, login.reason === 'locked' ? 423 : 401, login.reason === 'locked' ? '로그인 실패가 반복되어 계정이 잠겼습니다. 15분 뒤에 다시 시도해 주세요.' : '아이디 또는 비밀번호가 맞지 않습니다.');
    }
    await startSession(deps.pool, res, login.userId, deps.secureCookies);
    res.redirect(303, login.role === 'agent' ? '/agent' : '/consents');
  });

  router.post('/logout', async (req, res) => {
    const session = await sessionPrincipal(deps.pool, req);
    if (session && ((req.body ?? {}) as Record<string, unknown>).csrf === session.csrf) await endSession(deps.pool, req);
    res.redirect(303, '/login');
  });

  router.get('/consents', async (req, res) => {
    const session = await pageSession(deps.pool, req, res, ['auditor', 'admin']);
    if (!session) return;
    const query = req.query as PageFilters;
    const values: Record<string, string> = {};
    for (const name of PAGE_FILTERS) {
      const v = query[name];
      values[name] = Array.isArray(v) ? String(v[0] ?? '') : (v ?? '');
    }
    let rows: Consent[] = [];
    let error: { field?: string | undefined; message: string } | undefined;
    try {
      rows = await searchConsentsForPage(deps.pool, query);
    } catch (err) {
      if (!isRefusal(err) || err.kind !== 'validation') throw err;
      error = { field: err.field, message: err.koreanMessage ?? '검색 조건을 확인해 주세요.' };
    }
    sendPage(res, <ConsentsPage viewer={session} values={values} rows={rows} error={error} />, error ? 400 : 200);
  });

  router.get('/consents/:id', async (req, res) => {
    const session = await pageSession(deps.pool, req, res, ['auditor', 'admin']);
    if (!session) return;
    const row = await consentById(deps.pool, String(req.params.id));
    if (!row) {
      sendPage(res, <ErrorPage status={404} viewer={session} message="그런 출금동의가 없습니다." />, 404);
      return;
    }
    await logAccess(deps.pool, { actor: session.actor, action: 'view', target: `consent:${row.id}`, remote: remoteOf(req), detail: { page: true } });
    const consent = consentJson(row) as ConsentView;
    const events = await callEvents(deps.pool, row.callSid);
    const access = await accessLogFor(deps.pool, `consent:${row.id}`);
    const origin = await consentOrigin(deps.pool, row);
    const registration = await registrationOf(deps.pool, row.id);
    const hold = await activeHold(deps.pool, row.id);
    sendPage(res, <ConsentPage viewer={session} consent={consent} events={events} access={access} origin={origin} registration={registration} hold={hold} />);
  });

  return router;
}
