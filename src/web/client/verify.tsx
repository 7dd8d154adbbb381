/** /verify: asks GET /api/verify/:number and shows the answer; a new question clears the previous answer first. */
import { render } from 'preact';
import { koreanDateTime } from '../format.js';
import { label, method } from '../labels.js';

type Answer = { valid: false } | { valid: true; organization: string; methodCode: number; consentedAt: string; sha256: string };

const form = document.getElementById('verify-form') as HTMLFormElement | null;
const input = document.getElementById('number') as HTMLInputElement | null;
const out = document.getElementById('out');

function Result(props: { answer?: Answer; error?: string; number: string }) {
  if (props.error) return <p class="alert">{props.error}</p>;
  const a = props.answer;
  if (!a) return <p>확인 중…</p>;
  if (!a.valid) return <p class="alert">확인번호 {props.number}로 등록된 출금동의가 없습니다.</p>;
  return (
    <dl class="facts">
      <dt>결과</dt>
      <dd class="ok">유효한 출금동의입니다</dd>
      <dt>기관</dt>
      <dd>{a.organization}</dd>
      <dt>방법</dt>
      <dd>{label(method, a.methodCode)}</dd>
      <dt>동의 일시</dt>
      <dd>{koreanDateTime(a.consentedAt)}</dd>
      <dt>녹음 파일 SHA-256</dt>
      <dd>
        <code>{a.sha256}</code>
      </dd>
    </dl>
  );
}

async function check(): Promise<void> {
  if (!input || !out) return;
  const number = input.value.replace(/[\s-]/g, '');
  render(<Result number={number} />, out);
  try {
    const r = await fetch(`/api/verify/${encodeURIComponent(input.value.trim())}`);
    const j = (await r.json().catch(() => ({}))) as Answer & { message?: string };
    if (!r.ok) render(<Result number={number} error={j.message ?? '지금은 확인할 수 없습니다. 잠시 후 다시 시도해 주세요.'} />, out);
    else render(<Result number={number} answer={j} />, out);
  } catch {
    render(<Result number={number} error="서버에 연결하지 못했습니다. 잠시 후 다시 시도해 주세요." />, out);
  }
}

form?.addEventListener('submit', (e) => {
  e.preventDefault();
  void check();
});
// Typing a new number clears the previous answer.
input?.addEventListener('input', () => {
  if (out) render(null, out);
});
if (input?.value) void check();
