import express, { type Request, type Response } from 'express';
import type { CallService, WebhookParams } from '../calls/service.js';
import type { Logger } from '../log.js';
import { requireTwilioSignature } from '../telephony/signature.js';
import { noteCallSid } from './requestContext.js';

export type TwilioRouteDeps = {
  authToken: string;
  publicBaseUrl: string;
  calls: CallService;
  log: Logger;
  /** Every webhook is answered by then, however the database behaves (the apology TwiML, or a 503). */
  deadlineMs?: number;
  recordingCallback?: (params: WebhookParams, query: Record<string, string | undefined>) => Promise<void>;
  /** Progress of a call placed for a consent request (its StatusCallback carries ?request=ID). */
  requestStatus?: (requestId: string, params: WebhookParams) => Promise<void>;
};

/** One value of the query (the app's parser gives URLSearchParams); a repeated key counts as none. */
function queryParam(req: Request, name: string): string | undefined {
  const query = req.query as unknown as URLSearchParams;
  const values = query.getAll(name);
  return values.length === 1 ? values[0] : undefined;
}

/** Only string fields reach the handlers; repeated or nested fields are dropped. */
function params(req: Request): WebhookParams {
  const out: WebhookParams = Object.create(null);
  const body = (req.body ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** No ETag (res.send would hash every answer): Twilio never asks again with If-None-Match. */
function sendTwiml(res: Response, twiml: string): void {
  res.status(200).setHeader('Content-Type', 'text/xml; charset=utf-8');
  res.end(twiml);
}

/** The work's result, or an error once `ms` have passed (the work itself goes on). */
function byDeadline<T>(ms: number, work: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not answered within ${ms} ms (is the database slow?)`)), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

export function twilioRoutes(deps: TwilioRouteDeps): express.Router {
  const router = express.Router();
  const deadline = <T>(work: Promise<T>) => byDeadline(deps.deadlineMs ?? 4000, work);
  router.use(requireTwilioSignature(deps.authToken, deps.publicBaseUrl, deps.log));
  router.use(noteCallSid);

  // A webhook that fails or passes its deadline gets the apology from the error middleware.
  router.post('/voice', async (req, res) => sendTwiml(res, await deadline(deps.calls.answer(params(req)))));
  router.post('/voice/gather', async (req, res) => {
    sendTwiml(res, await deadline(deps.calls.gather(queryParam(req, 'turn'), params(req))));
  });
  router.post('/outbound', async (req, res) => {
    sendTwiml(res, await deadline(deps.calls.answerRequest(queryParam(req, 'request'), params(req))));
  });
  router.post('/status', async (req, res) => {
    try {
      await deadline(
        (async () => {
          await deps.calls.status(params(req));
          const requestId = queryParam(req, 'request');
          if (requestId) await deps.requestStatus?.(requestId, params(req));
        })(),
      );
    } catch (err) {
      deps.log.error({ err: (err as Error).message }, 'call status callback failed');
    }
    res.status(204).end();
  });
  router.post('/recording', async (req, res) => {
    try {
      await deadline(deps.recordingCallback?.(params(req), { attempt: queryParam(req, 'attempt'), agentConsent: queryParam(req, 'agentConsent') }) ?? Promise.resolve());
    } catch (err) {
      // Not stored: Twilio is told so (it may retry), and the sweep finds the recording from Twilio's side.
      deps.log.error({ recordingSid: String(params(req).RecordingSid ?? '').slice(0, 40), err: (err as Error).message }, 'RECORDING CALLBACK NOT STORED');
      res.status(503).end();
      return;
    }
    res.status(204).end();
  });
  return router;
}
