import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type pg from 'pg';
import { z } from 'zod';

/** Users, roles, passwords (scrypt) and personal API tokens. */

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number }) => Promise<Buffer>;
const PARAMS = { N: 16384, r: 8, p: 1 };

export type Role = 'admin' | 'agent' | 'auditor' | 'integration';
export type Principal = { actor: string; role: Role; userId: number | undefined };

export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MINUTES = 15;

export const newUserSchema = z
  .object({
    username: z.string().regex(/^[a-z0-9._-]{3,40}$/, 'lower-case letters, digits, dot, dash or underscore, 3 to 40'),
    password: z.string().min(12, 'at least 12 characters').max(200),
    role: z.enum(['admin', 'agent', 'auditor', 'integration']),
  })
  .strict();

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

export async function createUser(db: Pick<pg.Pool, 'query'>, u: z.output<typeof newUserSchema>): Promise<{ id: number } | 'exists'> {
  const r = await db.query<{ id: number }>(
    'INSERT INTO users (username, role, password_hash) VALUES ($1, $2, $3) ON CONFLICT (username) DO NOTHING RETURNING id',
    [u.username, u.role, await hashPassword(u.password)],
  );
  return r.rows[0] ?? 'exists';
}

export type LoginResult = { ok: true; userId: number; role: Role; username: string } | { ok: false; reason: 'invalid' | 'locked'; lockedUntil?: Date };

/** Checks a password; five failures in a row lock the account for 15 minutes. */
export async function checkLogin(db: Pick<pg.Pool, 'query'>, username: string, password: string): Promise<LoginResult> {
  const r = await db.query<{ id: number; role: Role; password_hash: string; locked_until: Date | null; disabled_at: Date | null }>(
    'SELECT id, role, password_hash, locked_until, disabled_at FROM users WHERE username = $1',
    [username],
  );
  const user = r.rows[0];
  if (!user || user.disabled_at) {
    await verifyPassword(password, await dummyHash); // same time whether or not the user exists
    return { ok: false, reason: 'invalid' };
  }
  if (user.locked_until && user.locked_until > new Date()) return { ok: false, reason: 'locked', lockedUntil: user.locked_until };
  if (!(await verifyPassword(password, user.password_hash))) {
    const u = await db.query<{ locked_until: Date | null }>(
      `UPDATE users SET failed_attempts = failed_attempts + 1,
         locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN now() + make_interval(mins => $3) ELSE NULL END
       WHERE id = $1 RETURNING locked_until`,
      [user.id, MAX_FAILED_LOGINS, LOCKOUT_MINUTES],
    );
    const lockedUntil = u.rows[0]?.locked_until ?? undefined;
    return lockedUntil ? { ok: false, reason: 'locked', lockedUntil } : { ok: false, reason: 'invalid' };
  }
  await db.query('UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = $1', [user.id]);
  return { ok: true, userId: user.id, role: user.role, username };
}
const dummyHash = hashPassword('not-a-real-password');

/** Issues a personal API token; only its hash is stored, the token is shown once. */
export async function issueToken(db: Pick<pg.Pool, 'query'>, userId: number, name: string): Promise<string> {
  const token = `ars_${randomBytes(24).toString('base64url')}`;
  await db.query('INSERT INTO api_tokens (user_id, name, token_sha256) VALUES ($1, $2, $3)', [userId, name, sha256(token)]);
  return token;
}

export async function principalForToken(db: Pick<pg.Pool, 'query'>, token: string): Promise<Principal | undefined> {
  const r = await db.query<{ user_id: number; username: string; role: Role }>(
    `UPDATE api_tokens t SET last_used_at = now() FROM users u
      WHERE t.token_sha256 = $1 AND t.revoked_at IS NULL AND u.id = t.user_id AND u.disabled_at IS NULL
      RETURNING t.user_id, u.username, u.role`,
    [sha256(token)],
  );
  const row = r.rows[0];
  return row ? { actor: row.username, role: row.role, userId: row.user_id } : undefined;
}
