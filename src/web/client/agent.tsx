/**
 * The agent console: live calls handed over by the ARS, and on one of them the recorded-consent
 * flow (start, pause, resume, consented, declined). Rendered with Preact: the call list is a keyed
 * list, so a refresh every two seconds keeps focus, selection and what is typed. After a reload
 * the console shows exactly the server's state of a marked part in progress.
 */
import { render } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { domesticPhone } from '../format.js';
import { agentState, evidenceCheck, label, transferReason } from '../labels.js';
import { api, ApiError } from './api.js';

type LiveCall = {
  callSid: string;
  from: string | null;
  payerNumber: string | null;
  holderName: string | null;
  reason: string | null;
  transferredAt: string;
  hungUp: boolean;
  agentConsent: { id: string; state: string } | null;
};

type Shown = {
  id: string;
  callSid: string;
  state: string;
  payerNumber: string;
  holderName: string;
  bankCode: string;
  accountNumber: string;
  script: string;
  consentId: string | null;
  consentStatus: string | null;
  verificationNumber?: string | null;
  evidenceFailedChecks?: string[];
  pipeline: { state: string; error: string | null } | null;
};

type Payer = { payerNumber: string; name: string; birthDate?: string | null };
type Message = { text: string; bad?: boolean; consentId?: string; verificationNumber?: string | null };

const REFRESH_MS = 2000;
const isAdmin = document.getElementById('console')?.dataset.role === 'admin';

const hhmm = (iso: string) => iso.slice(11, 16);

/** What a screen reader says for a call row: "14:02 홍길동 010-1***-5678, 상담원 연결 요청". */
function callName(c: LiveCall): string {
  const who = c.holderName ?? '납부자 확인 전';
  return `${hhmm(c.transferredAt)} ${who} ${domesticPhone(c.from) || '번호 없음'}, ${label(transferReason, c.reason)}${c.hungUp ? ', 통화 종료됨' : ''}`;
}

function CallList(props: { calls: LiveCall[] | null; chosen: string | null; onChoose: (c: LiveCall) => void }) {
  if (!props.calls) return <p>불러오는 중…</p>;
  if (!props.calls.length) return <p>상담원에게 연결된 통화가 없습니다.</p>;
  return (
    <ul class="calls" aria-label="연결된 통화 목록">
      {props.calls.map((c) => {
        const chosen = c.callSid === props.chosen;
        return (
          <li key={c.callSid} class={chosen ? 'chosen' : undefined}>
            <span class="who">
              <strong>
                {hhmm(c.transferredAt)} {c.holderName ?? '납부자 확인 전'}
              </strong>
              <span>
                {domesticPhone(c.from) || '번호 없음'} · {label(transferReason, c.reason)}
                {c.hungUp ? ' · 통화 종료 (답변 표시 대기)' : ''}
                {c.agentConsent ? ` · ${label(agentState, c.agentConsent.state)}` : ''}
              </span>
            </span>
            <button type="button" aria-pressed={chosen} aria-label={`${callName(c)} 통화 ${chosen ? '선택됨' : '선택'}`} onClick={() => props.onChoose(c)}>
              {chosen ? '선택됨' : '이 통화 선택'}
            </button>
          </li>
        );
      })}
    </ul>
  );
}

