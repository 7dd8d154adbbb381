/**
 * The comparison for bench:webhooks: a bare express route that answers each webhook of a call with
 * the TwiML the service answered it with (recorded from one of the service's calls, by path), so
 * that the load generator does the same work on both sides and only the service's own work differs.
 */
import express from 'express';

const answers = new Map<string, string>(Object.entries(JSON.parse(process.env.TWIML_BY_PATH ?? '{}') as Record<string, string>));

const app = express();
app.use(express.urlencoded({ extended: false }));
app.get('/healthz', (_req, res) => {
  res.json({ ok: true });
});
app.post('/{*path}', (req, res) => {
  const twiml = answers.get(req.originalUrl);
  if (twiml === undefined) res.status(404).end();
  else if (twiml === '') res.status(204).end();
  else res.type('text/xml').send(twiml);
});
app.listen(Number(process.env.PORT ?? 3001), '127.0.0.1');
