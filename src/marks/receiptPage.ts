import QRCode from 'qrcode';
import { esc } from '../shared/html.js';
import { findInstitution, spokenInstitutionName } from '../kftc/institutions.js';
import { maskAccountNumber } from '../shared/mask.js';
import { kstIso } from '../shared/time.js';
import { markKeyId } from './timeMark.js';
import type { ReceiptConsent } from './store.js';

/**
 * 출금동의 확인서: one A4 page to print, a QR code that opens /verify for its number, read in
 * order by a screen reader (headings, then label and value pairs). Styles and the print button's
 * script are static files: no inline script.
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

export function page(title: string, body: string, stylesheet = '/assets/marks/receipt.css'): string {
  return `<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><link rel="stylesheet" href="${esc(stylesheet)}">
<script src="/assets/marks/receipt.js" defer></script></head>
<body>${body}</body></html>`;
}

export async function receiptHtml(c: ReceiptConsent, publicBaseUrl: string, options: { forAuditor: boolean }): Promise<string> {
  const institution = findInstitution(c.bankCode);
  const url = verifyUrl(publicBaseUrl, c.verificationNumber);
  const qrSvg = await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  const keyId = c.timeMark ? markKeyId(c.timeMark) : undefined;
  const row = (label: string, value: string, id?: string) => `<dt>${esc(label)}</dt><dd${id ? ` id="${id}"` : ''}>${esc(value)}</dd>`;
  const warning =
    options.forAuditor && c.status === 'evidence_failed'
      ? '<p class="warning" role="note">이 기록은 증거 검사를 통과하지 못해 등록되지 않았습니다.</p>'
      : '';
  const body = `<main class="receipt">
<header><h1>출금동의 확인서</h1>
<p class="lead">아래 자동이체 출금에 대한 예금주의 동의가 녹음되어 보관되어 있음을 확인합니다.</p>${warning}</header>
<section aria-labelledby="consent-title">
<h2 id="consent-title">동의 내용</h2>
<dl>
${row('이용기관', c.organizationName)}
${row('동의 방법', c.methodCode === 5 ? 'ARS (자동응답 전화)' : '녹취 (상담원 통화 녹음)')}
${row('출금 은행', institution ? spokenInstitutionName(institution) : c.bankCode)}
${row('출금 계좌', maskAccountNumber(c.accountNumber))}
${row('예금주', maskHolderName(c.holderName))}
${row('동의 일시', koreanTime(c.consentedAt), 'consented-at')}
</dl>
</section>
<section aria-labelledby="check-title">
<h2 id="check-title">진위 확인</h2>
<div class="check">
<dl>
${row('확인번호', grouped(c.verificationNumber), 'verification-number')}
${row('진본마크 서명 키 ID', keyId ?? '없음 (아직 서명되지 않은 기록)')}
${row('녹음 파일 지문 (SHA-256 앞 16자리)', shortFingerprint(c.sha256))}
</dl>
<figure class="qr">
<div class="qr-code" role="img" aria-label="확인 페이지 QR 코드">${qrSvg}</div>
<figcaption>QR 코드를 찍거나 ${esc(publicBaseUrl)}/verify 에서 확인번호를 입력하면 등록 여부와 진본마크를 확인할 수 있습니다.</figcaption>
</figure>
</div>
</section>
<footer>
<p>발급 ${esc(koreanTime(new Date()))}. 이 확인서는 출금동의 녹음 기록의 요약입니다. 녹음 파일을 가진 분은 확인 페이지에서 파일이 기록과 같은지 대조할 수 있습니다.</p>
<p class="no-print"><button type="button" id="print">인쇄하기</button></p>
</footer>
</main>`;
  return page(`출금동의 확인서 ${grouped(c.verificationNumber)}`, body);
}

/** The payer's door to the receipt: the holder's birthdate first. */
export function birthdateFormHtml(number: string, message?: string): string {
  const body = `<main class="receipt-form">
<h1>출금동의 확인서</h1>
<p>확인번호 ${esc(grouped(number))}의 출금동의 확인서를 보려면 예금주의 생년월일을 입력해 주세요.</p>
${message ? `<p class="warning" role="alert">${esc(message)}</p>` : ''}
<form method="post" action="/r/${esc(number)}">
<label for="birthdate">생년월일 6자리 (예: 940424), 사업자는 사업자등록번호 10자리</label>
<input id="birthdate" name="birthdate" inputmode="numeric" autocomplete="bday" maxlength="12" required>
<button>확인서 보기</button>
</form>
</main>`;
  return page('출금동의 확인서', body);
}
