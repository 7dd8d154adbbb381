/** The pages' JSON calls: the session's CSRF token on changes; a refusal becomes an Error with its Korean message. */

export function csrfToken(): string {
  return (document.querySelector('meta[name=csrf-token]') as HTMLMetaElement | null)?.content ?? '';
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly field: string | undefined,
    readonly reason: string | undefined,
  ) {
    super(message);
  }
}

export async function api<T>(method: string, url: string, body?: unknown): Promise<T> {
  const r = await fetch(url, {
    method,
    headers: { 'X-CSRF-Token': csrfToken(), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const j = (await r.json().catch(() => ({}))) as { message?: string; reason?: string; field?: string };
  if (!r.ok) throw new ApiError(koreanOr(j.message, r.status), r.status, j.field, j.reason);
  return j as T;
}

/** The server's Korean message; a Korean sentence by status when the message is not Korean. */
function koreanOr(message: string | undefined, status: number): string {
  if (message && /[\uac00-\ud7a3]/.test(message)) return message;
  if (status === 401) return '로그인이 필요합니다. 다시 로그인해 주세요.';
  if (status === 403) return '권한이 없거나 보안 토큰이 맞지 않습니다. 페이지를 새로 고쳐 주세요.';
  if (status === 404) return '찾을 수 없습니다.';
  if (status === 409) return '다른 작업과 겹쳤습니다. 화면을 새로 고쳐 주세요.';
  if (status === 429) return '요청이 너무 많습니다. 잠시 후 다시 시도해 주세요.';
  if (status >= 500) return '서버에서 처리하지 못했습니다. 잠시 후 다시 시도해 주세요.';
  return '요청을 처리하지 못했습니다. 입력을 확인해 주세요.';
}
