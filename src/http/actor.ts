import type express from 'express';
import { remoteOf } from '../audit/accessLog.js';
import type { Principal } from '../users/users.js';
import type { Actor } from '../consents/useCases.js';

/** Who makes this request, for the access log: the authenticated principal and the client's address. */
export function actorOf(req: express.Request, res: express.Response): Actor {
  return { actor: (res.locals.principal as Principal | undefined)?.actor ?? 'unknown', remote: remoteOf(req) };
}
