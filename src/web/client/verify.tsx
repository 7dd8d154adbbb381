/**
 * /verify: asks GET /api/verify/:number and shows the record, its time mark (validity, the times it
 * fixes, the key that signed it); then compares an MP3 the visitor drops or chooses by its SHA-256,
 * computed here with Web Crypto (the file is not uploaded). A new question clears the previous answer.
 */
import { render } from 'preact';
import { fileSize, koreanDateTime } from '../format.js';
import { label, method } from '../labels.js';

type Record_ = {
  valid: true;
  organization: string;
  methodCode: number;
  consentedAt: string;
  sha256: string;
  timeMark?: string | null;
  keyId?: string | null;
  timeMarkValid?: boolean;
};
type Answer = { valid: false } | Record_;
type MarkPayload = { consentedAt?: string; issuedAt?: string; sha256?: string };
type Row = [term: string, value: string, tone?: 'ok' | 'bad'];

const form = document.getElementById('verify-form') as HTMLFormElement | null;
const input = document.getElementById('number') as HTMLInputElement | null;
const out = document.getElementById('out');
const fileCheck = document.getElementById('file-check');
const fileOut = document.getElementById('file-out');
const drop = document.getElementById('drop');
const fileInput = document.getElementById('file') as HTMLInputElement | null;

/** The record the dropped file is compared with: the stored hash and, when the mark is valid, the mark's. */
let record: { sha256: string; markSha256: string | null } | null = null;

function Facts(props: { rows: Row[] }) {
  return (
    <dl class="facts">
      {props.rows.map(([term, value, tone]) => [<dt key={`t-${term}`}>{term}</dt>, <dd key={`d-${term}`} class={tone}>{value}</dd>])}
    </dl>
  );
}

/** The mark's payload as signed (its validity is the server's answer, checked against the JWKS). */
function markPayload(mark: string): MarkPayload | null {
  try {
    const b64 = (mark.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as MarkPayload;
  } catch {
    return null;
  }
}

function recordRows(a: Record_): { rows: Row[]; payload: MarkPayload | null } {
  const payload = a.timeMark ? markPayload(a.timeMark) : null;
  const rows: Row[] = [
    ['결과', '유효한 출금동의입니다', 'ok'],
    ['기관', a.organization],
    ['방법', label(method, a.methodCode)],
    ['동의 일시', koreanDateTime(a.consentedAt)],
  ];
  if (!a.timeMark) rows.push(['진본마크', '없음 (이 기록에는 아직 서명된 시점 확인이 없습니다)', 'bad']);
  else {
    rows.push(['진본마크', a.timeMarkValid ? '유효한 서명' : '서명이 맞지 않습니다', a.timeMarkValid ? 'ok' : 'bad']);
    if (payload?.consentedAt) rows.push(['진본마크의 동의 일시', koreanDateTime(payload.consentedAt)]);
    if (payload?.issuedAt) rows.push(['진본마크 서명 일시', koreanDateTime(payload.issuedAt)]);
    rows.push(['서명 키 ID', a.keyId ?? '']);
  }
  rows.push(['녹음 파일 SHA-256', a.sha256]);
  return { rows, payload };
}

function clear(): void {
  record = null;
  if (out) render(null, out);
  if (fileOut) render(null, fileOut);
  if (fileCheck) fileCheck.hidden = true;
}

const problem = (text: string) => <p class="alert">{text}</p>;

async function check(): Promise<void> {
  if (!input || !out) return;
  const typed = input.value.trim();
  const number = typed.replace(/[\s-]/g, '');
  clear();
  history.replaceState(null, '', `/verify?number=${encodeURIComponent(number)}`);
  render(<p>확인 중…</p>, out);
  try {
    const r = await fetch(`/api/verify/${encodeURIComponent(typed)}`);
    const j = (await r.json().catch(() => ({}))) as Answer & { message?: string };
    if (input.value.trim() !== typed) return; // a newer question was typed meanwhile
    if (r.status === 429) render(problem('요청이 너무 많습니다. 1분 뒤에 다시 시도해 주세요.'), out);
    else if (!r.ok) render(problem(j.message ?? '지금은 확인할 수 없습니다. 잠시 후 다시 시도해 주세요.'), out);
    else if (!j.valid) render(problem(`확인번호 ${number}로 등록된 출금동의가 없습니다.`), out);
    else {
      const { rows, payload } = recordRows(j);
      render(<Facts rows={rows} />, out);
      record = { sha256: j.sha256, markSha256: payload?.sha256 && j.timeMarkValid ? payload.sha256 : null };
      if (fileCheck) fileCheck.hidden = false;
    }
  } catch {
    render(problem('서버에 연결하지 못했습니다. 잠시 후 다시 시도해 주세요.'), out);
  }
}

async function checkFile(file: File): Promise<void> {
  if (!fileOut || !record) return;
  if (!globalThis.crypto?.subtle) {
    render(problem('이 브라우저에서는 파일 대조를 할 수 없습니다.'), fileOut);
    return;
  }
  render(<p>계산 중…</p>, fileOut);
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
  const same = hex === record.sha256 && (record.markSha256 === null || hex === record.markSha256);
  render(
    <Facts
      rows={[
        ['파일', `${file.name} (${fileSize(file.size)})`],
        ['이 파일의 SHA-256', hex],
        ['대조 결과', same ? '일치: 기록된 녹음 파일과 같습니다' : '불일치: 기록된 녹음 파일과 다릅니다', same ? 'ok' : 'bad'],
      ]}
    />,
    fileOut,
  );
}

form?.addEventListener('submit', (e) => {
  e.preventDefault();
  void check();
});
// Typing a new number clears the previous answer.
input?.addEventListener('input', clear);
drop?.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop?.addEventListener('dragleave', () => drop.classList.remove('over'));
drop?.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const file = e.dataTransfer?.files[0];
  if (file) void checkFile(file);
});
fileInput?.addEventListener('change', () => {
  const file = fileInput.files?.[0];
  if (file) void checkFile(file);
});
if (input?.value) void check();
