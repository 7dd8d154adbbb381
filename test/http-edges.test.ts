import net from 'node:net';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';

/**
 * The HTTP edge as a hostile client meets it, byte by byte: request targets and framing no browser or
 * Twilio sends, and the answers Node writes itself. Raw sockets (nock's interceptor, which parses
 * what a socket writes as HTTP, is off for this file).
 */

function raw(port: number, request: string, waitMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('error', () => {});
    const timer = setTimeout(() => s.destroy(), waitMs);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    s.write(request);
  });
}

const form = (target: string, body: string, signature = 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=') =>
  `POST ${target} HTTP/1.1\r\nHost: evil.test\r\nX-Twilio-Signature: ${signature}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;

const uncaught: Error[] = [];
const onUncaught = (err: Error) => void uncaught.push(err);
beforeAll(() => {
  nock.restore();
  process.prependListener('uncaughtException', onUncaught);
});
afterAll(() => {
  process.off('uncaughtException', onUncaught);
  nock.activate();
});

describe('PUBLIC_BASE_URL with a port', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ PUBLIC_BASE_URL: 'https://ars.example.test:8443' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('an absolute-form request target is refused (403), not an uncaught exception that stops the process', async () => {
    for (const target of ['http://evil.test/twilio/voice', 'http://evil.test/twilio/voice/', 'http://[::1]/TWILIO/status']) {
      const res = await raw(app.port, form(target, 'CallSid=CA1'));
      expect(res.split('\r\n')[0], target).toBe('HTTP/1.1 403 Forbidden');
    }
    expect(uncaught.map((e) => e.message)).toEqual([]);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    expect(app.logs.some((l) => l.includes('request target not a path'))).toBe(true);
  });
});

describe('every response, the ones Node writes itself included', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ METRICS_PORT: '0' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('an Expect other than 100-continue: 417, with the security headers and X-Request-Id', async () => {
    const res = await raw(app.port, 'POST /twilio/voice HTTP/1.1\r\nHost: x\r\nExpect: foo\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    expect(res).toMatch(/^HTTP\/1\.1 417 /);
    expect(res).toMatch(/\r\nX-Request-Id: [0-9a-f-]{36}\r\n/i);
    expect(res).toMatch(/\r\nContent-Security-Policy: [^\r]*frame-ancestors 'none'/i);
    expect(res).toMatch(/\r\nX-Content-Type-Options: nosniff/i);
  });

  it('a request Node cannot parse (a broken header line, two lengths): 400, with the security headers, the connection closed', async () => {
    for (const request of [
      'POST /twilio/voice HTTP/1.1\r\nHost: x\r\nA header line without its colon\r\n\r\n',
      'POST /twilio/voice HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
    ]) {
      const res = await raw(app.port, request);
      expect(res).toMatch(/^HTTP\/1\.1 400 /);
      expect(res).toMatch(/\r\nX-Content-Type-Options: nosniff/i);
      expect(res).toMatch(/\r\nCache-Control: no-store/i);
      expect(res).toMatch(/\r\nX-Request-Id: [0-9a-f-]{36}\r\n/i);
    }
    expect(uncaught).toEqual([]);
  });

  it('a signature not shaped as Twilio signs, or a form of too many fields: refused before any HMAC', async () => {
    const odd = await raw(app.port, form('/twilio/voice', 'CallSid=CA1', 'forged'));
    expect(odd.split('\r\n')[0]).toBe('HTTP/1.1 403 Forbidden');
    const many = await raw(app.port, form('/twilio/voice', Array.from({ length: 5000 }, (_, i) => `f${i}=x`).join('&')));
    expect(many.split('\r\n')[0]).toBe('HTTP/1.1 403 Forbidden');
    expect(app.logs.some((l) => l.includes('not a Twilio signature'))).toBe(true);
    expect(app.logs.some((l) => l.includes('too many fields'))).toBe(true);
  });

  it('webhook metrics: the same webhook however spelled has one label, and a sender adds no label value', async () => {
    const refusals = async () => {
      const text = await (await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`)).text();
      const counts = [...text.matchAll(/^ars_webhook_duration_seconds_count\{([^}]*)\} (\d+)/gm)].map((m) => ({ labels: m[1]!, n: Number(m[2]) }));
      const of = (route: string) => counts.find((c) => c.labels.includes(`route="${route}"`) && c.labels.includes('status="403"'))?.n ?? 0;
      return { routes: new Set(counts.map((c) => /route="([^"]*)"/.exec(c.labels)![1])), voice: of('/twilio/voice'), unmatched: of('/twilio/(unmatched)') };
    };
    const before = await refusals();
    for (const target of ['/twilio/voice', '/twilio/voice/', '/TWILIO/voice', '/Twilio/VOICE/', '/twiLIO/nothing', '/TwIlIo/x1', '/TWILIO/x2']) {
      await raw(app.port, `POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    }
    const after = await refusals();
    expect([...after.routes].sort()).toEqual(['/twilio/(unmatched)', '/twilio/voice']);
    expect(after.voice - before.voice).toBe(4);
    expect(after.unmatched - before.unmatched).toBe(3);
  });
});
