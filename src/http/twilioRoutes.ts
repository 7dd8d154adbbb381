import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import type { CallService, WebhookParams } from '../calls/service.js';
import type { Logger } from '../log.js';
import { apologyTwiml } from '../telephony/twiml.js';
import { pathOf, requestUrl, requireTwilioSignature, type WebhookRequest } from '../telephony/signature.js';
import { noteCallSid } from './requestContext.js';

export type TwilioRouteDeps = {
  authToken: string;
  publicBaseUrl: string;
  calls: CallService;
  log: Logger;
  /** The client's address for the log of a refused request (express's req.ip, TRUST_PROXY applied). */
  clientIp: (req: IncomingMessage) => string | undefined;
  /** Every webhook is answered by then, however the database behaves (the apology TwiML, or a 503). */
  deadlineMs?: number;
  recordingCallback?: (params: WebhookParams, query: Record<string, string | undefined>) => Promise<void>;
  /** Progress of a call placed for a consent request (its StatusCallback carries ?request=ID). */
  requestStatus?: (requestId: string, params: WebhookParams) => Promise<void>;
};

/** The webhooks Twilio is given, by the path it posts to. */
export const WEBHOOK_PATHS = {
  voice: '/twilio/voice',
  gather: '/twilio/voice/gather',
  outbound: '/twilio/outbound',
  status: '/twilio/status',
  recording: '/twilio/recording',
} as const;
export type WebhookRoute = keyof typeof WEBHOOK_PATHS;
const ROUTE_BY_PATH = new Map<string, WebhookRoute>(Object.entries(WEBHOOK_PATHS).map(([route, path]) => [path, route as WebhookRoute]));

/** The webhook a request is, when it is a POST to one of the paths exactly as Twilio is given them. */
export function webhookRouteOf(method: string | undefined, url: string | undefined): WebhookRoute | undefined {
  if (method !== 'POST' || !url) return undefined;
  return ROUTE_BY_PATH.get(pathOf(url));
}

/**
 * The metrics label of a request under /twilio: its webhook's path however it was spelled (capitals,
 * a trailing slash, as express matches them), else /twilio/(unmatched): a sender adds no label value.
 */
export function webhookLabel(url: string): string {
  let path = pathOf(url).toLowerCase();
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return ROUTE_BY_PATH.has(path) ? path : '/twilio/(unmatched)';
}

/** One value of the query; a repeated key counts as none. */
function queryParam(req: WebhookRequest, name: string): string | undefined {
  const url = requestUrl(req);
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const values = new URLSearchParams(url.slice(q + 1)).getAll(name);
  return values.length === 1 ? values[0] : undefined;
}

/** The fields as the signature check left them: strings only (a repeated field was refused there), no prototype. */
function params(req: WebhookRequest): WebhookParams {
  return (req.body ?? Object.create(null)) as WebhookParams;
}

/** No ETag (express's res.send would hash every answer): Twilio never asks again with If-None-Match. */
function sendTwiml(res: ServerResponse, twiml: string): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/xml; charset=utf-8');
  res.end(twiml);
}

function sendEmpty(res: ServerResponse, status: number): void {
  res.statusCode = status;
  res.end();
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

/** What the caller hears when a webhook fails inside: never a 5xx to Twilio. */
export function sendApology(res: ServerResponse): void {
  sendTwiml(res, apologyTwiml(undefined, '죄송합니다. 일시적인 오류가 발생했습니다. 잠시 후 다시 전화해 주세요.'));
}

/**
 * Twilio's webhooks, checked and answered. `serve` takes a request already known to be one of them
 * (the HTTP listener sends those past express, see http/app.ts); `router` is the same for express,
 * where whatever else reaches /twilio (another method, another spelling of a path) is checked the
 * same way before anything else sees it.
 */
export function twilioWebhooks(deps: TwilioRouteDeps) {
  const deadline = <T>(work: Promise<T>) => byDeadline(deps.deadlineMs ?? 4000, work);
  const signature = requireTwilioSignature(deps.authToken, deps.publicBaseUrl, deps.log, deps.clientIp);

  const handlers: Record<WebhookRoute, (req: WebhookRequest, res: ServerResponse) => Promise<void>> = {
    voice: async (req, res) => sendTwiml(res, await deadline(deps.calls.answer(params(req)))),
    gather: async (req, res) => sendTwiml(res, await deadline(deps.calls.gather(queryParam(req, 'turn'), params(req)))),
    outbound: async (req, res) => sendTwiml(res, await deadline(deps.calls.answerRequest(queryParam(req, 'request'), params(req)))),
    status: async (req, res) => {
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
      sendEmpty(res, 204);
    },
    recording: async (req, res) => {
      try {
        await deadline(deps.recordingCallback?.(params(req), { attempt: queryParam(req, 'attempt'), agentConsent: queryParam(req, 'agentConsent') }) ?? Promise.resolve());
      } catch (err) {
        // Not stored: Twilio is told so (it may retry), and the sweep finds the recording from Twilio's side.
        deps.log.error({ recordingSid: String(params(req).RecordingSid ?? '').slice(0, 40), err: (err as Error).message }, 'RECORDING CALLBACK NOT STORED');
        sendEmpty(res, 503);
        return;
      }
      sendEmpty(res, 204);
    },
  };

  /** A webhook that fails or passes its deadline: never a 5xx to Twilio, the caller hears an apology. */
  async function answer(route: WebhookRoute, req: WebhookRequest, res: ServerResponse): Promise<void> {
    try {
      await handlers[route](req, res);
    } catch (err) {
      deps.log.error({ path: WEBHOOK_PATHS[route], err: (err as Error).message }, 'twilio request failed');
      if (!res.headersSent) sendApology(res);
    }
  }

  const router = express.Router();
  router.use(signature);
  router.use(noteCallSid);
  for (const [route, path] of Object.entries(WEBHOOK_PATHS) as [WebhookRoute, string][]) {
    router.post(path.slice('/twilio'.length), (req, res) => answer(route, req, res));
  }

  return {
    router,
    /** A request known to be `route` (webhookRouteOf): its signature checked, its CallSid noted, answered. */
    serve(route: WebhookRoute, req: WebhookRequest, res: ServerResponse): void {
      signature(req, res, () => noteCallSid(req, res, () => void answer(route, req, res)));
    },
  };
}

export type TwilioWebhooks = ReturnType<typeof twilioWebhooks>;
