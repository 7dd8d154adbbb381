import twilio from 'twilio';
import type { Logger } from '../log.js';
import { maskPhone } from '../consent/mask.js';

export type TwilioSettings = { accountSid: string; authToken: string; apiBaseUrl: string; smsFrom: string | undefined };

/** Twilio's REST API, every request sent to TWILIO_API_BASE_URL and nowhere else. */
export type TwilioRest = {
  sendSms(to: string, body: string): Promise<void>;
  /** Stops the call's recording in progress (Twilio.CURRENT). */
  stopRecording(callSid: string): Promise<void>;
  deleteRecording(recordingSid: string): Promise<void>;
  /** The call's recordings as Twilio lists them, in the shape of a recording status callback. */
  listCallRecordings(callSid: string): Promise<Record<string, string>[]>;
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
