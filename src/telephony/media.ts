import type { TwilioSettings } from './rest.js';

/** Downloads a recording's media from TWILIO_API_BASE_URL only, with Basic auth, retrying as Twilio needs. */

export class MediaError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export type MediaOptions = {
  maxBytes: number;
  timeoutMs: number;
  /** Delays before each retry, in ms: media can 404 for a few seconds after the callback. */
  retryDelaysMs: number[];
};

export const DEFAULT_MEDIA_OPTIONS: MediaOptions = { maxBytes: 64 * 1024 * 1024, timeoutMs: 30_000, retryDelaysMs: [1000, 2000, 4000, 8000] };

/**
 * The media path of a recording of this account: Twilio's RecordingUrl may name any host, but we
 * take only its path, and only when it is this account's recording.
 */
export function recordingMediaPath(recordingUrl: string | undefined, accountSid: string, recordingSid: string): string {
  const path = `/2010-04-01/Accounts/${accountSid}/Recordings/${recordingSid}`;
  if (recordingUrl !== undefined) {
    let urlPath: string;
    try {
      urlPath = new URL(recordingUrl).pathname.replace(/\.(wav|mp3|json)$/, '');
    } catch {
      throw new MediaError('RecordingUrl is not a URL', false);
    }
    if (urlPath !== path) throw new MediaError(`RecordingUrl does not name recording ${recordingSid} of this account`, false);
  }
  return path;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fetchOnce(url: string, auth: string, opts: MediaOptions): Promise<Buffer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs);
  try {
    const res = await fetch(url, { headers: { Authorization: auth }, signal: controller.signal, redirect: 'follow' });
    if (res.status === 404) throw new MediaError('media not found yet (404)', true);
    if (res.status === 429 || res.status >= 500) throw new MediaError(`Twilio answered ${res.status}`, true);
    if (!res.ok) throw new MediaError(`Twilio answered ${res.status}`, false);
    const declared = Number(res.headers.get('content-length') ?? Number.NaN);
    if (declared > opts.maxBytes) throw new MediaError(`media of ${declared} bytes is over the ${opts.maxBytes}-byte cap`, false);
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.length;
      if (total > opts.maxBytes) {
        controller.abort();
        throw new MediaError(`media is over the ${opts.maxBytes}-byte cap`, false);
      }
      chunks.push(Buffer.from(chunk));
    }
    const body = Buffer.concat(chunks);
    if (Number.isFinite(declared) && body.length !== declared) throw new MediaError(`download cut short: ${body.length} of ${declared} bytes`, true);
    return body;
  } catch (err) {
    if (err instanceof MediaError) throw err;
    const e = err as Error;
    throw new MediaError(e.name === 'AbortError' ? `no answer within ${opts.timeoutMs} ms` : `network: ${e.message}`, true);
  } finally {
    clearTimeout(timer);
  }
}

export async function downloadRecordingWav(settings: TwilioSettings, mediaPath: string, opts: MediaOptions = DEFAULT_MEDIA_OPTIONS): Promise<Buffer> {
  const url = `${settings.apiBaseUrl}${mediaPath}.wav`;
  const auth = `Basic ${Buffer.from(`${settings.accountSid}:${settings.authToken}`).toString('base64')}`;
  let last: MediaError | undefined;
  for (let attempt = 0; attempt <= opts.retryDelaysMs.length; attempt++) {
    if (attempt > 0) await sleep(opts.retryDelaysMs[attempt - 1]!);
    try {
      return await fetchOnce(url, auth, opts);
    } catch (err) {
      last = err as MediaError;
      if (!last.retryable) throw last;
    }
  }
  throw last!;
}
