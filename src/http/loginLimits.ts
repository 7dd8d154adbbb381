import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';

/**
 * Sign-in attempts (/login and POST /api/tokens share these): per client address and per
 * username, whether the username exists or not, so that guessing is slow and the answer the same.
 */
export type LoginLimits = { perAddress: RequestHandler; perUsername: RequestHandler };

export function loginLimits(options: { perAddressPerMinute?: number; perUsernamePerMinute?: number } = {}): LoginLimits {
  const answer = { error: 'rate_limited', reason: 'too many sign-in attempts; wait a minute', message: '로그인 시도가 너무 많습니다. 1분 뒤에 다시 시도해 주세요.' };
  return {
    perAddress: rateLimit({ windowMs: 60_000, limit: options.perAddressPerMinute ?? 30, standardHeaders: 'draft-7', legacyHeaders: false, message: answer }),
    perUsername: rateLimit({
      windowMs: 60_000,
      limit: options.perUsernamePerMinute ?? 10,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      message: answer,
      keyGenerator: (req) => {
        const u = (req.body as Record<string, unknown> | undefined)?.username;
        return `user:${typeof u === 'string' ? u.slice(0, 100).toLowerCase() : ''}`;
      },
    }),
  };
}
