import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import getRawBody from 'raw-body';
import twilio from 'twilio';
import type { Logger } from '../log.js';

/**
 * X-Twilio-Signature as Twilio computes it (twilio's getExpectedTwilioSignature): HMAC-SHA1 of the
 * URL followed by every field name and value, names sorted, a repeated field's distinct values
 * sorted. Here with the auth token as a prepared key: a key given as a string costs the HMAC five
 * times as much to set up, a fifth of a webhook's signature check.
 */
export function twilioSignature(key: KeyObject, url: string, fields: Map<string, string[]>): string {
  let data = url;
  for (const name of [...fields.keys()].sort()) {
    const values = fields.get(name)!;
    if (values.length === 1) data += name + values[0];
    else for (const value of [...new Set(values)].sort()) data += name + value;
  }
  return createHmac('sha1', key).update(data, 'utf8').digest('base64');
}

/**
 * Twilio's webhooks: the raw body is read, and X-Twilio-Signature is checked against the public URL
 * (PUBLIC_BASE_URL + path and query, never the Host header) before any handler sees the fields.
 * Unsigned, wrongly signed or malformed requests are 403 (a warning, not an error: anyone on the
 * internet can send them); a signed request with a repeated field is 400. Handlers get one string
 * per field.
 *
 * The URL as configured is what Twilio signed: one HMAC, compared in constant time. Only a mismatch
 * goes to twilio's validateRequest, which also tries the URL with and without its port and
 * normalised (several HMACs and URL parses).
 */
/** Twilio's form posts are a few hundred bytes, a few dozen fields. */
const MAX_BODY_BYTES = 64 * 1024;
const MAX_FIELDS = 200;
/** Base64 of an HMAC-SHA1: anything else is refused before any HMAC is computed. */
const SIGNATURE_SHAPE = /^[A-Za-z0-9+/]{27}=$/;

/**
 * A webhook request as the signature check and the handlers see it: Node's own (the webhooks are
 * served without express, see http/app.ts) or express's. body: the fields, once checked.
 */
export type WebhookRequest = IncomingMessage & { body?: unknown; originalUrl?: string };

/** The path and query as received (express's originalUrl when mounted under a router). */
export function requestUrl(req: WebhookRequest): string {
  return req.originalUrl ?? req.url ?? '/';
}

/** A URL's path, without its query. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(text);
}

export function requireTwilioSignature(authToken: string, publicBaseUrl: string, log: Logger, clientIp: (req: IncomingMessage) => string | undefined) {
  const key = createSecretKey(Buffer.from(authToken, 'utf8'));
  const signedByTwilio = (signature: string, url: string, fields: Map<string, string[]>, params: Record<string, string | string[]>): boolean => {
    const expected = Buffer.from(twilioSignature(key, url, fields));
    const given = Buffer.from(signature);
    if (expected.length === given.length && timingSafeEqual(expected, given)) return true;
    return twilio.validateRequest(authToken, signature, url, params);
  };
  const refuse = (req: WebhookRequest, res: ServerResponse, why: string) => {
    log.warn({ path: pathOf(requestUrl(req)).slice(0, 200), ip: clientIp(req), why }, 'rejected a request with a bad Twilio signature');
    sendText(res, 403, 'invalid Twilio signature');
  };
  return (req: WebhookRequest, res: ServerResponse, next: () => void): void => {
    const signature = header(req, 'x-twilio-signature');
    if (!signature) return refuse(req, res, 'unsigned');
    if (!SIGNATURE_SHAPE.test(signature)) return refuse(req, res, 'not a Twilio signature');
    // An absolute-form target (POST http://host/twilio/...) is no URL Twilio was given.
    if (!requestUrl(req).startsWith('/')) return refuse(req, res, 'request target not a path');
    // The body as bytes (raw-body: a length limit, and an error for a body cut short), read as UTF-8.
    getRawBody(req, { limit: MAX_BODY_BYTES, length: req.headers['content-length'] }, (err, body) => {
      if (err) return refuse(req, res, 'unreadable body');
      const text = body.toString('utf8');
      const type = header(req, 'content-type') ?? '';
      if (text !== '' && !/^application\/x-www-form-urlencoded\b/i.test(type)) return refuse(req, res, 'not a form');
      // Field names are the sender's: a Map (and objects without a prototype) so that __proto__,
      // constructor and the like are names like any other, before the signature is even checked.
      const fields = new Map<string, string[]>();
      let count = 0;
      for (const [k, v] of new URLSearchParams(text)) {
        if (++count > MAX_FIELDS) return refuse(req, res, 'too many fields');
        const values = fields.get(k);
        if (values) values.push(v);
        else fields.set(k, [v]);
      }
      const signed: Record<string, string | string[]> = Object.create(null);
      for (const [k, vs] of fields) signed[k] = vs.length === 1 ? vs[0]! : vs;
      // In raw-body's callback nothing above would catch a throw (twilio's validateRequest parses the URL).
      let genuine = false;
      try {
        genuine = signedByTwilio(signature, publicBaseUrl + requestUrl(req), fields, signed);
      } catch {
        genuine = false;
      }
      if (!genuine) return refuse(req, res, 'bad signature');
      const repeated = [...fields].find(([, vs]) => vs.length > 1)?.[0];
      if (repeated) {
        log.warn({ path: pathOf(requestUrl(req)), field: repeated.slice(0, 40) }, 'a signed Twilio webhook repeated a field');
        sendText(res, 400, `repeated field ${repeated.slice(0, 40)}`);
        return;
      }
      req.body = signed;
      next();
    });
  };
}
