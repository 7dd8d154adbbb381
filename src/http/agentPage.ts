import express from 'express';
import type pg from 'pg';
import { layout } from './pages.js';
import { sessionPrincipal } from './sessions.js';

/**
 * The agent console (signed in as an agent): the live calls the ARS handed over, and on one of
 * them the recorded-consent flow. The page is a thin client of /api/agent-consents.
 */

const BODY = `
<style>.row{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end;margin:.5rem 0}.row label{min-width:12rem}
.row input{font-size:1rem;padding:.3rem}#state.live{color:#b00}#state.live::before{content:"● "}
#recording button,#start{font-size:1rem;padding:.4rem .9rem}</style>
<section aria-labelledby="calls-h"><h2 id="calls-h">연결된 통화</h2>
<table><thead><tr><th scope="col">연결 시각</th><th scope="col">발신 번호</th><th scope="col">납부자</th><th scope="col">사유</th><th scope="col"></th></tr></thead>
<tbody id="calls"><tr><td colspan="5">불러오는 중…</td></tr></tbody></table></section>

<section id="flow" hidden aria-labelledby="flow-h"><h2 id="flow-h">녹취 동의</h2>
<p>통화 <code id="call-sid"></code></p>
<form id="payer-form" class="row"><label>납부자 검색 (납부자번호 또는 이름)<input id="payer-q" autocomplete="off"></label><button>찾기</button></form>
<ul id="payer-results"></ul>
<p>납부자: <strong id="payer-chosen">선택 안 됨</strong></p>
<div class="row"><label>은행코드<input id="bank" inputmode="numeric" maxlength="3" autocomplete="off"></label>
<label>계좌번호<input id="account" inputmode="numeric" autocomplete="off"></label></div>
<p><button id="start">녹음 시작</button></p></section>

<section id="recording" hidden aria-labelledby="rec-h"><h2 id="rec-h">안내문 (그대로 읽어 주세요)</h2>
<blockquote id="script" style="font-size:1.2rem;line-height:1.6"></blockquote>
<p>녹음 상태: <strong id="state" aria-live="polite"></strong></p>
<p><button id="pause">일시정지</button> <button id="resume" disabled>재개</button>
<button id="consented">동의함</button> <button id="declined">거부함</button></p></section>

<p id="message" role="status" aria-live="polite"></p>
<script nonce="{{nonce}}">
const csrf = document.querySelector('meta[name=csrf-token]').content;
const $ = (id) => document.getElementById(id);
let callSid = null, payerNumber = null, current = null;
const reasons = { requested: '상담원 요청', maxAttempts: 'ARS 입력 실패', notHolder: '예금주 아님', smsFailed: '인증문자 실패' };
const stateNames = { recording: '녹음 중', paused: '일시정지 (녹음 안 됨)', consented: '동의 — 녹음 종료', declined: '거부 — 녹음 종료 (증거 아님)', failed: '실패' };
function say(text, bad) { $('message').textContent = text; $('message').className = bad ? 'bad' : 'ok'; }
function cell(text) { const td = document.createElement('td'); td.textContent = text ?? ''; return td; }
async function call(method, url, body) {
  const r = await fetch(url, { method, headers: { 'X-CSRF-Token': csrf, ...(body ? { 'Content-Type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const j = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(j.message || j.reason || ('HTTP ' + r.status));
  return j;
}
async function refreshCalls() {
  try {
    const { calls } = await call('GET', '/api/agent/calls');
    const body = $('calls');
    body.replaceChildren();
    if (!calls.length) { const tr = document.createElement('tr'); const td = cell('상담원에게 연결된 통화가 없습니다.'); td.colSpan = 5; tr.append(td); body.append(tr); }
    for (const c of calls) {
      const tr = document.createElement('tr');
      tr.dataset.callSid = c.callSid;
      const pick = document.createElement('button');
      pick.textContent = c.callSid === callSid ? '선택됨' : '이 통화 선택';
      pick.disabled = c.callSid === callSid;
      pick.onclick = () => choose(c);
      const td = document.createElement('td'); td.append(pick);
      tr.append(cell(c.transferredAt.slice(11, 19) + (c.hungUp ? ' (통화 종료, 답변 표시 대기)' : '')), cell(c.from), cell(c.holderName ? c.holderName + ' (' + c.payerNumber + ')' : '확인 전'), cell(reasons[c.reason] || c.reason), td);
      body.append(tr);
    }
  } catch (e) { say('통화 목록을 불러오지 못했습니다: ' + e.message, true); }
}
function choose(c) {
  callSid = c.callSid;
  $('call-sid').textContent = c.callSid;
  $('flow').hidden = false;
  if (c.payerNumber) { payerNumber = c.payerNumber; $('payer-chosen').textContent = (c.holderName || '') + ' (' + c.payerNumber + ')'; }
  if (c.agentConsent) load(c.agentConsent.id);
  refreshCalls();
}
$('payer-form').onsubmit = async (ev) => {
  ev.preventDefault();
  const { payers } = await call('GET', '/api/payers?q=' + encodeURIComponent($('payer-q').value));
  const list = $('payer-results');
  list.replaceChildren();
  if (!payers.length) list.append(Object.assign(document.createElement('li'), { textContent: '찾는 납부자가 없습니다.' }));
  for (const p of payers) {
    const b = document.createElement('button');
    b.textContent = '선택: ' + p.name + ' (' + p.payerNumber + ', ' + p.birthDate + ')';
    b.onclick = () => { payerNumber = p.payerNumber; $('payer-chosen').textContent = p.name + ' (' + p.payerNumber + ')'; list.replaceChildren(); };
    const li = document.createElement('li'); li.append(b); list.append(li);
  }
};
function show(a) {
  current = a;
  $('recording').hidden = false;
  $('script').textContent = a.script;
  $('state').textContent = stateNames[a.state] || a.state;
  $('state').className = a.state === 'recording' ? 'live' : '';
  const live = a.state === 'recording' || a.state === 'paused';
  $('pause').disabled = a.state !== 'recording';
  $('resume').disabled = a.state !== 'paused';
  $('consented').disabled = $('declined').disabled = !live;
  $('start').disabled = live;
}
async function load(id) { show(await call('GET', '/api/agent-consents/' + id)); }
$('start').onclick = async () => {
  if (!payerNumber) return say('납부자를 먼저 선택해 주세요.', true);
  try {
    show(await call('POST', '/api/agent-consents', { callSid, payerNumber, bankCode: $('bank').value, accountNumber: $('account').value }));
    say('녹음을 시작했습니다. 안내문을 읽어 주세요.');
  } catch (e) { say(e.message, true); }
};
for (const step of ['pause', 'resume', 'consented', 'declined']) {
  $(step).onclick = async () => {
    try {
      show(await call('POST', '/api/agent-consents/' + current.id + '/' + step));
      if (step === 'consented') { say('동의로 기록했습니다. 녹음 파일을 처리하는 중입니다…'); waitForRecord(current.id); }
      else if (step === 'declined') say('거부로 기록했습니다. 이 녹음은 증거로 쓰이지 않습니다.');
    } catch (e) { say(e.message, true); }
  };
}
async function waitForRecord(id) {
  for (let i = 0; i < 120; i++) {
    const a = await call('GET', '/api/agent-consents/' + id);
    if (a.consentId && a.consentStatus === 'evidence_failed') return say('녹음이 증거 검사를 통과하지 못했습니다: ' + a.evidenceProblems.join('; ') + ' (' + a.consentId + ')', true);
    if (a.consentId) return say('출금동의 기록 완료 (' + a.consentStatus + '): ' + a.consentId);
    if (a.pipeline && a.pipeline.state === 'failed') return say('녹음 파일 처리 실패: ' + a.pipeline.error, true);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
refreshCalls();
setInterval(refreshCalls, 2000);
</script>`;

export function agentPage(deps: { pool: pg.Pool }): express.Router {
  const router = express.Router();
  router.get('/agent', async (req, res) => {
    const session = await sessionPrincipal(deps.pool, req);
    if (!session) {
      res.redirect(303, '/login');
      return;
    }
    if (session.role !== 'agent' && session.role !== 'admin') {
      res.status(403).type('html').send(layout('권한 없음', '<p>이 화면은 상담원과 관리자만 볼 수 있습니다.</p>', session));
      return;
    }
    res.type('html').send(layout('상담원 녹취 동의', BODY.replace('{{nonce}}', String(res.locals.cspNonce)), session));
  });
  return router;
}
