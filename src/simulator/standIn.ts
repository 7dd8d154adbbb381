import { randomBytes } from 'node:crypto';
import express from 'express';
import { maskPhone } from '../shared/mask.js';

/**
 * Twilio's REST API as far as this service uses it: messages, outbound calls (create), a live
 * call's recordings (start, pause with skip, resume, stop), recordings (list, media with Basic
 * auth, delete). Anything else is refused loudly (501).
 */

export type SimRecording = { sid: string; callSid: string; wav: Buffer | undefined; seconds: number; deleted: boolean; status: string };
export type SimMessage = { sid: string; to: string; from: string; body: string; at: Date };
export type OutboundCall = { sid: string; to: string; from: string; url: string; statusCallback: string | undefined; statusCallbackEvent: string[] };

/** A call in progress, as the REST API reaches it. */
export type LiveCall = {
  stopRecording(): void;
  /** Starts a recording through the REST API; an Error when one is already running. */
  startRecording(callbackUrl: string | undefined): string | Error;
  /** Pauses (paused audio is skipped), resumes or stops the given or current recording; false when there is none. */
  updateRecording(sid: string, status: 'paused' | 'in-progress' | 'stopped'): boolean;
};

export type StandIn = {
  router: express.Router;
  accountSid: string;
  messages: SimMessage[];
  recordings: Map<string, SimRecording>;
  refused: string[];
  /** Calls in progress register here, so the REST API's recording requests reach them. */
  liveCalls: Map<string, LiveCall>;
  /** Calls the service placed, in order. */
  outboundCalls: OutboundCall[];
  /** Who picks up a placed call (see dialer.ts); without one, placed calls just ring. */
  onOutboundCall: ((call: OutboundCall) => void) | undefined;
  newSid(prefix: 'CA' | 'RE' | 'SM'): string;
};

export function createStandIn(accountSid: string, authToken: string, log: (line: string) => void = () => {}): StandIn {
  const router = express.Router();
  const messages: SimMessage[] = [];
  const recordings = new Map<string, SimRecording>();
  const refused: string[] = [];
  const liveCalls = new Map<string, LiveCall>();
  const outboundCalls: OutboundCall[] = [];
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

  const self: StandIn = { router, accountSid, messages, recordings, refused, liveCalls, outboundCalls, onOutboundCall: undefined, newSid: newSid as StandIn['newSid'] };

  router.post(`${base}/Calls.json`, (req, res) => {
    const body = req.body as Record<string, string | string[]>;
    const to = String(body.To ?? '');
    const from = String(body.From ?? '');
    if (!body.Url || body.Twiml) {
      refused.push(`POST ${req.path} without Url`);
      res.status(501).json({ message: 'not supported by the simulator: a call without a Url (inline Twiml, ApplicationSid)' });
      return;
    }
    if (!/^\+[1-9]\d{6,14}$/.test(to)) {
      res.status(400).json({ code: 21211, message: `Invalid 'To' Phone Number: ${maskPhone(to)}`, status: 400 });
      return;
    }
    if (!/^\+[1-9]\d{6,14}$/.test(from)) {
      res.status(400).json({ code: 21212, message: "Invalid 'From' Phone Number", status: 400 });
      return;
    }
    const events = body.StatusCallbackEvent;
    const call: OutboundCall = {
      sid: newSid('CA'), to, from, url: String(body.Url),
      statusCallback: body.StatusCallback ? String(body.StatusCallback) : undefined,
      statusCallbackEvent: (Array.isArray(events) ? events : events ? String(events).split(/[ ,]+/) : []).map(String),
    };
    outboundCalls.push(call);
    log(`[twilio] calling ${maskPhone(to)} (${call.sid})`);
    res.status(201).json({ sid: call.sid, status: 'queued', to, from, direction: 'outbound-api', account_sid: accountSid });
    setImmediate(() => self.onOutboundCall?.(call));
  });

  router.post(`${base}/Calls/:callSid/Recordings.json`, (req, res) => {
    const call = liveCalls.get(req.params.callSid);
    if (!call) {
      res.status(404).json({ code: 21220, message: 'Call is not in-progress. Cannot start recording.', status: 404 });
      return;
    }
    const body = req.body as Record<string, string>;
    if (body.RecordingChannels && body.RecordingChannels !== 'dual') {
      refused.push(`POST ${req.path} RecordingChannels=${body.RecordingChannels}`);
      res.status(501).json({ message: 'not supported by the simulator: only dual-channel recordings' });
      return;
    }
    const sid = call.startRecording(body.RecordingStatusCallback);
    if (sid instanceof Error) {
      res.status(400).json({ code: 21220, message: sid.message, status: 400 });
      return;
    }
    res.status(201).json({ sid, call_sid: req.params.callSid, status: 'in-progress', channels: 2, source: 'StartCallRecordingAPI', account_sid: accountSid });
  });

  router.post(`${base}/Calls/:callSid/Recordings/:which.json`, (req, res) => {
    const call = liveCalls.get(req.params.callSid);
    const body = req.body as Record<string, string>;
    const status = body.Status;
    if (status !== 'stopped' && status !== 'paused' && status !== 'in-progress') {
      refused.push(`POST ${req.path} Status=${status}`);
      res.status(501).json({ message: 'not supported by the simulator: recording Status other than stopped, paused, in-progress' });
      return;
    }
    if (status === 'paused' && body.PauseBehavior !== 'skip') {
      refused.push(`POST ${req.path} PauseBehavior=${body.PauseBehavior}`);
      res.status(501).json({ message: 'not supported by the simulator: pausing other than PauseBehavior=skip' });
      return;
    }
    if (!call || !call.updateRecording(req.params.which, status)) {
      res.status(404).json({ code: 20404, message: 'The call or its recording is not in progress', status: 404 });
      return;
    }
    res.json({ sid: req.params.which, status, call_sid: req.params.callSid });
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
    const m = /^(RE[0-9a-f]{32})\.(wav|json)$/.exec(req.params.file);
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
    // The recording resource (asked when a delete's answer was lost), or its media.
    if (m[2] === 'json') res.json({ sid: m[1], account_sid: accountSid, status: 'completed' });
    else res.type('audio/x-wav').send(rec.wav);
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

  return self;
}
