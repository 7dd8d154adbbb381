import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { z } from 'zod';
import type { Db } from '../db/database.js';
import { organizationCodeProblem } from '../kftc/rules.js';
import * as store from './store.js';

/** Users, roles, passwords (scrypt) and personal API tokens. */

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number }) => Promise<Buffer>;
const PARAMS = { N: 16384, r: 8, p: 1 };

export type Role = store.Role;
/** Who is calling; an integration user carries its organisation. */
export type Principal = { actor: string; role: Role; userId: number | undefined; organizationCode?: string | undefined };

export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MINUTES = 15;

export const newUserSchema = z
  .object({
    username: z.string().regex(/^[a-z0-9._-]{3,40}$/, 'lower-case letters, digits, dot, dash or underscore, 3 to 40'),
    password: z.string().min(12, 'at least 12 characters').max(200),
    role: z.enum(['admin', 'agent', 'auditor', 'integration']),
    /** The organisation an integration user acts for (required for that role, refused for others). */
    organizationCode: z
      .string()
      .refine((c) => !organizationCodeProblem('firmBanking', c), 'an organisation code is letters and digits, at most 20')
      .optional(),
  })
  .strict()
  .superRefine((u, ctx) => {
    if (u.role === 'integration' && u.organizationCode === undefined) ctx.addIssue({ code: 'custom', path: ['organizationCode'], message: 'is required for the integration role' });
    if (u.role !== 'integration' && u.organizationCode !== undefined) ctx.addIssue({ code: 'custom', path: ['organizationCode'], message: 'is only for the integration role' });
  });

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, 32, PARAMS);
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, key] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(actual, expected);
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export async function createUser(db: Db, u: z.output<typeof newUserSchema>): Promise<{ id: number } | 'exists'> {
  return store.insertUser(db, { username: u.username, role: u.role, passwordHash: await hashPassword(u.password), organizationCode: u.organizationCode ?? null });
}

export type LoginResult =
  | { ok: true; userId: number; role: Role; username: string; organizationCode: string | undefined }
  | { ok: false; reason: 'invalid' | 'locked'; lockedUntil?: Date };

/**
 * Checks a password. The attempt is counted before the password is checked (one statement), so
 * however many arrive at once only the first five are checked; after five failures every attempt,
 * the right password included, is refused until the lock ends. Unknown usernames are counted and
 * locked alike, so the answer never tells which names exist.
 */
export async function checkLogin(db: Db, username: string, password: string): Promise<LoginResult> {
  const name = username.slice(0, 100);
  const attempt = await store.claimLoginAttempt(db, name, MAX_FAILED_LOGINS, LOCKOUT_MINUTES);
  if (attempt.lockedUntil) {
    return { ok: false, reason: 'locked', lockedUntil: attempt.lockedUntil };
  }
  const user = await store.userForLogin(db, name);
  const valid = user && !user.disabled ? await verifyPassword(password, user.passwordHash) : (await verifyPassword(password, await dummyHash), false);
  if (!valid || !user) {
    if (attempt.failures >= MAX_FAILED_LOGINS) {
      const lockedUntil = await store.lockLogin(db, name, LOCKOUT_MINUTES);
      return { ok: false, reason: 'locked', ...(lockedUntil ? { lockedUntil } : {}) };
    }
    return { ok: false, reason: 'invalid' };
  }
  // Locked by parallel attempts meanwhile: the right password does not lift the lock.
  if (!(await store.clearLoginFailures(db, name))) return { ok: false, reason: 'locked' };
  return { ok: true, userId: user.id, role: user.role, username: name, organizationCode: user.organizationCode ?? undefined };
}
const dummyHash = hashPassword('not-a-real-password');

/** Issues a personal API token; only its hash is stored, the token is shown once. */
export async function issueToken(db: Db, userId: number, name: string): Promise<string> {
  const token = `ars_${randomBytes(24).toString('base64url')}`;
  await store.insertToken(db, userId, name, sha256(token));
  return token;
}

/** A new token named `name` for the user, the user's earlier live tokens of that name revoked. */
export async function replaceToken(db: Db, userId: number, name: string): Promise<string> {
  for (const t of await store.tokensOf(db, userId)) {
    if (t.name === name && !t.revokedAt) await store.revokeToken(db, t.id, false, userId);
  }
  return issueToken(db, userId, name);
}

export async function principalForToken(db: Db, token: string): Promise<Principal | undefined> {
  const p = await store.principalForTokenHash(db, sha256(token));
  return p ? { actor: p.username, role: p.role, userId: p.userId, organizationCode: p.organizationCode ?? undefined } : undefined;
}
