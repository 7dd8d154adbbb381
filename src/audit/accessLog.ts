import type { Request } from 'express';

/** Who replayed, downloaded, verified or exported what, when and from where: append-only, hash-chained (SQL in ./store.ts). */

export { accessLogFor, logAccess, verifyAccessLogChain, type ChainCheck } from './store.js';

export function remoteOf(req: Request): string | undefined {
  return req.ip ?? undefined;
}
