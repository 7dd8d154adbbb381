/**
 * The one way domain code says no. It carries a kind, never an HTTP status: the HTTP edge maps
 * kinds to statuses and to the documented JSON `{error, field, reason, message}`.
 *
 * `reason` is the stable English reason integrators match on; `message` is what a person reads
 * (Korean), defaulting to the reason.
 */
export type RefusalKind =
  | 'validation'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'unprocessable'
  | 'locked'
  | 'gone'
  | 'rate-limited'
  | 'unavailable'
  /** An outside service (Twilio) failed the step: 502. */
  | 'upstream-failed';

export class Refusal extends Error {
  readonly kind: RefusalKind;
  readonly field: string | undefined;
  readonly reason: string;
  /** Seconds a rate-limited caller should wait. */
  readonly retryAfterSeconds: number | undefined;
  readonly koreanMessage: string | undefined;
  /**
   * The `error` value integrators already match when it is more specific than the kind's
   * (`export_refused`, `twilio_failed`); absent, the kind's own.
   */
  readonly code: string | undefined;

  constructor(kind: RefusalKind, reason: string, options: { field?: string; message?: string; retryAfterSeconds?: number; code?: string } = {}) {
    super(options.field ? `${options.field} ${reason}` : reason);
    this.name = 'Refusal';
    this.kind = kind;
    this.field = options.field;
    this.reason = reason;
    this.koreanMessage = options.message;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.code = options.code;
  }
}

export function isRefusal(err: unknown): err is Refusal {
  return err instanceof Refusal;
}
