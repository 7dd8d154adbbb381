import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Db } from '../db/database.js';
import * as store from '../users/store.js';
import type { Principal } from '../users/users.js';

/**
 * Cookie sessions for the web pages: httpOnly, SameSite=Lax, Secure behind https; CSRF token per
 * session. A session ends after SESSION_IDLE_MINUTES without a request, and 12 hours after sign-in.
 */

export const SESSION_COOKIE = 'ars_session';
export const LOGIN_CSRF_COOKIE = 'ars_login_csrf';
export const SESSION_MAX_HOURS = 12;

/** Set once at start from SESSION_IDLE_MINUTES. */
export const sessionSettings = { idleMinutes: 30 };

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The request's cookies; a value that is not valid percent-encoding is kept as sent (never a 500). */
export function cookies(req: Request): Record<string, string> {
  const out: Record<string, string> = Object.create(null); // a cookie named __proto__ is just a cookie
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const raw = part.slice(i + 1).trim();
    let value = raw;
    try {
      value = decodeURIComponent(raw);
    } catch {
      /* kept as sent */
    }
    out[part.slice(0, i).trim()] = value;
  }
  return out;
}

export function cookieOptions(secure: boolean, maxAgeMs?: number) {
  return { httpOnly: true, sameSite: 'lax' as const, secure, path: '/', ...(maxAgeMs ? { maxAge: maxAgeMs } : {}) };
}

export async function startSession(db: Db, res: Response, userId: number, secure: boolean): Promise<void> {
  const id = randomBytes(32).toString('base64url');
  await store.insertSession(db, { idSha256: sha256(id), userId, csrf: randomBytes(24).toString('base64url'), hours: SESSION_MAX_HOURS });
  res.cookie(SESSION_COOKIE, id, cookieOptions(secure, SESSION_MAX_HOURS * 3600_000));
}

export type SessionPrincipal = Principal & { csrf: string; username: string };

export async function sessionPrincipal(db: Db, req: Request): Promise<SessionPrincipal | undefined> {
  const id = cookies(req)[SESSION_COOKIE];
  if (!id) return undefined;
  const s = await store.touchSession(db, sha256(id), sessionSettings.idleMinutes);
  return s ? { actor: s.username, username: s.username, role: s.role, userId: s.userId, organizationCode: s.organizationCode ?? undefined, csrf: s.csrf } : undefined;
}

export async function endSession(db: Db, req: Request): Promise<void> {
  const id = cookies(req)[SESSION_COOKIE];
  if (id) await store.deleteSession(db, sha256(id));
}
