import { Layout, PRODUCT, type Viewer } from './layout.js';

export function LoginPage(props: { csrf: string; message?: string | undefined }) {
  return (
    <Layout title="로그인" heading={false}>
      <h1>{PRODUCT} 로그인</h1>
      <p class="muted">출금동의 녹취 · 감사 · 상담원 화면입니다.</p>
      {props.message ? (
        <p role="alert" class="alert">
          {props.message}
        </p>
      ) : null}
      <form class="stack" method="post" action="/login">
        <input type="hidden" name="csrf" value={props.csrf} />
        <label>
          아이디 <input name="username" autocomplete="username" required />
        </label>
        <label>
          비밀번호 <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <button class="primary">로그인</button>
      </form>
    </Layout>
  );
}

/** 403, 404 and 500 in Korean, with a way back. */
export function ErrorPage(props: { status: number; viewer?: Viewer | undefined; message?: string }) {
  const title = props.status === 404 ? '페이지를 찾을 수 없습니다' : props.status === 403 ? '권한이 없습니다' : '오류가 발생했습니다';
  const text =
    props.message ??
    (props.status === 404
      ? '주소가 맞는지 확인해 주세요.'
      : props.status === 403
        ? '이 화면을 볼 권한이 없습니다.'
        : '요청을 처리하지 못했습니다. 잠시 후 다시 시도해 주세요.');
  return (
    <Layout title={title} viewer={props.viewer}>
      <p>{text}</p>
      <p>
        <a href={props.viewer ? (props.viewer.role === 'agent' ? '/agent' : '/consents') : '/login'}>처음 화면으로</a>
      </p>
    </Layout>
  );
}
