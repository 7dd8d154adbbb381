import type { Db } from '../db/database.js';

/**
 * Users, their personal API tokens, web sessions, sign-in throttling and the once-true service
 * facts: every statement on those tables.
 */

export type Role = 'admin' | 'agent' | 'auditor' | 'integration';

export type UserSummary = {
  id: number;
  username: string;
  role: Role;
  organizationCode: string | null;
  lockedUntil: Date | null;
  disabledAt: Date | null;
  createdAt: Date;
};

type UserRow = {
  id: string | number;
  username: string;
  role: Role;
  organization_code: string | null;
  locked_until: Date | null;
  disabled_at: Date | null;
  created_at: Date;
};

const toSummary = (r: UserRow): UserSummary => ({
  id: Number(r.id),
  username: r.username,
  role: r.role,
  organizationCode: r.organization_code,
  lockedUntil: r.locked_until && r.locked_until > new Date() ? r.locked_until : null,
  disabledAt: r.disabled_at,
  createdAt: r.created_at,
});

const SQL = {
  insertUser: `INSERT INTO users (username, role, password_hash, organization_code) VALUES ($1, $2, $3, $4)
               ON CONFLICT (username) DO NOTHING RETURNING id`,
  setFact: 'INSERT INTO service_facts (name) VALUES ($1) ON CONFLICT DO NOTHING',
  fact: 'SELECT 1 FROM service_facts WHERE name = $1',
  userForLogin: 'SELECT id, role, password_hash, disabled_at, organization_code FROM users WHERE username = $1',
  setPasswordHash: 'UPDATE users SET password_hash = $2 WHERE username = $1',
  userSummaries: `SELECT u.id, u.username, u.role, u.organization_code, t.locked_until, u.disabled_at, u.created_at
                    FROM users u LEFT JOIN login_throttle t ON t.username = u.username ORDER BY u.username`,
  userByName: `SELECT u.id, u.username, u.role, u.organization_code, t.locked_until, u.disabled_at, u.created_at
                 FROM users u LEFT JOIN login_throttle t ON t.username = u.username WHERE u.username = $1`,
  lockEnabledAdmins: "SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL ORDER BY id FOR UPDATE",
  updateUser: `UPDATE users SET role = COALESCE($2, role),
                 disabled_at = CASE WHEN $3::boolean IS NULL THEN disabled_at WHEN $3 THEN COALESCE(disabled_at, now()) ELSE NULL END
               WHERE username = $1 RETURNING id`,
  // Counted before the password is checked: one statement, so parallel attempts each take their own number.
  claimLoginAttempt: `INSERT INTO login_throttle AS t (username, failures, locked_until) VALUES ($1, 1, NULL)
      ON CONFLICT (username) DO UPDATE SET
        failures = CASE WHEN t.locked_until IS NOT NULL AND t.locked_until <= now() THEN 1 ELSE t.failures + 1 END,
        locked_until = CASE WHEN t.locked_until IS NOT NULL AND t.locked_until <= now() THEN NULL
                            WHEN t.locked_until IS NULL AND t.failures + 1 > $2 THEN now() + make_interval(mins => $3)
                            ELSE t.locked_until END,
        updated_at = now()
      RETURNING failures, locked_until`,
  lockLogin: `UPDATE login_throttle SET locked_until = COALESCE(locked_until, now() + make_interval(mins => $2)), updated_at = now()
              WHERE username = $1 RETURNING locked_until`,
  clearFailures: 'UPDATE login_throttle SET failures = 0, updated_at = now() WHERE username = $1 AND locked_until IS NULL RETURNING username',
  unlock: 'DELETE FROM login_throttle WHERE username = $1',
  insertToken: 'INSERT INTO api_tokens (user_id, name, token_sha256) VALUES ($1, $2, $3) RETURNING id',
  principalForToken: `UPDATE api_tokens t SET last_used_at = now() FROM users u
      WHERE t.token_sha256 = $1 AND t.revoked_at IS NULL AND u.id = t.user_id AND u.disabled_at IS NULL
      RETURNING t.user_id, u.username, u.role, u.organization_code`,
  revokeToken: 'UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 AND ($2 OR user_id = $3) RETURNING id',
  revokeAllTokens: 'UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE user_id = $1',
  tokensOf: 'SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id',
  insertSession: 'INSERT INTO sessions (id_sha256, user_id, csrf, expires_at) VALUES ($1, $2, $3, now() + make_interval(hours => $4))',
  // Touching the session keeps it alive; idle longer than the setting, or past its end, it is gone.
  touchSession: `UPDATE sessions s SET last_seen_at = now() FROM users u
      WHERE s.id_sha256 = $1 AND u.id = s.user_id AND s.expires_at > now() AND s.last_seen_at > now() - make_interval(mins => $2)
        AND u.disabled_at IS NULL
      RETURNING s.user_id, u.username, u.role, u.organization_code, s.csrf`,
  deleteSession: 'DELETE FROM sessions WHERE id_sha256 = $1',
  deleteSessionsOf: 'DELETE FROM sessions WHERE user_id = $1',
} as const;

export async function insertUser(
  db: Db,
  u: { username: string; role: Role; passwordHash: string; organizationCode: string | null },
): Promise<{ id: number } | 'exists'> {
  const r = await db.query<{ id: string }>(SQL.insertUser, [u.username, u.role, u.passwordHash, u.organizationCode]);
  if (!r.rows[0]) return 'exists';
  if (u.role === 'admin') await setFact(db, 'first-admin-created');
  return { id: Number(r.rows[0].id) };
}

export async function setFact(db: Db, name: string): Promise<void> {
  await db.query(SQL.setFact, [name]);
}

