import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import helmet from 'helmet';

/** The headers helmet sets with the service's policy, read once (none of them depends on the request). */
function helmetHeaders(hsts: boolean): [string, string][] {
  const middleware = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        // Every page's script is a file of ours: no inline script runs.
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        mediaSrc: ["'self'", 'blob:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: hsts ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false,
  });
  const headers = new Map<string, string>();
  const recorder = {
    setHeader(name: string, value: string) {
      headers.set(name, String(value));
    },
    removeHeader() {},
  };
  let done = false;
  middleware({} as Request, recorder as unknown as Response, (err?: unknown) => {
    if (err) throw err;
    done = true;
  });
  if (!done) throw new Error('helmet did not finish synchronously');
  return [...headers];
}

/** The headers every response carries, as name and value. */
export function securityHeaderPairs(hsts: boolean): [string, string][] {
  return [...helmetHeaders(hsts), ['Cache-Control', 'no-store']];
}

/**
 * Security headers on every response (helmet's, computed once rather than by a dozen middlewares a
 * request), and no-store: pages and JSON answers may carry personal data, never kept by a browser
 * or a proxy.
 */
export function securityHeaders(headers: [string, string][]) {
  return (_req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}
