import express from 'express';
import { rateLimit } from 'express-rate-limit';
import type pg from 'pg';
import type { MarkKeys } from '../marks/keys.js';
import { publicConsentByNumber } from '../marks/store.js';
import { checkTimeMark, markKeyId } from '../marks/timeMark.js';
import { kstIso } from '../shared/time.js';
import { isWellFormedVerificationNumber } from '../consents/verification.js';

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
    message: { error: 'rate_limited', reason: 'too many verification requests; try again in a minute' },
  });

  router.get('/api/verify/:number', limiter, async (req, res) => {
    const number = String(req.params.number ?? '');
    if (!/^\d{16}$/.test(number)) {
      res.status(400).json({ error: 'validation', field: 'number', reason: 'a verification number is 16 digits' });
      return;
    }
    if (!isWellFormedVerificationNumber(number)) {
      res.status(400).json({ error: 'validation', field: 'number', reason: 'the check digit does not match: the number is mistyped' });
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

  // The /verify page is served by the marks' routes (src/marks/routes.ts).
  return router;
}
