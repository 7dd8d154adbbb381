import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What every log line written while serving one request carries. */
/** reqId, not requestId: requestId already names a consent request in the service's lines. */
export type RequestContext = { reqId: string; callSid?: string };

const storage = new AsyncLocalStorage<RequestContext>();

/** The context of the request being served, if any (read by the logger's mixin for every line). */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

/** An id a client or proxy sent that is safe to repeat in logs and headers; anything else is replaced. */
const GOOD_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/**
 * Gives each request an id (the caller's X-Request-Id when sane, else a new UUID), returns it as
 * X-Request-Id, and runs the rest of the request inside its context so that every log line written
 * for it, wherever in the service (the call service, the pipeline's scheduling, the stores' callers),
 * carries reqId (and callSid for Twilio, see noteCallSid): the logger's mixin reads the context,
 * so the service's one logger and all its children add the fields without being handed a new logger.
 */
export function requestContext() {
  return (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const sent = req.headers['x-request-id'];
    const requestId = typeof sent === 'string' && GOOD_ID.test(sent) ? sent : randomUUID();
    res.setHeader('X-Request-Id', requestId);
    const context: RequestContext = { reqId: requestId };
    storage.run(context, () => next());
  };
}

/** Twilio's requests: once the form is parsed, the CallSid joins the request's context. */
export function noteCallSid(req: IncomingMessage & { body?: unknown }, _res: ServerResponse, next: () => void): void {
  const callSid = (req.body as Record<string, unknown> | undefined)?.CallSid;
  const context = storage.getStore();
  if (context && typeof callSid === 'string' && /^CA[0-9a-fA-F]{32}$/.test(callSid)) {
    context.callSid = callSid;
  }
  next();
}
