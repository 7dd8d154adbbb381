import QRCode from 'qrcode';
import { findInstitution, spokenInstitutionName } from '../kftc/institutions.js';
import { maskAccountNumber } from '../shared/mask.js';
import { kstIso } from '../shared/time.js';
import { Layout, type Viewer } from '../web/layout.js';
import { markKeyId } from './timeMark.js';
import type { ReceiptConsent } from './store.js';

/**
 * 출금동의 확인서: one A4 page to print, a QR code that opens /verify for its number, read in
 * order by a screen reader (headings, then label and value pairs). Rendered through the pages'
 * one layout (escaped by Preact); its print rules live in the one stylesheet under `body.receipt`,
 * and its print button is the typed module src/web/client/receipt.tsx: no inline script.
 */

/** 홍길동 → 홍*동, 김철 → 김*, 남궁민수 → 남**수: enough to recognise, not to use. */
export function maskHolderName(name: string): string {
  const chars = Array.from(name.trim());
  if (chars.length <= 1) return '*';
  if (chars.length === 2) return `${chars[0]}*`;
  return chars[0] + '*'.repeat(chars.length - 2) + chars[chars.length - 1];
}

/** The file's SHA-256, first 16 hex digits in groups of four: to compare by eye. */
export function shortFingerprint(sha256: string): string {
  return sha256.slice(0, 16).match(/.{4}/g)!.join(' ');
}

export function verifyUrl(publicBaseUrl: string, verificationNumber: string): string {
  return `${publicBaseUrl}/verify?number=${verificationNumber}`;
}

/** The number in groups of four, as people read it out. */
function grouped(number: string): string {
  return number.match(/.{4}/g)!.join('-');
}

/** 2026-11-22T12:04:05+09:00 → 2026년 11월 22일 12시 04분 05초 (한국 시간) */
function koreanTime(d: Date): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/.exec(kstIso(d))!;
  return `${m[1]}년 ${m[2]}월 ${m[3]}일 ${m[4]}시 ${m[5]}분 ${m[6]}초 (한국 시간)`;
}

function Row(props: { label: string; value: string; id?: string }) {
  return (
    <>
      <dt>{props.label}</dt>
      <dd id={props.id}>{props.value}</dd>
    </>
  );
}

export async function ReceiptPage(props: { consent: ReceiptConsent; publicBaseUrl: string; forAuditor: boolean; viewer?: Viewer | undefined }) {
  const c = props.consent;
  const institution = findInstitution(c.bankCode);
  // The QR code library's own SVG (a kept library's output, no user text in it).
  const qrSvg = await QRCode.toString(verifyUrl(props.publicBaseUrl, c.verificationNumber), { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  const keyId = c.timeMark ? markKeyId(c.timeMark) : undefined;
  return (
    <Layout title={`출금동의 확인서 ${grouped(c.verificationNumber)}`} viewer={props.viewer} script="receipt" heading={false} bodyClass="receipt">
      <header>
        <h1>출금동의 확인서</h1>
        <p class="lead">아래 자동이체 출금에 대한 예금주의 동의가 녹음되어 보관되어 있음을 확인합니다.</p>
        {props.forAuditor && c.status === 'evidence_failed' ? (
          <p class="warning" role="note">
            이 기록은 증거 검사를 통과하지 못해 등록되지 않았습니다.
          </p>
        ) : null}
      </header>
      <section aria-labelledby="consent-title">
        <h2 id="consent-title">동의 내용</h2>
        <dl>
          <Row label="이용기관" value={c.organizationName} />
          <Row label="동의 방법" value={c.methodCode === 5 ? 'ARS (자동응답 전화)' : '녹취 (상담원 통화 녹음)'} />
          <Row label="출금 은행" value={institution ? spokenInstitutionName(institution) : c.bankCode} />
          <Row label="출금 계좌" value={maskAccountNumber(c.accountNumber)} />
          <Row label="예금주" value={maskHolderName(c.holderName)} />
          <Row label="동의 일시" value={koreanTime(c.consentedAt)} id="consented-at" />
        </dl>
      </section>
      <section aria-labelledby="check-title">
        <h2 id="check-title">진위 확인</h2>
        <div class="check">
          <dl>
            <Row label="확인번호" value={grouped(c.verificationNumber)} id="verification-number" />
            <Row label="진본마크 서명 키 ID" value={keyId ?? '없음 (아직 서명되지 않은 기록)'} />
            <Row label="녹음 파일 지문 (SHA-256 앞 16자리)" value={shortFingerprint(c.sha256)} />
          </dl>
          <figure class="qr">
            <div class="qr-code" role="img" aria-label="확인 페이지 QR 코드" dangerouslySetInnerHTML={{ __html: qrSvg }} />
            <figcaption>
              QR 코드를 찍거나 {props.publicBaseUrl}/verify 에서 확인번호를 입력하면 등록 여부와 진본마크를 확인할 수 있습니다.
            </figcaption>
          </figure>
        </div>
      </section>
      <footer>
        <p>
          발급 {koreanTime(new Date())}. 이 확인서는 출금동의 녹음 기록의 요약입니다. 녹음 파일을 가진 분은 확인 페이지에서 파일이 기록과 같은지 대조할 수 있습니다.
        </p>
        <p class="no-print">
          <button type="button" id="print">
            인쇄하기
          </button>
        </p>
      </footer>
    </Layout>
  );
}

/** The payer's door to the receipt: the holder's birthdate first (and, with no number, only the message). */
export function BirthdateForm(props: { number?: string; message?: string | undefined }) {
  return (
    <Layout title="출금동의 확인서" bodyClass="receipt">
      {props.number ? <p>확인번호 {grouped(props.number)}의 출금동의 확인서를 보려면 예금주의 생년월일을 입력해 주세요.</p> : null}
      {props.message ? (
        <p class="warning" role="alert">
          {props.message}
        </p>
      ) : null}
      {props.number ? (
        <form class="stack" method="post" action={`/r/${props.number}`}>
          <label>
            생년월일 6자리 (예: 940424), 사업자는 사업자등록번호 10자리
            <input id="birthdate" name="birthdate" inputMode="numeric" autoComplete="bday" maxLength={12} required />
          </label>
          <button class="primary">확인서 보기</button>
        </form>
      ) : null}
    </Layout>
  );
}
