import twilio from 'twilio';
import type { Logger } from '../log.js';
import { maskPhone } from '../shared/mask.js';

export type TwilioSettings = { accountSid: string; authToken: string; apiBaseUrl: string; smsFrom: string | undefined };

/** Twilio's REST API, every request sent to TWILIO_API_BASE_URL and nowhere else. */
export type TwilioRest = {
  sendSms(to: string, body: string): Promise<void>;
  /** Stops the call's recording in progress (Twilio.CURRENT). */
  stopRecording(callSid: string): Promise<void>;
  deleteRecording(recordingSid: string): Promise<void>;
  /** Whether Twilio still has the recording (false once deleted: a 404). */
  recordingExists(recordingSid: string): Promise<boolean>;
  /** The call's recordings as Twilio lists them, in the shape of a recording status callback. */
  listCallRecordings(callSid: string): Promise<Record<string, string>[]>;
  /** Places an outbound call whose TwiML comes from `url`; its progress is posted to `statusCallback`. */
  createCall(call: { to: string; from: string; url: string; statusCallback: string }): Promise<string>;
  /** Starts recording a live call (dual channel, both tracks); returns the RecordingSid. */
  startCallRecording(callSid: string, recordingStatusCallback: string): Promise<string>;
  /** Pauses (the paused part is left out of the file), resumes or stops a call's recording. */
  updateCallRecording(callSid: string, recordingSid: string, status: 'paused' | 'in-progress' | 'stopped'): Promise<void>;
  client: twilio.Twilio;
};

const TWILIO_ORIGIN = /^https:\/\/[a-z0-9.-]*twilio\.com/;

export function createTwilioRest(settings: TwilioSettings, log: Logger): TwilioRest {
  const inner = new twilio.RequestClient({ timeout: 8000 });
  // twilio-node builds https://api.twilio.com/... URIs; send them to the configured base instead.
  const httpClient = {
    request: (opts: Parameters<typeof inner.request>[0]) =>
      inner.request({ ...opts, uri: opts.uri.replace(TWILIO_ORIGIN, settings.apiBaseUrl) }),
  } as unknown as twilio.RequestClient;
  const client = twilio(settings.accountSid, settings.authToken, { httpClient, accountSid: settings.accountSid });

  return {
    client,
    async sendSms(to, body) {
      if (!settings.smsFrom) throw new Error('no SMS sender configured (TWILIO_SMS_FROM)');
      const from = settings.smsFrom.startsWith('MG') ? { messagingServiceSid: settings.smsFrom } : { from: settings.smsFrom };
      await client.messages.create({ to, body, ...from });
      log.info({ to: maskPhone(to) }, 'sms sent');
    },
    async stopRecording(callSid) {
      await client.calls(callSid).recordings('Twilio.CURRENT').update({ status: 'stopped' });
    },
    async deleteRecording(recordingSid) {
      try {
        await client.recordings(recordingSid).remove();
      } catch (err) {
        if ((err as { status?: number }).status !== 404) throw err; // already gone
      }
    },
    async recordingExists(recordingSid) {
      try {
        await client.recordings(recordingSid).fetch();
        return true;
      } catch (err) {
        if ((err as { status?: number }).status === 404) return false;
        throw err;
      }
    },
    async createCall({ to, from, url, statusCallback }) {
      const call = await client.calls.create({
        to, from, url, method: 'POST', statusCallback, statusCallbackMethod: 'POST',
        statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'], timeout: 30,
      });
      log.info({ to: maskPhone(to), callSid: call.sid }, 'outbound call placed');
      return call.sid;
    },
    async startCallRecording(callSid, recordingStatusCallback) {
      const rec = await client.calls(callSid).recordings.create({
        recordingChannels: 'dual', recordingTrack: 'both', trim: 'do-not-trim', recordingStatusCallback,
        recordingStatusCallbackMethod: 'POST', recordingStatusCallbackEvent: ['in-progress', 'completed', 'absent'],
      });
      return rec.sid;
    },
    async updateCallRecording(callSid, recordingSid, status) {
      await client.calls(callSid).recordings(recordingSid).update(status === 'paused' ? { status, pauseBehavior: 'skip' } : { status });
    },
    async listCallRecordings(callSid) {
      const list = await client.recordings.list({ callSid, limit: 20 });
      return list.map((r) => ({
        RecordingSid: r.sid,
        CallSid: r.callSid,
        RecordingStatus: r.status === 'completed' ? 'completed' : r.status,
        RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${r.accountSid}/Recordings/${r.sid}`,
        RecordingDuration: String(r.duration ?? ''),
        RecordingChannels: String(r.channels ?? ''),
        RecordingStartTime: r.startTime ? r.startTime.toUTCString() : '',
      }));
    },
  };
}
