import twilio from 'twilio';
import type { Logger } from '../log.js';
import { maskPhone } from '../consent/mask.js';

export type TwilioSettings = { accountSid: string; authToken: string; apiBaseUrl: string; smsFrom: string | undefined };

/** Twilio's REST API, every request sent to TWILIO_API_BASE_URL and nowhere else. */
export type TwilioRest = {
  sendSms(to: string, body: string): Promise<void>;
  /** Stops the call's recording in progress (Twilio.CURRENT). */
  stopRecording(callSid: string): Promise<void>;
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
  };
}
