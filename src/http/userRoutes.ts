import express from 'express';
import type pg from 'pg';
import { logAccess, remoteOf } from '../audit/accessLog.js';
import { withTransaction } from '../db/database.js';
import { firstProblem } from '../shared/problems.js';
import { koreanValidationMessage } from '../shared/koreanMessages.js';
import { Refusal } from '../shared/refusal.js';
import * as store from '../users/store.js';
import { checkLogin, createUser, issueToken, newUserSchema, type Principal, type Role } from '../users/users.js';
import { allow } from './auth.js';
import type { LoginLimits } from './loginLimits.js';

/** Users and personal API tokens: POST /api/tokens (before authentication), the rest for signed-in callers. */

const ROLES: Role[] = ['admin', 'agent', 'auditor', 'integration'];

/** POST /tokens: a personal API token for a user's name and password. Mounted before authentication. */
export function tokenIssueRoutes(deps: { pool: pg.Pool; limits: LoginLimits }): express.Router {
  const router = express.Router();
  router.post('/tokens', deps.limits.perAddress, deps.limits.perUsername, async (req, res) => {
    const { username, password, name } = (req.body ?? {}) as Record<string, unknown>;
    if (typeof username !== 'string' || typeof password !== 'string') {
      throw new Refusal('validation', 'is required', { field: typeof username !== 'string' ? 'username' : 'password' });
    }
    const login = await checkLogin(deps.pool, username, password);
    if (!login.ok) {
      if (login.reason === 'locked') {
        throw new Refusal('locked', `too many failed attempts; locked until ${(login.lockedUntil ?? new Date(Date.now() + 15 * 60_000)).toISOString()}`, {
          message: '로그인 실패가 반복되어 잠겼습니다. 잠시 후 다시 시도해 주세요.',
        });
      }
      throw new Refusal('unauthorized', 'wrong username or password', { message: '아이디 또는 비밀번호가 맞지 않습니다.' });
    }
    const token = await issueToken(deps.pool, login.userId, typeof name === 'string' && name ? name.slice(0, 60) : 'api');
    res.status(201).json({ token, username: login.username, role: login.role });
  });
  return router;
}

/** Users (admins) and one's own tokens. Mounted after authentication. */
export function userRoutes(deps: { pool: pg.Pool }): express.Router {
  const router = express.Router();
  const audit = (req: express.Request, res: express.Response, action: string, target: string, detail: Record<string, unknown>) =>
    logAccess(deps.pool, { actor: (res.locals.principal as Principal).actor, action, target, remote: remoteOf(req), detail });

  router.post('/users', allow('admin'), async (req, res) => {
    const parsed = newUserSchema.safeParse(req.body);
    if (!parsed.success) {
      const { field, reason } = firstProblem(parsed.error);
      // The admin page shows `message`: a Korean sentence for the field's reason.
      throw new Refusal('validation', reason, { field, message: koreanValidationMessage(field, reason) });
    }
    const u = parsed.data;
    const created = await createUser(deps.pool, u);
    if (created === 'exists') throw new Refusal('conflict', 'a user with that name exists', { field: 'username', message: '같은 아이디의 사용자가 이미 있습니다.' });
    await audit(req, res, 'create-user', `user:${u.username}`, { role: u.role, organizationCode: u.organizationCode ?? null });
    res.status(201).json({ id: created.id, username: u.username, role: u.role, organizationCode: u.organizationCode ?? null });
  });

  /** Admins change a user's role, disable or enable them, or lift a lockout; the last enabled admin stays. */
  router.patch('/users/:username', allow('admin'), async (req, res) => {
    const username = String(req.params.username);
    const body = (req.body ?? {}) as { role?: unknown; disabled?: unknown; unlock?: unknown };
    if (body.role !== undefined && !ROLES.includes(body.role as Role)) {
      throw new Refusal('validation', 'must be admin, agent, auditor or integration', { field: 'role', message: koreanValidationMessage('role', 'must be one of the roles') });
    }
    if (body.role === 'integration') {
      throw new Refusal('validation', 'an integration user belongs to one organisation: create one with organizationCode', { field: 'role', message: '연동 시스템 사용자는 이용기관코드와 함께 새로 만들어 주세요.' });
    }
    if (body.disabled !== undefined && typeof body.disabled !== 'boolean') throw new Refusal('validation', 'must be true or false', { field: 'disabled' });
    const role = (body.role as Role | undefined) ?? null;
    const disabled = (body.disabled as boolean | undefined) ?? null;
    const id = await withTransaction(deps.pool, async (client) => {
      const admins = await store.lockEnabledAdmins(client);
      const before = await store.userByName(client, username);
      if (!before) throw new Refusal('not-found', 'no user with that name');
      const stopsBeingAdmin = admins.includes(before.id) && (disabled === true || (role !== null && role !== 'admin'));
      if (stopsBeingAdmin && admins.length === 1) {
        throw new Refusal('conflict', 'the last enabled admin cannot be disabled or given another role', { message: '마지막 관리자는 비활성화하거나 역할을 바꿀 수 없습니다.' });
      }
      if (before.role === 'integration' && role !== null && role !== 'integration') {
        throw new Refusal('validation', 'an integration user keeps its role', { field: 'role', message: '연동 시스템 사용자의 역할은 바꿀 수 없습니다.' });
      }
      const changed = (await store.updateUser(client, username, { role, disabled }))!;
      if (disabled === true) {
        // Disabled: sessions end and tokens are revoked for good (enabling again does not revive them).
        await store.deleteSessionsOf(client, changed);
        await store.revokeAllTokens(client, changed);
      }
      if (body.unlock === true) await store.unlockLogin(client, username);
      return changed;
    });
    await audit(req, res, 'update-user', `user:${username}`, { role, disabled, unlock: body.unlock === true });
    const after = (await store.userByName(deps.pool, username))!;
    res.json({ id, username: after.username, role: after.role, organizationCode: after.organizationCode, disabledAt: after.disabledAt, lockedUntil: after.lockedUntil });
  });

  /** Revokes a personal API token: its owner or an admin. */
  router.delete('/tokens/:id', async (req, res) => {
    const principal = res.locals.principal as Principal;
    const raw = String(req.params.id);
    if (!/^\d{1,15}$/.test(raw)) throw new Refusal('validation', 'a token id is a number', { field: 'id' });
    if (!(await store.revokeToken(deps.pool, Number(raw), principal.role === 'admin', principal.userId ?? -1))) {
      throw new Refusal('not-found', 'no such token of yours');
    }
    res.status(204).end();
  });

  router.get('/tokens', async (_req, res) => {
    const principal = res.locals.principal as Principal;
    res.json({ tokens: principal.userId === undefined ? [] : await store.tokensOf(deps.pool, principal.userId) });
  });

  router.get('/users', allow('admin'), async (_req, res) => {
    const users = await store.userSummaries(deps.pool);
    res.json({ users: users.map((u) => ({ id: u.id, username: u.username, role: u.role, organizationCode: u.organizationCode, lockedUntil: u.lockedUntil, disabledAt: u.disabledAt, createdAt: u.createdAt })) });
  });

  return router;
}