function App() {
  const [calls, setCalls] = useState<LiveCall[] | null>(null);
  const [chosen, setChosen] = useState<string | null>(null);
  const [payer, setPayer] = useState<{ payerNumber: string; name: string } | null>(null);
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<Payer[] | null>(null);
  const [bank, setBank] = useState('');
  const [account, setAccount] = useState('');
  const [current, setCurrent] = useState<Shown | null>(null);
  const [message, setMessage] = useState<Message | null>(null);
  const [busy, setBusy] = useState(false);
  const restored = useRef(false);
  const flowHeading = useRef<HTMLHeadingElement>(null);
  const pauseButton = useRef<HTMLButtonElement>(null);
  const resumeButton = useRef<HTMLButtonElement>(null);
  const resultHeading = useRef<HTMLParagraphElement>(null);
  const bankInput = useRef<HTMLInputElement>(null);
  const focusNext = useRef<'pause' | 'resume' | 'result' | 'flow' | 'bank' | null>(null);

  const show = (a: Shown) => {
    setCurrent(a);
    setChosen(a.callSid);
    setPayer({ payerNumber: a.payerNumber, name: a.holderName });
    setBank(a.bankCode);
    setAccount(a.accountNumber);
  };

  async function refresh() {
    try {
      const { calls: list } = await api<{ calls: LiveCall[] }>('GET', '/api/agent/calls');
      setCalls(list);
      if (!restored.current) {
        restored.current = true;
        // After a reload: the marked part in progress, exactly as the server has it.
        const live = list.find((c) => c.agentConsent);
        if (live?.agentConsent) show(await api<Shown>('GET', `/api/agent-consents/${live.agentConsent.id}`));
      }
    } catch (e) {
      setMessage({ text: `통화 목록을 불러오지 못했습니다: ${(e as Error).message}`, bad: true });
    }
  }

  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  // Focus moves in the same task as the render that removed or showed the element (a layout
  // effect), not a frame later: a chosen payer's button leaves the page, and for that frame the
  // focus would be nowhere, a keystroke meanwhile lost.
  useLayoutEffect(() => {
    const target = focusNext.current;
    focusNext.current = null;
    if (target === 'pause') pauseButton.current?.focus();
    else if (target === 'resume') resumeButton.current?.focus();
    else if (target === 'result') resultHeading.current?.focus();
    else if (target === 'flow') flowHeading.current?.focus();
    else if (target === 'bank') bankInput.current?.focus();
  });

  const choose = (c: LiveCall) => {
    if (current && (current.state === 'recording' || current.state === 'paused') && current.callSid !== c.callSid) {
      setMessage({ text: '진행 중인 녹취를 먼저 끝내 주세요.', bad: true });
      return;
    }
    setChosen(c.callSid);
    if (c.agentConsent) {
      void api<Shown>('GET', `/api/agent-consents/${c.agentConsent.id}`).then(show);
    } else if (c.payerNumber && !payer) {
      setPayer({ payerNumber: c.payerNumber, name: c.holderName ?? '' });
    }
    focusNext.current = 'flow';
  };

  const searchPayers = async (ev: Event) => {
    ev.preventDefault();
    try {
      const { payers } = await api<{ payers: Payer[] }>('GET', `/api/payers?q=${encodeURIComponent(query)}`);
      setResults(payers);
    } catch (e) {
      setMessage({ text: (e as Error).message, bad: true });
    }
  };

  const live = current !== null && (current.state === 'recording' || current.state === 'paused');

  const start = async (ev: Event) => {
    ev.preventDefault();
    if (!chosen) return setMessage({ text: '통화를 먼저 선택해 주세요.', bad: true });
    if (!payer) return setMessage({ text: '납부자를 먼저 선택해 주세요.', bad: true });
    setBusy(true);
    try {
      const a = await api<Shown>('POST', '/api/agent-consents', { callSid: chosen, payerNumber: payer.payerNumber, bankCode: bank.trim(), accountNumber: account.replace(/[\s-]/g, '') });
      show(a);
      setMessage({ text: '녹음을 시작했습니다. 안내문을 그대로 읽어 주세요.' });
      focusNext.current = 'pause';
    } catch (e) {
      setMessage({ text: e instanceof ApiError ? e.message : '녹음을 시작하지 못했습니다.', bad: true });
    } finally {
      setBusy(false);
    }
  };

  const step = async (name: 'pause' | 'resume' | 'consented' | 'declined') => {
    if (!current) return;
    setBusy(true);
    try {
      const a = await api<Shown>('POST', `/api/agent-consents/${current.id}/${name}`);
      if (name === 'pause' || name === 'resume') {
        setCurrent(a);
        focusNext.current = name === 'pause' ? 'resume' : 'pause';
        setMessage({ text: name === 'pause' ? '일시정지했습니다. 지금은 녹음되지 않습니다.' : '녹음을 다시 시작했습니다.' });
        return;
      }
      // The answer is given: the form is reset for the next consent; the result stays with its link.
      setCurrent(null);
      setPayer(null);
      setBank('');
      setAccount('');
      setResults(null);
      setQuery('');
      focusNext.current = 'result';
      if (name === 'declined') {
        setMessage({ text: '거부로 기록했습니다. 이 녹음은 증거로 쓰이지 않습니다.' });
      } else {
        setMessage({ text: '동의로 기록했습니다. 녹음 파일을 처리하고 있습니다…' });
        void waitForRecord(a.id);
      }
    } catch (e) {
      setMessage({ text: (e as Error).message, bad: true });
    } finally {
      setBusy(false);
    }
  };

  async function waitForRecord(id: string) {
    for (let i = 0; i < 180; i++) {
      const a = await api<Shown>('GET', `/api/agent-consents/${id}`).catch(() => undefined);
      if (a?.consentId && a.consentStatus === 'evidence_failed') {
        const failed = (a.evidenceFailedChecks ?? []).map((n) => label(evidenceCheck, n)).join(', ');
        return setMessage({ text: `녹음이 증거 검사를 통과하지 못했습니다${failed ? ` (${failed})` : ''}. 출금동의로 쓸 수 없습니다.`, bad: true, consentId: a.consentId });
      }
      if (a?.consentId) return setMessage({ text: '출금동의 기록이 완료되었습니다.', consentId: a.consentId, verificationNumber: a.verificationNumber ?? null });
      if (a?.pipeline?.state === 'failed') return setMessage({ text: '녹음 파일을 처리하지 못했습니다. 관리자에게 알려 주세요.', bad: true });
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  return (
    <>
      <section aria-labelledby="calls-h">
        <h2 id="calls-h">연결된 통화</h2>
        <CallList calls={calls} chosen={chosen} onChoose={choose} />
      </section>

      {chosen && (current || !calls || calls.some((c) => c.callSid === chosen)) ? (
        <section aria-labelledby="flow-h">
          <h2 id="flow-h" tabIndex={-1} ref={flowHeading}>
            녹취 동의
          </h2>
          <form class="row" role="search" aria-label="납부자 검색" onSubmit={searchPayers}>
            <label>
              납부자 검색 (납부자번호 또는 이름)
              <input value={query} autoComplete="off" disabled={live} onInput={(e) => setQuery((e.target as HTMLInputElement).value)} />
            </label>
            <button disabled={live}>찾기</button>
          </form>
          {results ? (
            results.length ? (
              <ul class="payers" aria-label="찾은 납부자">
                {results.map((p) => (
                  <li key={p.payerNumber}>
                    <button
                      type="button"
                      onClick={() => {
                        setPayer({ payerNumber: p.payerNumber, name: p.name });
                        setResults(null);
                        focusNext.current = 'bank';
                      }}
                    >
                      선택: {p.name} ({p.payerNumber}
                      {p.birthDate ? `, ${p.birthDate}` : ''})
                    </button>
                  </li>
                ))}
              </ul>
            ) : (
              <p>찾는 납부자가 없습니다.</p>
            )
          ) : null}
          <form onSubmit={start}>
            <p>
              납부자: <strong id="payer-chosen">{payer ? `${payer.name} (${payer.payerNumber})` : '선택 안 됨'}</strong>
            </p>
            <div class="row">
              <label>
                은행코드
                <input id="bank" ref={bankInput} value={bank} inputMode="numeric" maxLength={3} autoComplete="off" disabled={live} onInput={(e) => setBank((e.target as HTMLInputElement).value)} />
              </label>
              <label>
                계좌번호
                <input id="account" value={account} inputMode="numeric" autoComplete="off" disabled={live} onInput={(e) => setAccount((e.target as HTMLInputElement).value)} />
              </label>
            </div>
            <p>
              <button class="primary" disabled={live || busy}>
                녹음 시작
              </button>
            </p>
          </form>
        </section>
      ) : null}

      {current ? (
        <section aria-labelledby="rec-h">
          <h2 id="rec-h">안내문 (그대로 읽어 주세요)</h2>
          <blockquote class="script" id="script">
            {current.script}
          </blockquote>
          <p>
            녹음 상태:{' '}
            <strong id="state" class={current.state === 'recording' ? 'live' : undefined}>
              {label(agentState, current.state)}
            </strong>
          </p>
          <div class="buttons">
            <button type="button" ref={pauseButton} disabled={current.state !== 'recording' || busy} onClick={() => void step('pause')}>
              일시정지
            </button>
            <button type="button" ref={resumeButton} disabled={current.state !== 'paused' || busy} onClick={() => void step('resume')}>
              재개
            </button>
            <button type="button" class="primary" disabled={!live || busy} onClick={() => void step('consented')}>
              동의함
            </button>
            <button type="button" disabled={!live || busy} onClick={() => void step('declined')}>
              거부함
            </button>
          </div>
        </section>
      ) : null}

      <div role="status" aria-live="polite">
        {message ? (
          <p id="message" class={message.bad ? 'alert' : 'notice'} tabIndex={-1} ref={resultHeading}>
            {message.text}
            {message.consentId && isAdmin ? (
              <>
                {' '}
                <a href={`/consents/${message.consentId}`}>출금동의 기록 보기</a>
              </>
            ) : null}
            {message.verificationNumber ? (
              <>
                {' '}
                <a href={`/verify?number=${message.verificationNumber}`}>확인번호 {message.verificationNumber} 확인하기</a>
              </>
            ) : null}
          </p>
        ) : null}
      </div>
    </>
  );
}

const root = document.getElementById('console');
if (root) {
  root.replaceChildren();
  render(<App />, root);
}
