import { randomBytes } from 'node:crypto';
import express from 'express';
import { maskPhone } from '../consent/mask.js';

/**
 * Twilio's REST API as far as this service uses it: messages, a call's current recording (stop),
 * recordings (list, media with Basic auth, delete). Anything else is refused loudly (501).
 */

export type SimRecording = { sid: string; callSid: string; wav: Buffer | undefined; seconds: number; deleted: boolean; status: string };
export type SimMessage = { sid: string; to: string; from: string; body: string; at: Date };

export type StandIn = {
  router: express.Router;
  accountSid: string;
  messages: SimMessage[];
  recordings: Map<string, SimRecording>;
  refused: string[];
  /** Calls in progress register here, so a REST "stop recording" reaches them. */
  liveCalls: Map<string, { stopRecording(): void }>;
  newSid(prefix: 'CA' | 'RE' | 'SM'): string;
};

export function createStandIn(accountSid: string, authToken: string, log: (line: string) => void = () => {}): StandIn {
  const router = express.Router();
  const messages: SimMessage[] = [];
  const recordings = new Map<string, SimRecording>();
  const refused: string[] = [];
  const liveCalls = new Map<string, { stopRecording(): void }>();
  const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
  const base = `/2010-04-01/Accounts/${accountSid}`;
  const newSid = (prefix: string) => `${prefix}${randomBytes(16).toString('hex')}`;

  router.use(express.urlencoded({ extended: false }));
  router.use((req, res, next) => {
    if (req.headers.authorization !== expected) {
      res.status(401).json({ code: 20003, message: 'Authenticate', status: 401 });
      return;
    }
    next();
  });

  router.post(`${base}/Messages.json`, (req, res) => {
    const body = req.body as Record<string, string>;
    if (!body.To || !body.Body || !(body.From || body.MessagingServiceSid)) {
      res.status(400).json({ code: 21604, message: 'A To, a Body and a From are required', status: 400 });
      return;
    }
    const msg: SimMessage = { sid: newSid('SM'), to: body.To, from: body.From ?? body.MessagingServiceSid!, body: body.Body, at: new Date() };
    messages.push(msg);
    // The body may hold an identity code: never in the logs (the message itself stays in `messages`).
    log(`[twilio] SMS to ${maskPhone(body.To)} (${body.Body.length} characters)`);
    res.status(201).json({ sid: msg.sid, status: 'queued', to: msg.to, from: msg.from, body: msg.body, account_sid: accountSid });
  });

  router.post(`${base}/Calls/:callSid/Recordings/:which.json`, (req, res) => {
    const call = liveCalls.get(req.params.callSid);
    if (req.params.which !== 'Twilio.CURRENT' || (req.body as Record<string, string>).Status !== 'stopped') {
      refused.push(`POST ${req.path}`);
      res.status(501).json({ message: `not supported by the simulator: recording update other than Twilio.CURRENT Status=stopped` });
      return;
    }
    if (!call) {
      res.status(404).json({ code: 20404, message: 'The call is not in progress', status: 404 });
      return;
    }
    call.stopRecording();
    res.json({ sid: 'Twilio.CURRENT', status: 'stopped', call_sid: req.params.callSid });
  });

  router.get(`${base}/Recordings.json`, (req, res) => {
    const callSid = String(req.query.CallSid ?? '');
    const list = [...recordings.values()].filter((r) => !r.deleted && (!callSid || r.callSid === callSid));
    res.json({
      recordings: list.map((r) => ({ sid: r.sid, call_sid: r.callSid, account_sid: accountSid, status: r.status, duration: String(Math.round(r.seconds)), channels: 2, start_time: null })),
      end: list.length - 1, page: 0, page_size: 50, start: 0, first_page_uri: '', next_page_uri: null, previous_page_uri: null, uri: '',
    });
  });

  router.get(`${base}/Recordings/:file`, (req, res) => {
    const m = /^(RE[0-9a-f]{32})\.wav$/.exec(req.params.file);
    const rec = m ? recordings.get(m[1]!) : undefined;
    if (!m) {
      refused.push(`GET ${req.path}`);
      res.status(501).json({ message: 'not supported by the simulator: recording media other than .wav' });
      return;
    }
    if (!rec || rec.deleted || !rec.wav) {
      res.status(404).json({ code: 20404, message: 'The requested resource was not found', status: 404 });
      return;
    }
    res.type('audio/x-wav').send(rec.wav);
  });

  router.delete(`${base}/Recordings/:file`, (req, res) => {
    const sid = req.params.file.replace(/\.json$/, '');
    const rec = recordings.get(sid);
    if (!rec || rec.deleted) {
      res.status(404).json({ code: 20404, message: 'The requested resource was not found', status: 404 });
      return;
    }
    rec.deleted = true;
    rec.wav = undefined;
    log(`[twilio] recording ${sid} deleted`);
    res.status(204).end();
  });

  router.use((req, res) => {
    refused.push(`${req.method} ${req.path}`);
    log(`[twilio] REFUSED: the simulator does not support ${req.method} ${req.path}`);
    res.status(501).json({ message: `not supported by the simulator: ${req.method} ${req.path}` });
  });

  return { router, accountSid, messages, recordings, refused, liveCalls, newSid: newSid as StandIn['newSid'] };
}
