/** User management for admins, over the JSON API: create, role, disable or enable, unlock; the admin's own tokens. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { koreanDateTime } from '../format.js';
import { label, role as roleLabel } from '../labels.js';
import { api } from './api.js';

type User = { id: number; username: string; role: string; lockedUntil: string | null; disabledAt: string | null; createdAt: string; organizationCode?: string | null };
type Token = { id: number; name: string; createdAt: string; lastUsedAt: string | null; revokedAt: string | null };
type Message = { text: string; bad?: boolean; secret?: string };

const ROLES = ['admin', 'agent', 'auditor', 'integration'];

function App() {
  const [users, setUsers] = useState<User[] | null>(null);
  const [tokens, setTokens] = useState<Token[]>([]);
  const [message, setMessage] = useState<Message | null>(null);
  const [form, setForm] = useState({ username: '', password: '', role: 'auditor', organizationCode: '' });
  const [tokenForm, setTokenForm] = useState({ name: '', password: '' });
  const me = document.getElementById('users-app')?.dataset.username ?? '';

  async function load() {
    try {
      setUsers((await api<{ users: User[] }>('GET', '/api/users')).users);
      setTokens((await api<{ tokens: Token[] }>('GET', '/api/tokens')).tokens);
    } catch (e) {
      setMessage({ text: (e as Error).message, bad: true });
    }
  }
  useEffect(() => void load(), []);

  const act = async (work: () => Promise<unknown>, done: string) => {
    try {
      await work();
      setMessage({ text: done });
      await load();
    } catch (e) {
      setMessage({ text: (e as Error).message, bad: true });
    }
  };

  const create = (ev: Event) => {
    ev.preventDefault();
    const body: Record<string, string> = { username: form.username.trim(), password: form.password, role: form.role };
    if (form.role === 'integration' && form.organizationCode.trim()) body.organizationCode = form.organizationCode.trim();
    void act(async () => {
      await api('POST', '/api/users', body);
      setForm({ username: '', password: '', role: 'auditor', organizationCode: '' });
    }, `사용자 ${body.username}을(를) 만들었습니다.`);
  };

  const issue = (ev: Event) => {
    ev.preventDefault();
    void (async () => {
      try {
        const r = await api<{ token: string }>('POST', '/api/tokens', { username: me, password: tokenForm.password, name: tokenForm.name || '웹에서 발급' });
        setTokenForm({ name: '', password: '' });
        setMessage({ text: '새 연동 토큰입니다. 지금만 보이니 안전한 곳에 옮겨 두세요.', secret: r.token });
        await load();
      } catch (e) {
        setMessage({ text: (e as Error).message, bad: true });
      }
    })();
  };

  const set = (key: keyof typeof form) => (e: Event) => setForm({ ...form, [key]: (e.target as HTMLInputElement).value });

  return (
    <>
      <div role="status" aria-live="polite">
        {message ? (
          <p class={message.bad ? 'alert' : 'notice'}>
            {message.text}
            {message.secret ? (
              <>
                <br />
                <code id="new-token">{message.secret}</code>
              </>
            ) : null}
          </p>
        ) : null}
      </div>

      <h2>사용자 목록</h2>
      {!users ? (
        <p>불러오는 중…</p>
      ) : (
        <div class="table-wrap">
          <table class="responsive">
            <thead>
              <tr>
                <th scope="col">아이디</th>
                <th scope="col">역할</th>
                <th scope="col">상태</th>
                <th scope="col">작업</th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => {
                const locked = u.lockedUntil !== null && new Date(u.lockedUntil) > new Date();
                return (
                  <tr key={u.username}>
                    <td data-label="아이디">
                      {u.username}
                      {u.organizationCode ? ` (이용기관 ${u.organizationCode})` : ''}
                    </td>
                    <td data-label="역할">
                      <label>
                        <span class="muted">{u.username} 역할</span>
                        <select
                          value={u.role}
                          onChange={(e) => {
                            const role = (e.target as HTMLSelectElement).value;
                            void act(() => api('PATCH', `/api/users/${encodeURIComponent(u.username)}`, { role }), `${u.username}의 역할을 ${label(roleLabel, role)}(으)로 바꿨습니다.`);
                          }}
                        >
                          {ROLES.map((r) => (
                            <option value={r}>{label(roleLabel, r)}</option>
                          ))}
                        </select>
                      </label>
                    </td>
                    <td data-label="상태">
                      {u.disabledAt ? `사용 중지 (${koreanDateTime(u.disabledAt)})` : locked ? `잠김 (${koreanDateTime(u.lockedUntil)}까지)` : '사용 중'}
                    </td>
                    <td data-label="작업">
                      <div class="buttons">
                        <button
                          type="button"
                          aria-label={`${u.username} ${u.disabledAt ? '다시 사용' : '사용 중지'}`}
                          onClick={() =>
                            void act(
                              () => api('PATCH', `/api/users/${encodeURIComponent(u.username)}`, { disabled: !u.disabledAt }),
                              `${u.username}을(를) ${u.disabledAt ? '다시 사용하게 했습니다' : '사용 중지했습니다'}.`,
                            )
                          }
                        >
                          {u.disabledAt ? '다시 사용' : '사용 중지'}
                        </button>
                        {locked ? (
                          <button type="button" aria-label={`${u.username} 잠금 해제`} onClick={() => void act(() => api('PATCH', `/api/users/${encodeURIComponent(u.username)}`, { unlock: true }), `${u.username}의 잠금을 풀었습니다.`)}>
                            잠금 해제
                          </button>
                        ) : null}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}

      <h2>새 사용자</h2>
      <form class="stack" onSubmit={create}>
        <label>
          아이디 (영문 소문자·숫자 3~40자)
          <input value={form.username} onInput={set('username')} autoComplete="off" required />
        </label>
        <label>
          처음 비밀번호 (12자 이상)
          <input type="password" value={form.password} onInput={set('password')} autoComplete="new-password" required />
        </label>
        <label>
          역할
          <select value={form.role} onChange={set('role')}>
            {ROLES.map((r) => (
              <option value={r}>{label(roleLabel, r)}</option>
            ))}
          </select>
        </label>
        {form.role === 'integration' ? (
          <label>
            이용기관코드 (연동 시스템이 요청할 수 있는 기관)
            <input value={form.organizationCode} onInput={set('organizationCode')} autoComplete="off" />
          </label>
        ) : null}
        <button class="primary">사용자 만들기</button>
      </form>

      <h2>내 연동 토큰</h2>
      <ul>
        {tokens.map((t) => (
          <li key={t.id}>
            {t.name} · {koreanDateTime(t.createdAt)} 발급
            {t.lastUsedAt ? ` · ${koreanDateTime(t.lastUsedAt)} 마지막 사용` : ''}
            {t.revokedAt ? (
              ` · ${koreanDateTime(t.revokedAt)} 폐기됨`
            ) : (
              <>
                {' '}
                <button type="button" aria-label={`${t.name} 토큰 폐기`} onClick={() => void act(() => api('DELETE', `/api/tokens/${t.id}`), `${t.name} 토큰을 폐기했습니다.`)}>
                  폐기
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
      <form class="stack" onSubmit={issue}>
        <label>
          토큰 이름
          <input value={tokenForm.name} onInput={(e) => setTokenForm({ ...tokenForm, name: (e.target as HTMLInputElement).value })} autoComplete="off" />
        </label>
        <label>
          내 비밀번호 (확인용)
          <input type="password" value={tokenForm.password} onInput={(e) => setTokenForm({ ...tokenForm, password: (e.target as HTMLInputElement).value })} autoComplete="current-password" required />
        </label>
        <button>새 토큰 발급</button>
      </form>
    </>
  );
}

const root = document.getElementById('users-app');
if (root) {
  root.replaceChildren();
  render(<App />, root);
}
