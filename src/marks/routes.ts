import express, { type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import type pg from 'pg';
import { logAccess, remoteOf } from '../audit/accessLog.js';
import { isWellFormedVerificationNumber } from '../consents/verification.js';
import { sessionPrincipal } from '../http/sessions.js';
import type { MarkKeys } from './keys.js';
import { ErrorPage } from '../web/authPages.js';
import { sendPage } from '../web/layout.js';
import { BirthdateForm, ReceiptPage } from './receiptPage.js';
import { receiptConsentById, receiptConsentByNumber, recentReceiptDenials } from './store.js';

/**
 * The marks' public face: the JWKS and the receipts
 * (출금동의 확인서) for auditors and for the payer (behind the holder's birthdate). /verify, with its
 * mark and file check, is the page of src/web (src/http/publicRoutes.ts).
 */

/** Wrong birthdates for one receipt within an hour before it stops answering for that hour. */
export const RECEIPT_DENIALS_PER_HOUR = 5;

export function markRoutes(deps: { pool: pg.Pool; keys: MarkKeys; publicBaseUrl: string; receiptPerMinute: number }): express.Router {
  const router = express.Router();

  router.get('/.well-known/jwks.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').type('application/jwk-set+json').send(JSON.stringify(deps.keys.jwks));
  });

  router.get('/consents/:id/receipt', async (req, res) => {
    const session = await sessionPrincipal(deps.pool, req);
    if (!session) {
      res.redirect(303, '/login');
      return;
    }
    if (session.role !== 'auditor' && session.role !== 'admin') {
      sendPage(res, ErrorPage({ status: 403, viewer: session, message: '이 화면은 감사 담당자와 관리자만 볼 수 있습니다.' }), 403);
      return;
    }
    const consent = await receiptConsentById(deps.pool, String(req.params.id));
    if (!consent) {
      sendPage(res, ErrorPage({ status: 404, viewer: session, message: '그런 출금동의가 없습니다.' }), 404);
      return;
    }
    await logAccess(deps.pool, { actor: session.actor, action: 'receipt-view', target: `consent:${consent.id}`, remote: remoteOf(req) });
    sendPage(res, await ReceiptPage({ consent, publicBaseUrl: deps.publicBaseUrl, forAuditor: true, viewer: session }));
  });

  const receiptLimiter = rateLimit({
    windowMs: 60_000,
    limit: deps.receiptPerMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (_req, res) => {
      res.set('Retry-After', '60');
      sendPage(res, BirthdateForm({ message: '요청이 너무 많습니다. 1분 뒤에 다시 시도해 주세요.' }), 429);
    },
  });

  const wellFormed = (req: Request, res: Response): string | undefined => {
    const number = String(req.params.number ?? '');
    if (isWellFormedVerificationNumber(number)) return number;
    sendPage(res, ErrorPage({ status: 404, message: '확인번호가 올바르지 않습니다. 문자에 적힌 주소를 다시 확인해 주세요.' }), 404);
    return undefined;
  };

  // The form alone tells nothing: whether the number is registered shows only with the birthdate.
  router.get('/r/:number', receiptLimiter, (req, res) => {
    const number = wellFormed(req, res);
    if (!number) return;
    res.set('Cache-Control', 'no-store');
    sendPage(res, BirthdateForm({ number }));
  });

  router.post('/r/:number', receiptLimiter, express.urlencoded({ extended: false, limit: '2kb' }), async (req, res) => {
    const number = wellFormed(req, res);
    if (!number) return;
    res.set('Cache-Control', 'no-store');
    const given = String((req.body as Record<string, unknown>).birthdate ?? '').replace(/[\s.\-/]/g, '');
    const consent = await receiptConsentByNumber(deps.pool, number);
    const target = consent ? `consent:${consent.id}` : `receipt:${number}`;
    if ((await recentReceiptDenials(deps.pool, target, 3600)) >= RECEIPT_DENIALS_PER_HOUR) {
      await logAccess(deps.pool, { actor: 'payer', action: 'receipt-locked', target, remote: remoteOf(req) });
      res.set('Retry-After', '3600');
      sendPage(res, BirthdateForm({ number, message: '생년월일이 여러 번 맞지 않아 1시간 동안 확인서를 열 수 없습니다.' }), 429);
      return;
    }
    if (!consent || !holderMatches(consent.holderId, given)) {
      // The log keeps that someone tried, never what they typed.
      await logAccess(deps.pool, { actor: 'payer', action: 'receipt-denied', target, remote: remoteOf(req) });
      sendPage(res, BirthdateForm({ number, message: '확인번호 또는 생년월일이 맞지 않습니다.' }), 403);
      return;
    }
    await logAccess(deps.pool, { actor: 'payer', action: 'receipt-view', target, remote: remoteOf(req) });
    sendPage(res, await ReceiptPage({ consent, publicBaseUrl: deps.publicBaseUrl, forAuditor: false }));
  });

  return router;
}

/** The holder's id on the record (YYMMDD, or a 10-digit business number) against what was typed (YYMMDD or YYYYMMDD). */
export function holderMatches(holderId: string, given: string): boolean {
  if (!/^\d{6,10}$/.test(given)) return false;
  if (holderId.length === 10) return given === holderId;
  return given.length === 8 ? given.slice(2) === holderId : given === holderId;
}
