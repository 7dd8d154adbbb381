import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../log.js';
import { apologyTwiml } from '../telephony/twiml.js';
import { isRefusal } from '../shared/refusal.js';
import { sendRefusal } from './refusals.js';
import { sendNotFound, sendPageError, wantsPage } from '../web/errorPages.js';
import { requestContext } from './requestContext.js';

/** What every process puts in front of its routes: requests in flight, webhook timing, /metrics. */
export type HttpOps = {
  inFlight: express.RequestHandler;
  webhookTimer?: express.RequestHandler;
  metrics?: express.RequestHandler;
};

/** The express app: Twilio webhooks under /twilio, the JSON API under /api. */
export function createHttpApp(parts: { twilio: express.Router; api: express.Router; public: express.Router; log: Logger; extra?: (app: express.Express) => void; ops?: HttpOps; apiDocs?: express.Router }) {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  if (parts.ops) app.use(parts.ops.inFlight);
  app.use(requestContext());
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  if (parts.ops?.metrics) app.get('/metrics', parts.ops.metrics);
  if (parts.ops?.webhookTimer) app.use('/twilio', parts.ops.webhookTimer);
  app.use('/twilio', parts.twilio);
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
    parts.log.error({ path: req.path, err: err.message }, 'request failed');
    res.status(500).json({ error: 'internal', reason: 'the request could not be completed' });
  });
  return app;
}
