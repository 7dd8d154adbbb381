import { Layout } from './layout.js';

/** The public check of a verification number (no personal data). */
export function VerifyPage(props: { number?: string | undefined }) {
  return (
    <Layout title="출금동의 확인" script="verify">
      <p>출금동의 때 안내받은 확인번호 16자리를 입력하면 등록된 동의인지 확인할 수 있습니다. 하이픈(-)이나 띄어쓰기는 있어도 됩니다.</p>
      <form id="verify-form" class="row">
        <label>
          확인번호 (16자리)
          <input id="number" name="number" inputMode="numeric" autoComplete="off" required value={props.number ?? ''} placeholder="1234-5678-9012-3456" maxLength={24} />
        </label>
        <button class="primary">확인</button>
      </form>
      <div id="out" role="status" aria-live="polite" />
    </Layout>
  );
}
