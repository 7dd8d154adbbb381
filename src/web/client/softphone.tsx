/**
 * The demo softphone: calls the ARS or waits for its call, keys by click or keyboard, a compact
 * transcript with times, the sign-up screen that shows an outbound request's code, the record
 * (or that it failed its evidence check). Closing the tab hangs up.
 */
import { fileSize, koreanDateTime, duration } from '../format.js';
import { consentStatus, label } from '../labels.js';

type SimEvent =
  | { kind: 'ars'; text: string }
  | { kind: 'caller'; keys?: string; say?: string }
  | { kind: 'recording'; action: string }
  | { kind: 'note'; text: string }
  | { kind: 'ended' }
  | { kind: 'waiting' }
  | { kind: 'noRecord' }
  | { kind: 'consent'; consent: Record<string, any> };

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
let session: string | null = null;
let next = 0;
let timer: ReturnType<typeof setInterval> | undefined;

function time(): string {
  const d = new Date(Date.now() + 9 * 3600_000);
  return d.toISOString().slice(11, 19);
}

function line(cls: string, text: string, who?: string): void {
  const li = document.createElement('li');
  li.className = cls;
  const t = document.createElement('time');
  t.textContent = time();
  const body = document.createElement('span');
  if (who) {
    const b = document.createElement('b');
    b.textContent = who;
    body.append(b);
  }
  body.append(text);
  li.append(t, body);
  $('transcript').append(li);
  li.scrollIntoView({ block: 'nearest' });
}

/** Removes the "processing" line once the outcome is known. */
function clearWaiting(): void {
  document.querySelectorAll('#transcript li.waiting').forEach((li) => li.remove());
}

async function send(body: Record<string, unknown>): Promise<void> {
  if (!session) return;
  await fetch(`/_sim/softphone/${session}/input`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

function showConsent(c: Record<string, any>, audio: string | null): void {
  const failed = c.status === 'evidence_failed';
  $('consent-h').textContent = failed ? '증거 검사 불합격: 출금동의로 쓸 수 없는 녹음' : '등록된 출금동의';
  $('consent-h').className = failed ? 'bad' : 'ok';
  const fields: [string, string][] = [
    ['상태', label(consentStatus, c.status)],
    ['납부자번호', c.payerNumber],
    ['예금주', c.holderName],
    ['은행', `${c.bankName ?? ''} (${c.bankCode})`],
    ['계좌번호', c.accountNumber],
    ['동의 일시', koreanDateTime(c.consentedAt)],
    ...(failed ? [] : ([['확인번호', c.verificationNumber]] as [string, string][])),
    ['파일', `${fileSize(c.fileSize)} · ${c.bitrateKbps} kbps · ${duration(c.durationSeconds)}`],
    ['SHA-256', c.sha256],
  ];
  $('fields').replaceChildren(
    ...fields.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      return [dt, dd];
    }),
  );
  if (audio) ($('player') as HTMLAudioElement).src = audio;
  $('consent').hidden = false;
}

/** One poll at a time: a slow answer overlapping the next tick would show the same events twice. */
let polling = false;

async function poll(): Promise<void> {
  if (!session || polling) return;
  polling = true;
  const asked = session;
  let s: { events: SimEvent[]; next: number; done: boolean; audio: string | null };
  try {
    const r = await fetch(`/_sim/softphone/${asked}?since=${next}`);
    if (!r.ok) return;
    s = (await r.json()) as typeof s;
  } catch {
    return;
  } finally {
    polling = false;
  }
  // A new call began meanwhile: this answer belongs to the previous one.
  if (session !== asked) return;
  next = s.next;
  for (const e of s.events) {
    if (e.kind === 'ars') line('ars', e.text, 'ARS');
    else if (e.kind === 'caller') line('caller', e.keys ? `누름: ${e.keys}` : `말함: ${e.say ?? ''}`);
    else if (e.kind === 'recording') line('note', e.action === 'started' ? '● 녹음 시작' : '■ 녹음 종료');
    else if (e.kind === 'note') line('note', e.text);
    else if (e.kind === 'ended') line('note', '통화 종료');
    else if (e.kind === 'waiting') line('note waiting', '녹음 파일을 처리하고 있습니다…');
    else if (e.kind === 'noRecord') {
      clearWaiting();
      line('note', '녹음 파일로 출금동의를 만들지 못했습니다.');
    } else if (e.kind === 'consent') {
      clearWaiting();
      showConsent(e.consent, s.audio);
    }
  }
  if (s.done) stop();
}