export async function hasFact(db: Db, name: string): Promise<boolean> {
  return ((await db.query(SQL.fact, [name])).rowCount ?? 0) > 0;
}

export type LoginUser = { id: number; role: Role; passwordHash: string; disabled: boolean; organizationCode: string | null };

export async function userForLogin(db: Db, username: string): Promise<LoginUser | undefined> {
  const r = (
    await db.query<{ id: string; role: Role; password_hash: string; disabled_at: Date | null; organization_code: string | null }>(SQL.userForLogin, [username])
  ).rows[0];
  return r ? { id: Number(r.id), role: r.role, passwordHash: r.password_hash, disabled: r.disabled_at !== null, organizationCode: r.organization_code } : undefined;
}

export async function setPasswordHash(db: Db, username: string, passwordHash: string): Promise<void> {
  await db.query(SQL.setPasswordHash, [username, passwordHash]);
}

export async function userSummaries(db: Db): Promise<UserSummary[]> {
  return (await db.query<UserRow>(SQL.userSummaries)).rows.map(toSummary);
}

export async function userByName(db: Db, username: string): Promise<UserSummary | undefined> {
  const r = (await db.query<UserRow>(SQL.userByName, [username])).rows[0];
  return r ? toSummary(r) : undefined;
}

/** The enabled admins' ids, locked until the transaction ends (so two changes cannot both remove the last). */
export async function lockEnabledAdmins(db: Db): Promise<number[]> {
  return (await db.query<{ id: string }>(SQL.lockEnabledAdmins)).rows.map((r) => Number(r.id));
}

export async function updateUser(db: Db, username: string, change: { role: Role | null; disabled: boolean | null }): Promise<number | undefined> {
  const r = (await db.query<{ id: string }>(SQL.updateUser, [username, change.role, change.disabled])).rows[0];
  return r ? Number(r.id) : undefined;
}

/** Takes the next sign-in attempt for a username: its number, and the lock if one holds. */
export async function claimLoginAttempt(db: Db, username: string, maxFailures: number, lockMinutes: number): Promise<{ failures: number; lockedUntil: Date | null }> {
  const r = (await db.query<{ failures: number; locked_until: Date | null }>(SQL.claimLoginAttempt, [username, maxFailures, lockMinutes])).rows[0]!;
  return { failures: r.failures, lockedUntil: r.locked_until };
}

export async function lockLogin(db: Db, username: string, lockMinutes: number): Promise<Date | null> {
  return (await db.query<{ locked_until: Date | null }>(SQL.lockLogin, [username, lockMinutes])).rows[0]?.locked_until ?? null;
}

/** A right password: the failures are forgotten, unless a lock was set meanwhile (then false). */
export async function clearLoginFailures(db: Db, username: string): Promise<boolean> {
  return ((await db.query(SQL.clearFailures, [username])).rowCount ?? 0) > 0;
}

export async function unlockLogin(db: Db, username: string): Promise<void> {
  await db.query(SQL.unlock, [username]);
}

export async function insertToken(db: Db, userId: number, name: string, tokenSha256: string): Promise<number> {
  return Number((await db.query<{ id: string }>(SQL.insertToken, [userId, name, tokenSha256])).rows[0]!.id);
}

export type StoredPrincipal = { userId: number; username: string; role: Role; organizationCode: string | null };

export async function principalForTokenHash(db: Db, tokenSha256: string): Promise<StoredPrincipal | undefined> {
  const r = (await db.query<{ user_id: string; username: string; role: Role; organization_code: string | null }>(SQL.principalForToken, [tokenSha256])).rows[0];
  return r ? { userId: Number(r.user_id), username: r.username, role: r.role, organizationCode: r.organization_code } : undefined;
}

/** Revokes a token of the user's (any token for an admin); false when there is none. */
export async function revokeToken(db: Db, tokenId: number, asAdmin: boolean, userId: number): Promise<boolean> {
  return ((await db.query(SQL.revokeToken, [tokenId, asAdmin, userId])).rowCount ?? 0) > 0;
}

export async function revokeAllTokens(db: Db, userId: number): Promise<void> {
  await db.query(SQL.revokeAllTokens, [userId]);
}

export type TokenSummary = { id: number; name: string; createdAt: Date; lastUsedAt: Date | null; revokedAt: Date | null };

export async function tokensOf(db: Db, userId: number): Promise<TokenSummary[]> {
  const rows = (await db.query<{ id: string; name: string; created_at: Date; last_used_at: Date | null; revoked_at: Date | null }>(SQL.tokensOf, [userId])).rows;
  return rows.map((r) => ({ id: Number(r.id), name: r.name, createdAt: r.created_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at }));
}

export async function insertSession(db: Db, s: { idSha256: string; userId: number; csrf: string; hours: number }): Promise<void> {
  await db.query(SQL.insertSession, [s.idSha256, s.userId, s.csrf, s.hours]);
}

export async function touchSession(db: Db, idSha256: string, idleMinutes: number): Promise<(StoredPrincipal & { csrf: string }) | undefined> {
  const r = (await db.query<{ user_id: string; username: string; role: Role; organization_code: string | null; csrf: string }>(SQL.touchSession, [idSha256, idleMinutes])).rows[0];
  return r ? { userId: Number(r.user_id), username: r.username, role: r.role, organizationCode: r.organization_code, csrf: r.csrf } : undefined;
}

export async function deleteSession(db: Db, idSha256: string): Promise<void> {
  await db.query(SQL.deleteSession, [idSha256]);
}

export async function deleteSessionsOf(db: Db, userId: number): Promise<void> {
  await db.query(SQL.deleteSessionsOf, [userId]);
}
