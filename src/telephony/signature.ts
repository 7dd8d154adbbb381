import { timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import twilio from 'twilio';
import type { Logger } from '../log.js';

/**
 * Twilio's webhooks: the raw body is read, and X-Twilio-Signature is checked against the public URL
 * (PUBLIC_BASE_URL + path and query, never the Host header) before any handler sees the fields.
 * Unsigned, wrongly signed or malformed requests are 403 (a warning, not an error: anyone on the
 * internet can send them); a signed request with a repeated field is 400. Handlers get one string
 * per field.
 */
/**
 * The URL as configured is what Twilio signed: one HMAC, compared in constant time. Only a mismatch
 * goes to twilio's validateRequest, which also tries the URL with and without its port and
 * normalised (several HMACs and URL parses).
 */
function signedByTwilio(authToken: string, signature: string, url: string, params: Record<string, string | string[]>): boolean {
  const expected = Buffer.from(twilio.getExpectedTwilioSignature(authToken, url, params));
  const given = Buffer.from(signature);
  if (expected.length === given.length && timingSafeEqual(expected, given)) return true;
  return twilio.validateRequest(authToken, signature, url, params);
}

export function requireTwilioSignature(authToken: string, publicBaseUrl: string, log: Logger) {
  const raw = express.text({ type: () => true, limit: '64kb', defaultCharset: 'utf-8' });
  const refuse = (req: Request, res: Response, why: string) => {
    log.warn({ path: req.path, ip: req.ip, why }, 'rejected a request with a bad Twilio signature');
    res.status(403).type('text/plain').send('invalid Twilio signature');
  };
  return (req: Request, res: Response, next: NextFunction): void => {
    const signature = req.header('X-Twilio-Signature');
    if (!signature) return refuse(req, res, 'unsigned');
    raw(req, res, (err?: unknown) => {
      if (err) return refuse(req, res, 'unreadable body');
      const text = typeof req.body === 'string' ? req.body : '';
      const type = req.header('Content-Type') ?? '';
      if (text !== '' && !/^application\/x-www-form-urlencoded\b/i.test(type)) return refuse(req, res, 'not a form');
      // Field names are the sender's: a Map (and objects without a prototype) so that __proto__,
      // constructor and the like are names like any other, before the signature is even checked.
      const fields = new Map<string, string[]>();
      for (const [k, v] of new URLSearchParams(text)) {
        const values = fields.get(k);
        if (values) values.push(v);
        else fields.set(k, [v]);
      }
      const signed: Record<string, string | string[]> = Object.create(null);
      for (const [k, vs] of fields) signed[k] = vs.length === 1 ? vs[0]! : vs;
      if (!signedByTwilio(authToken, signature, publicBaseUrl + req.originalUrl, signed)) return refuse(req, res, 'bad signature');
      const repeated = [...fields].find(([, vs]) => vs.length > 1)?.[0];
      if (repeated) {
        log.warn({ path: req.path, field: repeated.slice(0, 40) }, 'a signed Twilio webhook repeated a field');
        res.status(400).type('text/plain').send(`repeated field ${repeated.slice(0, 40)}`);
        return;
      }
      req.body = signed;
      next();
    });
  };
}
