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
