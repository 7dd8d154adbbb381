import express from 'express';
import { rateLimit } from 'express-rate-limit';
import type pg from 'pg';
import { kstIso } from '../shared/time.js';
import { isWellFormedVerificationNumber } from '../consents/verification.js';
import { verifiableConsent } from '../consents/store.js';

/**
 * Public verification of a consent by its 16-digit verification number: valid or not, the
 * organisation, the method, when, and the file's hash. No personal data; rate-limited per client.
 */
export function publicRoutes(deps: { pool: pg.Pool; verifyPerMinute: number }): express.Router {
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
    const consent = await verifiableConsent(deps.pool, number);
    if (!consent) {
      res.json({ valid: false });
      return;
    }
    res.json({ valid: true, organization: consent.organizationName, methodCode: consent.methodCode, consentedAt: kstIso(consent.consentedAt), sha256: consent.fileSha256 });
  });

  router.get('/verify', (_req, res) => {
    res.type('html').send(`<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>출금동의 확인</title>
<style>body{font-family:system-ui,"Noto Sans KR",sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}input{font-size:1.2rem;width:18ch}button{font-size:1.1rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}</style></head>
<body><h1>출금동의 확인</h1>
<form id="f"><label for="n">확인번호 (16자리)</label><br><input id="n" inputmode="numeric" pattern="\\d{16}" maxlength="16" required autocomplete="off"> <button>확인</button></form>
<div id="out" role="status" aria-live="polite"></div>
<script>
document.getElementById('f').onsubmit = async (e) => {
  e.preventDefault();
  const out = document.getElementById('out');
  const r = await fetch('/api/verify/' + encodeURIComponent(document.getElementById('n').value.trim()));
  const j = await r.json();
  if (!r.ok) { out.textContent = j.reason || '확인할 수 없습니다.'; return; }
  if (!j.valid) { out.textContent = '등록된 출금동의가 없습니다.'; return; }
  const dl = document.createElement('dl');
  for (const [k, v] of [['결과', '유효한 출금동의'], ['기관', j.organization], ['방법', j.methodCode === 5 ? 'ARS (5)' : '녹취 (4)'], ['동의 일시', j.consentedAt], ['파일 SHA-256', j.sha256]]) {
    const dt = document.createElement('dt'); dt.textContent = k; const dd = document.createElement('dd'); dd.textContent = v; dl.append(dt, dd);
  }
  out.replaceChildren(dl);
};
</script></body></html>`);
  });
  return router;
}
