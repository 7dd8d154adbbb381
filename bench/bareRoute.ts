/** The comparison for bench:webhooks: a bare express route returning TwiML of the same size. */
import express from 'express';

const bytes = Number(process.env.TWIML_BYTES ?? 1000);
const head = '<?xml version="1.0" encoding="UTF-8"?><Response><Say language="ko-KR">';
const tail = '</Say></Response>';
const twiml = head + '가'.repeat(Math.max(0, Math.floor((bytes - head.length - tail.length) / 1))) + tail;

const app = express();
app.use(express.urlencoded({ extended: false }));
app.get('/healthz', (_req, res) => {
  res.json({ ok: true });
});
app.post('/twiml', (_req, res) => {
  res.type('text/xml').send(twiml);
});
app.listen(Number(process.env.PORT ?? 3001), '127.0.0.1');
