import express from 'express';
import { rateLimit } from 'express-rate-limit';
import type pg from 'pg';
import type { MarkKeys } from '../marks/keys.js';
import { publicConsentByNumber } from '../marks/store.js';
import { checkTimeMark, markKeyId } from '../marks/timeMark.js';
import { kstIso } from '../shared/time.js';
import { isWellFormedVerificationNumber } from '../consents/verification.js';
import { sendPage } from '../web/layout.js';
import { VerifyPage } from '../web/verifyPage.js';

/**
 * Public verification of a consent by its 16-digit verification number: valid or not, the
 * organisation, the method, when, the file's hash and its time mark. No personal data; rate-limited per client.
 */
export function publicRoutes(deps: { pool: pg.Pool; verifyPerMinute: number; keys: MarkKeys }): express.Router {
  const router = express.Router();
  const limiter = rateLimit({
    windowMs: 60_000,
    limit: deps.verifyPerMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    message: { error: 'rate_limited', reason: 'too many verification requests; try again in a minute', message: '확인 요청이 너무 많습니다. 1분 뒤에 다시 시도해 주세요.' },
  });

  router.get('/api/verify/:number', limiter, async (req, res) => {
    // Written as people write it: 4288-4995-2236-1665 or 4288 4995 2236 1665.
    const number = String(req.params.number ?? '').replace(/[\s-]/g, '');
    if (!/^\d{16}$/.test(number)) {
      res.status(400).json({ error: 'validation', field: 'number', reason: 'a verification number is 16 digits', message: '확인번호는 숫자 16자리입니다.' });
      return;
    }
    if (!isWellFormedVerificationNumber(number)) {
      res.status(400).json({
        error: 'validation', field: 'number', reason: 'the check digit does not match: the number is mistyped',
        message: '확인번호의 마지막 검증 숫자가 맞지 않습니다. 잘못 입력한 숫자가 없는지 확인해 주세요.',
      });
      return;
    }
    const row = await publicConsentByNumber(deps.pool, number);
    if (!row) {
      res.json({ valid: false });
      return;
    }
    const mark = row.timeMark ? await checkTimeMark(row.timeMark, deps.keys.jwks) : undefined;
    res.json({
      valid: true, organization: row.organizationName, methodCode: row.methodCode, consentedAt: kstIso(row.consentedAt), sha256: row.sha256,
      timeMark: row.timeMark, keyId: row.timeMark ? (markKeyId(row.timeMark) ?? null) : null,
      timeMarkValid: mark ? mark.valid && mark.payload.sha256 === row.sha256 && mark.payload.verificationNumber === number : false,
    });
  });

  // The page: the record, its time mark and key, and a dropped MP3 compared by its hash in the browser.
  router.get('/verify', (req, res) => {
    sendPage(res, VerifyPage({ number: typeof req.query.number === 'string' ? req.query.number.slice(0, 40) : undefined }));
  });
  return router;
}
