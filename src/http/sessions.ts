import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type pg from 'pg';
import type { Principal, Role } from '../users/users.js';

/** Cookie sessions for the web pages: httpOnly, SameSite=Lax, Secure behind https; CSRF token per session. */

export const SESSION_COOKIE = 'ars_session';
export const LOGIN_CSRF_COOKIE = 'ars_login_csrf';
const HOURS = 8;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export function cookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

export function cookieOptions(secure: boolean, maxAgeMs?: number) {
  return { httpOnly: true, sameSite: 'lax' as const, secure, path: '/', ...(maxAgeMs ? { maxAge: maxAgeMs } : {}) };
}

export async function startSession(pool: pg.Pool, res: Response, userId: number, secure: boolean): Promise<void> {
  const id = randomBytes(32).toString('base64url');
  await pool.query("INSERT INTO sessions (id_sha256, user_id, csrf, expires_at) VALUES ($1, $2, $3, now() + make_interval(hours => $4))", [
    sha256(id), userId, randomBytes(24).toString('base64url'), HOURS,
  ]);
  res.cookie(SESSION_COOKIE, id, cookieOptions(secure, HOURS * 3600_000));
}

export type SessionPrincipal = Principal & { csrf: string; username: string };

export async function sessionPrincipal(pool: pg.Pool, req: Request): Promise<SessionPrincipal | undefined> {
  const id = cookies(req)[SESSION_COOKIE];
  if (!id) return undefined;
  const r = await pool.query<{ user_id: number; username: string; role: Role; csrf: string }>(
    `SELECT s.user_id, u.username, u.role, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.id_sha256 = $1 AND s.expires_at > now() AND u.disabled_at IS NULL`,
    [sha256(id)],
  );
  const row = r.rows[0];
  return row ? { actor: row.username, username: row.username, role: row.role, userId: row.user_id, csrf: row.csrf } : undefined;
}

export async function endSession(pool: pg.Pool, req: Request): Promise<void> {
  const id = cookies(req)[SESSION_COOKIE];
  if (id) await pool.query('DELETE FROM sessions WHERE id_sha256 = $1', [sha256(id)]);
}
