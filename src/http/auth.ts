import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Bearer ADMIN_TOKEN, compared in constant time. */
export function requireBearer(token: string) {
  const expected = digest(token);
  return (req: Request, res: Response, next: NextFunction): void => {
    const header = req.header('Authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1]!.trim()), expected)) {
      res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'unauthorized', reason: 'a valid bearer token is required' });
      return;
    }
    next();
  };
}

import type pg from 'pg';
import { hasFact } from '../users/store.js';
import { principalForToken, type Principal, type Role } from '../users/users.js';
import { sessionPrincipal } from './sessions.js';

/**
 * Who is calling the JSON API: ADMIN_TOKEN (the bootstrap admin, actor "admin-token") or a
 * user's personal API token (actor: the username, with the user's role).
 */
export function authenticate(pool: pg.Pool, adminToken: string) {
  const expected = digest(adminToken);
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const match = /^Bearer\s+(.+)$/i.exec(req.header('Authorization') ?? '');
    const token = match?.[1]?.trim();
    let principal: Principal | undefined;
    if (token && timingSafeEqual(digest(token), expected)) {
      // ADMIN_TOKEN only bootstraps the first admin: once one has ever been created, people sign in.
      if (await hasFact(pool, 'first-admin-created')) {
        res.status(401).json({ error: 'unauthorized', reason: 'ADMIN_TOKEN only bootstraps the first admin; an admin has been created: use a personal API token' });
        return;
      }
      principal = { actor: 'admin-token', role: 'admin', userId: undefined };
    }
    else if (token?.startsWith('ars_')) principal = await principalForToken(pool, token);
    else if (!token) {
      // The web pages call the API with their session cookie; a change needs the session's CSRF token.
      const session = await sessionPrincipal(pool, req);
      if (session && req.method !== 'GET' && req.method !== 'HEAD' && req.header('X-CSRF-Token') !== session.csrf) {
        res.status(403).json({ error: 'forbidden', reason: 'missing or wrong CSRF token' });
        return;
      }
      principal = session;
    }
    if (!principal) {
      res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'unauthorized', reason: 'a valid bearer token is required' });
      return;
    }
    res.locals.principal = principal;
    next();
  };
}

/** Only these roles may use the route: 403 with the reason otherwise. */
export function allow(...roles: Role[]) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const principal = res.locals.principal as Principal | undefined;
    if (!principal || !roles.includes(principal.role)) {
      res.status(403).json({ error: 'forbidden', reason: `this needs the role ${roles.join(' or ')}` });
      return;
    }
    next();
  };
}
