import { Layout } from './layout.js';

/**
 * The public /verify page: a verification number gives the record, its time mark (진본마크) and
 * the key that signed it; an MP3 the visitor holds, dropped or chosen, is hashed in the browser
 * (Web Crypto: the file never leaves the machine) and compared. No personal data. Its browser code
 * is the typed module src/web/client/verify.tsx: no inline script.
 */
export function VerifyPage(props: { number?: string | undefined }) {
  return (
    <Layout title="출금동의 확인" script="verify">
      <p>
        출금동의 확인서나 문자로 안내받은 확인번호 16자리로 등록 여부와 진본마크(서명된 시점 확인)를 확인합니다. 하이픈(-)이나 띄어쓰기는 있어도
        됩니다.
      </p>
      <form id="verify-form" class="row" action="/verify" method="get">
        <label>
          확인번호 (16자리)
          <input id="number" name="number" inputMode="numeric" autoComplete="off" required value={props.number ?? ''} placeholder="1234-5678-9012-3456" maxLength={24} />
        </label>
        <button class="primary">확인</button>
      </form>
      <div id="out" role="status" aria-live="polite" />
      <section id="file-check" aria-labelledby="file-title" hidden>
        <h2 id="file-title">녹음 파일 대조</h2>
        <p>가지고 계신 MP3 파일을 아래에 끌어다 놓거나 선택하세요. 파일은 이 컴퓨터 밖으로 보내지지 않고, 브라우저 안에서 SHA-256 값만 계산해 기록과 비교합니다.</p>
        <div id="drop" class="drop" tabIndex={-1}>
          <p>MP3 파일을 여기에 놓으세요</p>
          <label>
            또는 파일 선택
            <input id="file" type="file" accept=".mp3,audio/mpeg" />
          </label>
        </div>
        <div id="file-out" role="status" aria-live="polite" />
      </section>
    </Layout>
  );
}
