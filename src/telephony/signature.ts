import type { NextFunction, Request, Response } from 'express';
import twilio from 'twilio';
import type { Logger } from '../log.js';

/**
 * Checks X-Twilio-Signature against the public URL (PUBLIC_BASE_URL + path and query), never the
 * Host header: behind a proxy or tunnel only the configured URL is the one Twilio signed.
 */
export function requireTwilioSignature(authToken: string, publicBaseUrl: string, log: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const signature = req.header('X-Twilio-Signature');
    const url = publicBaseUrl + req.originalUrl;
    const params = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, string>;
    if (!signature || !twilio.validateRequest(authToken, signature, url, params)) {
      log.warn({ path: req.path, ip: req.ip, signed: Boolean(signature) }, 'rejected a request with a bad Twilio signature');
      res.status(403).type('text/plain').send('invalid Twilio signature');
      return;
    }
    next();
  };
}
