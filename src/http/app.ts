import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../log.js';
import { apologyTwiml } from '../telephony/twiml.js';
import { isRefusal } from '../shared/refusal.js';
import { sendRefusal } from './refusals.js';
import { sendNotFound, sendPageError, wantsPage } from '../web/errorPages.js';
import { requestContext } from './requestContext.js';
import { securityHeaders } from './securityHeaders.js';

/** What every process puts in front of its routes: requests in flight, webhook timing, /metrics. */
export type HttpOps = {
  inFlight: express.RequestHandler;
  webhookTimer?: express.RequestHandler;
  metrics?: express.RequestHandler;
};

/** The express app: Twilio webhooks under /twilio, the JSON API under /api. */
export function createHttpApp(parts: {
  twilio: express.Router;
  api: express.Router;
  public: express.Router;
  log: Logger;
  extra?: (app: express.Express) => void;
  /** TRUST_PROXY: hops or proxy addresses; false trusts none. */
  trustProxy?: string | number | false;
  /** PUBLIC_BASE_URL is https: browsers are told to keep to https. */
  hsts?: boolean;
  ops?: HttpOps;
  apiDocs?: express.Router;
}) {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', parts.trustProxy ?? false);
  // The query as parsed (URLSearchParams); turned into one string a key below, or by twilioRoutes.
  app.set('query parser', (q: string | null | undefined) => new URLSearchParams(typeof q === 'string' ? q : ''));
  if (parts.ops) app.use(parts.ops.inFlight);
  app.use(requestContext());
  app.use(securityHeaders(parts.hsts ?? false));
  // Twilio's webhooks first: they need none of what the pages and the API need below, and a caller
  // waits on each (their query is read by twilioRoutes itself, repeats refused there).
  if (parts.ops?.webhookTimer) app.use('/twilio', parts.ops.webhookTimer);
  app.use('/twilio', parts.twilio);
  // Repeated query parameters are not arrays: a handler sees strings only (a repeat is refused below).
  // A page a person's browser asks for is the exception: it gets the repeat as an array and refuses
  // it in Korean on the page itself (the consent search's "같은 검색 조건이 두 번 들어 있습니다").
  app.use((req, res, next) => {
    const params = req.query as unknown as URLSearchParams;
    // No prototype: a parameter named __proto__ or constructor is a parameter like any other.
    const out: Record<string, string | string[]> = Object.create(null);
    for (const [k, v] of params) {
      const before = out[k];
      if (before === undefined) {
        out[k] = v;
        continue;
      }
      if (!wantsPage(req)) {
        res.status(400).json({ error: 'validation', field: k, reason: 'is given more than once', message: `${k} 값이 두 번 이상 있습니다.` });
        return;
      }
      out[k] = [...(Array.isArray(before) ? before : [before]), v];
    }
    Object.defineProperty(req, 'query', { value: out, writable: true, configurable: true, enumerable: true });
    next();
  });
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  if (parts.ops?.metrics) app.get('/metrics', parts.ops.metrics);
  app.use(parts.public);
  if (parts.apiDocs) app.use('/api', parts.apiDocs);
  app.use('/api', parts.api);
  parts.extra?.(app);
  app.use('/api', (_req, res) => {
    res.status(404).json({ error: 'not_found', reason: 'no such API endpoint' });
  });
  app.use(sendNotFound);

  app.use((err: Error & { status?: number; type?: string }, req: Request, res: Response, _next: NextFunction) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (req.path.startsWith('/twilio') && status < 500) {
      parts.log.warn({ path: req.path, err: err.message }, 'refused a malformed Twilio webhook request');
      res.status(403).type('text/plain').send('malformed request');
      return;
    }
    if (req.path.startsWith('/twilio')) {
      // Never a 5xx to Twilio: the caller hears an apology instead of Twilio's error message.
      parts.log.error({ path: req.path, err: err.message }, 'twilio request failed');
      res.status(200).type('text/xml').send(apologyTwiml(undefined, '죄송합니다. 일시적인 오류가 발생했습니다. 잠시 후 다시 전화해 주세요.'));
      return;
    }
    if (isRefusal(err)) {
      sendRefusal(res, err);
      return;
    }
    if (wantsPage(req) && !res.headersSent) {
      if (status >= 500) parts.log.error({ path: req.path, err: err.message }, 'page failed');
      sendPageError(res, status >= 500 ? 500 : status === 404 ? 404 : status === 403 ? 403 : 400);
      return;
    }
    if (status < 500) {
      res.status(status).json({ error: 'bad_request', reason: err.type === 'entity.parse.failed' ? 'the body is not valid JSON' : err.message });
      return;
    }
    if (err instanceof URIError) {
      res.status(400).json({ error: 'bad_request', reason: 'the request is not valid percent-encoding' });
      return;
    }
    parts.log.error({ path: req.path, err: err.message }, 'request failed');
    res.status(500).json({ error: 'internal', reason: 'the request could not be completed' });
  });
  return app;
}
