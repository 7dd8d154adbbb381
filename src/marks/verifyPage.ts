import { esc } from '../shared/html.js';

/**
 * The public /verify page: a verification number gives the record and its time mark; a dropped
 * MP3 is hashed in the browser (Web Crypto, the file never leaves the machine) and compared.
 * Its script is a static file (/assets/marks/verify.js): no inline script.
 */
export function verifyPageHtml(number: string | undefined): string {
  return `<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>출금동의 확인</title>
<link rel="stylesheet" href="/assets/marks/verify.css">
<script src="/assets/marks/verify.js" defer></script></head>
<body><main>
<h1>출금동의 확인</h1>
<p>출금동의 확인서나 문자에 적힌 16자리 확인번호로 등록 여부와 진본마크(서명된 시점 확인)를 확인합니다.</p>
<form id="lookup" action="/verify" method="get">
<label for="number">확인번호 (16자리)</label>
<input id="number" name="number" inputmode="numeric" pattern="\\d{16}" maxlength="16" required autocomplete="off" value="${esc(number ?? '')}">
<button>확인</button>
</form>
<section id="result" aria-labelledby="result-title" hidden>
<h2 id="result-title">확인 결과</h2>
<div id="out" role="status" aria-live="polite"></div>
</section>
<section id="file-check" aria-labelledby="file-title" hidden>
<h2 id="file-title">녹음 파일 대조</h2>
<p>가지고 계신 MP3 파일을 아래에 끌어다 놓거나 선택하세요. 파일은 이 컴퓨터 밖으로 보내지지 않고, 브라우저 안에서 SHA-256 값만 계산해 기록과 비교합니다.</p>
<div id="drop" class="drop" tabindex="-1">MP3 파일을 여기에 놓으세요
<label for="file">또는 파일 선택</label> <input id="file" type="file" accept=".mp3,audio/mpeg"></div>
<div id="file-out" role="status" aria-live="polite"></div>
</section>
</main></body></html>`;
}
