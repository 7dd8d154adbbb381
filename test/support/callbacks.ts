import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An organisation's callback endpoint on loopback: records every delivery, fails the first N. */
export async function callbackReceiver(failFirst = 0) {
  const received: { body: string; json: any; headers: Record<string, string | string[] | undefined>; answered: number }[] = [];
  let failuresLeft = failFirst;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const answered = failuresLeft > 0 ? 500 : 200;
      if (failuresLeft > 0) failuresLeft--;
      let json: any;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      received.push({ body, json, headers: req.headers, answered });
      res.statusCode = answered;
      res.end(answered === 200 ? 'ok' : 'try later');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/consent-callback`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Checks X-Ars-Signature: sha256=HMAC-SHA256(secret, raw body), as the organisation would. */
export function signatureValid(secret: string, body: string, header: string | string[] | undefined): boolean {
  const expected = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  return header === expected;
}

/** Polls until `what` gives a value (not undefined, null or false). */
export async function until<T>(what: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 20_000, label = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await what();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
