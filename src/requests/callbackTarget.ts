import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Refusal } from '../shared/refusal.js';

/**
 * Completion callbacks go to the public internet only (no SSRF): the URL is checked when the
 * request is made, and every delivery connects only to an address that is public unicast at the
 * moment of connecting (the address actually connected to is checked, so a name that resolves to
 * loopback later — DNS rebinding — is refused too). Redirects are never followed.
 */

export const MAX_CALLBACK_URL_LENGTH = 2048;

/** Resolves a host name to every address (the shape of dns.lookup with all: true). */
export type ResolveHost = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const systemResolver: ResolveHost = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

export type CallbackPolicy = {
  /** CALLBACK_ALLOW_PRIVATE=true (local development, tests): private addresses and plain http allowed. */
  allowPrivate: boolean;
  resolve: ResolveHost;
};

/** True when the address is public unicast (IPv4-mapped IPv6 is judged as the IPv4 address it carries). */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!ipaddr.isValid(bare)) return false;
  const ip = ipaddr.process(bare);
  if (ip.kind() === 'ipv6') {
    const v6 = ip as ipaddr.IPv6;
    // NAT64 and 6to4 carry an IPv4 address: judge the whole prefix as not public.
    if (v6.range() !== 'unicast') return false;
    return !v6.match(ipaddr.IPv6.parse('64:ff9b::'), 96) && !v6.match(ipaddr.IPv6.parse('2002::'), 16);
  }
  return ip.range() === 'unicast';
}

const refuse = (reason: string) => new Refusal('validation', reason, { field: 'callbackUrl', message: `callbackUrl: 공개 인터넷의 https 주소만 쓸 수 있습니다 (${reason})` });

/** The URL's form: http(s), https unless private targets are allowed, no credentials, at most 2,048 characters. */
export function parseCallbackUrl(raw: string, policy: Pick<CallbackPolicy, 'allowPrivate'>): URL {
  if (raw.length > MAX_CALLBACK_URL_LENGTH) throw refuse(`must be at most ${MAX_CALLBACK_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('must be an https URL');
  }
  if (url.protocol !== 'https:' && !(policy.allowPrivate && url.protocol === 'http:')) throw refuse('must be an https URL');
  if (url.username || url.password) throw refuse('must not carry credentials');
  if (!url.hostname) throw refuse('must name a host');
  return url;
}

/** Hostname without IPv6 brackets or a trailing dot. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

/** Checked when a request is made: the URL's form, and every address its host resolves to is public. */
export async function checkCallbackUrl(raw: string, policy: CallbackPolicy): Promise<string> {
  const url = parseCallbackUrl(raw, policy);
  if (policy.allowPrivate) return url.toString();
  const host = hostOf(url);
  if (ipaddr.isValid(host)) {
    if (!isPublicAddress(host)) throw refuse('must resolve to a public address');
    return url.toString();
  }
  if (host.endsWith('.localhost') || host === 'localhost' || host === 'localhost.') throw refuse('must resolve to a public address');
  let addresses: { address: string }[];
  try {
    addresses = await policy.resolve(host);
  } catch {
    throw refuse('must resolve to a public address');
  }
  if (addresses.length === 0 || addresses.some((a) => !isPublicAddress(a.address))) throw refuse('must resolve to a public address');
  return url.toString();
}

export class CallbackTargetRefused extends Error {}

/** A connection lookup that only ever hands out public addresses (unless private ones are allowed). */
function guardedLookup(policy: CallbackPolicy): LookupFunction {
  return ((hostname: string, options: dns.LookupOptions, callback: (...args: unknown[]) => void) => {
    policy.resolve(hostname).then(
      (all) => {
        const allowed = policy.allowPrivate ? all : all.filter((a) => isPublicAddress(a.address));
        if (allowed.length === 0 || (!policy.allowPrivate && allowed.length !== all.length)) {
          callback(new CallbackTargetRefused(`${hostname} does not resolve to a public address`));
          return;
        }
        if (options.all) callback(null, allowed);
        else callback(null, allowed[0]!.address, allowed[0]!.family);
      },
      (err: Error) => callback(err),
    );
  }) as LookupFunction;
}

export type DeliveryResult = { ok: true; status: number } | { ok: false; status: number | null; coarse: string; detail: string };

/**
 * POSTs the body to the callback URL: the URL is checked again, and the connection is made only to
 * an address the guarded look-up handed out (the one connected to: public, checked at that moment),
 * or to a public address literal; no redirect is followed. The coarse
 * result is what the integration sees; `detail` is for the service's own log.
 */
export async function postCallback(
  raw: string,
  body: string,
  headers: Record<string, string>,
  policy: CallbackPolicy,
  timeoutMs: number,
): Promise<DeliveryResult> {
  let url: URL;
  try {
    url = parseCallbackUrl(raw, policy);
    const host = hostOf(url);
    if (ipaddr.isValid(host) && !policy.allowPrivate && !isPublicAddress(host)) throw new CallbackTargetRefused('the address is not public');
  } catch (err) {
    return { ok: false, status: null, coarse: 'delivery failed', detail: (err as Error).message };
  }
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<DeliveryResult>((resolve) => {
    let settled = false;
    const done = (r: DeliveryResult) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        lookup: guardedLookup(policy),
        agent: false,
        timeout: timeoutMs,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          done(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, status, coarse: `delivery failed: answered ${status}`, detail: `answered ${status}` });
        });
        res.on('error', (err) => done({ ok: false, status: null, coarse: 'delivery failed', detail: err.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => done({ ok: false, status: null, coarse: 'delivery failed', detail: err.message }));
    req.end(body);
  });
}