function stop(): void {
  if (timer) clearInterval(timer);
  timer = undefined;
  session = null;
  ($('call') as HTMLButtonElement).disabled = ($('listen') as HTMLButtonElement).disabled = false;
  ($('hangup') as HTMLButtonElement).disabled = true;
}

async function begin(listen: boolean): Promise<void> {
  $('transcript').replaceChildren();
  $('consent').hidden = true;
  $('signup-code').replaceChildren();
  ($('player') as HTMLAudioElement).removeAttribute('src');
  next = 0;
  const r = await fetch('/_sim/softphone', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ from: ($('from') as HTMLInputElement).value, listen }) });
  session = ((await r.json()) as { id: string }).id;
  ($('call') as HTMLButtonElement).disabled = ($('listen') as HTMLButtonElement).disabled = true;
  ($('hangup') as HTMLButtonElement).disabled = false;
  timer = setInterval(() => void poll(), 300);
}

$('call').addEventListener('click', () => void begin(false));
$('listen').addEventListener('click', () => void begin(true));
$('hangup').addEventListener('click', () => void send({ hangup: true }));
document.querySelectorAll<HTMLButtonElement>('.keypad button').forEach((b) => b.addEventListener('click', () => void send({ keys: b.textContent ?? '' })));
document.querySelectorAll<HTMLButtonElement>('[data-say]').forEach((b) => b.addEventListener('click', () => void send({ say: b.dataset.say })));

// Number keys on the keyboard press the keypad (not while typing in a field).
document.addEventListener('keydown', (e) => {
  const target = e.target as HTMLElement;
  if (target.closest('input, textarea, select') || e.ctrlKey || e.metaKey || e.altKey) return;
  if (!/^[0-9*#]$/.test(e.key)) return;
  const button = [...document.querySelectorAll<HTMLButtonElement>('.keypad button')].find((b) => b.textContent === e.key);
  if (!button || !session) return;
  e.preventDefault();
  button.classList.add('pressed');
  setTimeout(() => button.classList.remove('pressed'), 150);
  void send({ keys: e.key });
});

// The sign-up screen: start waiting for the call if needed, make the request, show its code.
$('signup-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!session) await begin(true);
  const out = $('signup-code');
  const r = await fetch(`/_sim/softphone/${session}/signup`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ payerNumber: ($('signup-payer') as HTMLInputElement).value.trim(), bankCode: ($('signup-bank') as HTMLInputElement).value.trim(), accountNumber: ($('signup-account') as HTMLInputElement).value.replace(/[\s-]/g, '') }),
  });
  const j = (await r.json().catch(() => ({}))) as { code?: string; message?: string };
  if (!r.ok || !j.code) {
    out.textContent = j.message ?? '신청을 처리하지 못했습니다.';
    out.className = 'alert';
    return;
  }
  out.className = 'notice';
  out.replaceChildren('신청되었습니다. 곧 걸려 오는 전화에서 이 숫자를 누르세요:', Object.assign(document.createElement('strong'), { textContent: j.code }));
});

// Closing the tab hangs up (a beacon survives the page going away).
window.addEventListener('pagehide', () => {
  if (session) navigator.sendBeacon(`/_sim/softphone/${session}/input`, new Blob([JSON.stringify({ hangup: true })], { type: 'application/json' }));
});
