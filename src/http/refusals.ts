import type { Response } from 'express';
import type { Refusal, RefusalKind } from '../shared/refusal.js';

const HTTP: Record<RefusalKind, { status: number; error: string }> = {
  validation: { status: 400, error: 'validation' },
  unauthorized: { status: 401, error: 'unauthorized' },
  forbidden: { status: 403, error: 'forbidden' },
  'not-found': { status: 404, error: 'not_found' },
  conflict: { status: 409, error: 'conflict' },
  gone: { status: 410, error: 'gone' },
  unprocessable: { status: 422, error: 'unprocessable' },
  locked: { status: 423, error: 'locked' },
  'rate-limited': { status: 429, error: 'rate_limited' },
  unavailable: { status: 503, error: 'unavailable' },
  'upstream-failed': { status: 502, error: 'upstream_failed' },
};

export function refusalStatus(kind: RefusalKind): number {
  return HTTP[kind].status;
}

/** Answers a refusal as the documented JSON: `{error, field, reason, message}`. */
export function sendRefusal(res: Response, refusal: Refusal): void {
  const { status, error } = HTTP[refusal.kind];
  if (refusal.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(Math.max(1, Math.ceil(refusal.retryAfterSeconds))));
  res.status(status).json({
    error: refusal.code ?? error,
    ...(refusal.field ? { field: refusal.field } : {}),
    reason: refusal.reason,
    message: refusal.koreanMessage ?? refusal.message,
  });
}
