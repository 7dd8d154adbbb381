import type { Hold } from '../consents/holdStore.js';
import type { ConsentOrigin } from '../consents/origin.js';
import type { Registration } from '../export/resultStore.js';
import { responseCodeMeaning } from '../kftc/responseCodes.js';
import { duration, fileSize, koreanDateTime, koreanDay } from './format.js';
import { accessAction, agentEvent, consentBy, consentStatus, evidenceCheck, label, method, registrationStatus, serviceType } from './labels.js';
import { Layout, type Viewer } from './layout.js';
import { timeline, type CallEventRow } from './timeline.js';

export type ConsentView = Record<string, any> & { id: string; evidence: { passed: boolean; checks: { name: string; ok: boolean; reason: string }[] } };
export type AccessEntry = { at: Date | string; actor: string; action: string; remote?: string | null; detail?: { reason?: unknown } | null };

/** One consent for the auditor: facts, the player, integrity, the evidence check, how it was taken, the call and who looked. */
/** 금융결제원 등록 결과: the FB0120 answer for this consent (status, response code and its meaning, file, time). */
function RegistrationBlock(props: { registration: Registration | null }) {
  const r = props.registration;
  if (!r) return <p id="registration">아직 결과 파일이 없습니다.</p>;
  return (
    <div id="registration">
      <p>
        <strong class={r.status === 'rejected' ? 'bad' : 'ok'}>{label(registrationStatus, r.status)}</strong>: 응답코드 <code>{r.code}</code> {responseCodeMeaning(r.code)}
      </p>
      <dl class="facts">
        <dt>결과 파일</dt>
        <dd>{r.resultFile}</dd>
        <dt>받은 일시</dt>
        <dd>{koreanDateTime(r.receivedAt)}</dd>
      </dl>
    </div>
  );
}

/** 보존 조치: a legal hold in force (by whom, why, since when); retention never purges a held consent. */
function HoldBlock(props: { hold: Hold | null }) {
  const h = props.hold;
  if (!h) return <p id="hold">보존 조치 없음</p>;
  return (
    <div id="hold">
      <p>
        <strong class="bad">보존 중</strong>: {h.reason}
      </p>
      <dl class="facts">
        <dt>보존 조치한 사람</dt>
        <dd>{h.heldBy}</dd>
        <dt>보존 시작</dt>
        <dd>{koreanDateTime(h.heldAt)}</dd>
      </dl>
      <p class="muted">보존 중에는 보관 기간이 지나도 삭제되지 않습니다.</p>
    </div>
  );
}

export function ConsentPage(props: {
  viewer: Viewer;
  consent: ConsentView;
  events: CallEventRow[];
  access: AccessEntry[];
  origin: ConsentOrigin;
  registration: Registration | null;
  hold: Hold | null;
}) {
  const c = props.consent;
  const facts: [string, string][] = [
    ['상태', label(consentStatus, c.status)],
    ['방법', `${label(method, c.methodCode)} (방법 ${c.methodCode})`],
    ['동의 방식', label(consentBy, c.consentBy)],
    ['서비스', label(serviceType, c.serviceType)],
    ['이용기관', `${c.organizationName} (${c.organizationCode})`],
    ['납부자번호', c.payerNumber],
    ['예금주', c.holderName],
    [c.businessNumber ? '사업자번호' : '생년월일', c.businessNumber ?? c.birthDate],
    ['은행', `${c.bankName ?? ''} (${c.bankCode})`],
    ['계좌번호', c.accountNumber],
    ['신청일', koreanDay(c.applicationDate)],
    ['동의 일시', koreanDateTime(c.consentedAt)],
    ['확인번호', c.verificationNumber],
    ['파일', `${String(c.fileExtension ?? '').toUpperCase()} · ${fileSize(c.fileSize)} · ${c.bitrateKbps} kbps · ${duration(c.durationSeconds)}`],
    ['통화 번호', c.callSid],
  ];
  if (c.sentAt) facts.push(['전송 일시', koreanDateTime(c.sentAt)]);
  if (c.supersededAt) facts.push(['새 동의로 대체된 일시', koreanDateTime(c.supersededAt)]);
  const o = props.origin;
  return (
    <Layout title={`출금동의 · ${c.holderName} · ${koreanDateTime(c.consentedAt)}`} viewer={props.viewer} script="consent">
      <dl class="facts">
        {facts.map(([k, v]) => (
          <>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </>
        ))}
      </dl>
      <p>
        <a href={`/consents/${c.id}/receipt`}>확인서</a> (인쇄용 출금동의 확인서)
      </p>
      <h2>녹음</h2>
      <audio id="player" controls preload="none" aria-label={`${c.holderName} 출금동의 녹음`} src={`/api/consents/${c.id}/audio?via=player`} data-consent-id={c.id} />
      <p>
        <a href={`/api/consents/${c.id}/audio?download=1`} download>
          MP3 내려받기
        </a>
      </p>
      <h2>무결성</h2>
      <p>
        SHA-256 <code id="sha">{c.sha256}</code>
      </p>
      <p>
        <button id="verify" data-consent-id={c.id}>
          지금 검증
        </button>{' '}
        <span id="verify-result" role="status" aria-live="polite" />
      </p>
      <h2>
        증거 검사 {c.evidence.passed ? <span class="ok">통과</span> : <span class="bad">불합격</span>}
      </h2>
      <ul>
        {c.evidence.checks.map((k) => (
          <li class={k.ok ? 'ok' : 'bad'}>
            <strong>{label(evidenceCheck, k.name)}</strong> ({k.ok ? '통과' : '불합격'}): {k.reason}
          </li>
        ))}
      </ul>
      <h2>금융결제원 등록 결과</h2>
      <RegistrationBlock registration={props.registration} />
      <h2>보존 조치</h2>
      <HoldBlock hold={props.hold} />
      <h2>동의 경위</h2>
      {o.kind === 'agent' ? (
        <>
          <p>
            상담원 녹취 (방법 4): 상담원 <strong>{o.agent}</strong>님이 표시한 부분만 녹음되었습니다.
          </p>
          <ol id="agent-events" class="timeline">
            {o.events.map((e) => (
              <li>
                <time dateTime={e.at}>{koreanDateTime(e.at)}</time> {label(agentEvent, e.kind)} ({e.actor})
              </li>
            ))}
          </ol>
        </>
      ) : o.kind === 'request' ? (
        <p>
          출금동의 요청에 따른 발신 ARS (방법 5): {o.requestedBy}님이 {koreanDateTime(o.requestedAt)}에 요청 (요청 번호 <code>{o.requestId}</code>)
        </p>
      ) : (
        <p>고객이 건 ARS 수신 통화 (방법 5)</p>
      )}
      <h2>통화 기록</h2>
      <ol class="timeline" id="timeline">
        {timeline(props.events).map((line) => (
          <li>{line}</li>
        ))}
      </ol>
      <h2>열람 기록</h2>
      <ul id="access-log">
        {props.access.map((e) => (
          <li>
            {koreanDateTime(e.at)} {e.actor} {label(accessAction, e.action)}
            {(e.action === 'hold' || e.action === 'release') && e.detail?.reason ? ` (사유: ${String(e.detail.reason)})` : ''} {e.remote ?? ''}
          </li>
        ))}
      </ul>
    </Layout>
  );
}
