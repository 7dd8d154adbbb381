import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { type NextFunction, type Request, type Response } from 'express';
import proxyAddr from 'proxy-addr';
import type { Logger } from '../log.js';
import { isRefusal } from '../shared/refusal.js';
import { sendRefusal } from './refusals.js';
import { sendNotFound, sendPageError, wantsPage } from '../web/errorPages.js';
import { requestContext } from './requestContext.js';
import { securityHeaderPairs, securityHeaders } from './securityHeaders.js';
import { sendApology, WEBHOOK_PATHS, webhookRouteOf, type TwilioWebhooks } from './twilioRoutes.js';

/** What every process puts in front of its routes: requests in flight, webhook timing, /metrics. */
export type HttpOps = {
  inFlight: (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
  webhookTimer?: express.RequestHandler;
  /** Times a webhook served without express (its route known from the path). */
  timeWebhook?: (route: string, res: ServerResponse) => void;
  metrics?: express.RequestHandler;
};

type TrustProxy = string | number | false;

/**
 * The client's address as express's req.ip gives it, for requests served without express: the
 * TRUST_PROXY setting (hops, or addresses and ranges) applied to X-Forwarded-For by proxy-addr,
 * compiled as express compiles it. (Express keeps the setting itself, not this function: given a
 * function, express-rate-limit no longer warns of an X-Forwarded-For nobody trusts.)
 */
export function clientAddress(trustProxy: TrustProxy): (req: IncomingMessage) => string {
  const trust =
    trustProxy === false ? () => false : typeof trustProxy === 'number' ? (_addr: string, hop: number) => hop < trustProxy : proxyAddr.compile(trustProxy.split(',').map((v) => v.trim()));
  return (req) => proxyAddr(req, trust);
}

/** Handles every request of the HTTP server. */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The HTTP server's handler: Twilio webhooks under /twilio, the JSON API under /api, the pages.
 * The webhooks (a POST to one of the paths Twilio is given) are served without express, through
 * the same steps as every request (requests in flight, the request id, the security headers), then
 * the signature check: a caller waits on each, and express's request and response objects (their
 * prototypes swapped on every request) cost a webhook a good part of its time. Anything else under
 * /twilio goes through express, checked by the same signature middleware.
 */
export function createHttpApp(parts: {
  /** Absent in a worker process, which serves no webhooks. */
  twilio?: TwilioWebhooks;
  api: express.Router;
  public: express.Router;
  log: Logger;
  extra?: (app: express.Express) => void;
  /** TRUST_PROXY: hops or proxy addresses; false trusts none. */
  trustProxy?: TrustProxy;
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
  const inFlight = parts.ops?.inFlight;
  const context = requestContext();
  const headerPairs = securityHeaderPairs(parts.hsts ?? false);
  const headers = securityHeaders(headerPairs);
  if (inFlight) app.use(inFlight);
  app.use(context);
  app.use(headers);
  // Twilio's webhooks first: they need none of what the pages and the API need below, and a caller
  // waits on each (their query is read by twilioRoutes itself, repeats refused there).
  if (parts.ops?.webhookTimer) app.use('/twilio', parts.ops.webhookTimer);
  if (parts.twilio) app.use('/twilio', parts.twilio.router);
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
      sendApology(res);
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

  /** What every request goes through first (as the app's first middlewares do), then `last`. */
  const commonSteps = (req: IncomingMessage, res: ServerResponse, last: () => void) => {
    const steps = () => context(req, res, () => headers(req, res, last));
    if (inFlight) inFlight(req, res, steps);
    else steps();
  };
  const twilio = parts.twilio;
  const timeWebhook = parts.ops?.timeWebhook;
  const listener: RequestListener = (req, res) => {
    const route = twilio ? webhookRouteOf(req.method, req.url) : undefined;
    if (!twilio || !route) return void app(req, res);
    const serve = () => {
      timeWebhook?.(WEBHOOK_PATHS[route], res);
      twilio.serve(route, req, res);
    };
    try {
      commonSteps(req, res, serve);
    } catch (err) {
      // Never a 5xx to Twilio, nor a process brought down: the caller hears an apology.
      parts.log.error({ path: WEBHOOK_PATHS[route], err: (err as Error).message }, 'twilio request failed');
      if (!res.headersSent) sendApology(res);
    }
  };
  const headerLines = headerPairs.map(([name, value]) => `${name}: ${value}`);
  return {
    app,
    listener,
    /**
     * The answers Node would write itself, with the headers every response carries: a 417 for an
     * Expect other than 100-continue; a 400 for a request it cannot parse, 408 for one too slow,
     * 431 for headers too large (then the connection is closed).
     */
    attach(server: Server): void {
      server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) =>
        commonSteps(req, res, () => {
          res.statusCode = 417;
          res.setHeader('Content-Type', 'text/plain; charset=utf-8');
          res.end('expectation failed');
        }),
      );
      server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
        const response = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
        if (err.code === 'ECONNRESET' || !socket.writable || response?.headersSent) return void socket.destroy();
        const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
        const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status]}`, 'Connection: close', 'Content-Length: 0', `X-Request-Id: ${randomUUID()}`, ...headerLines];
        socket.end(`${head.join('\r\n')}\r\n\r\n`);
      });
    },
  };
}
