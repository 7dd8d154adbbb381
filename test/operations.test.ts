import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, postSigned, startTestApp, TEST_ACCOUNT_SID, type TestApp } from './support/app.js';
import { newCallSid, TestCall } from './support/caller.js';

/** Prometheus text as samples: name, labels, value. */
function samples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(l)!;
      const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]));
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}

function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  return samples(text).find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** The lines a service logged, parsed. */
function lines(app: TestApp): Record<string, unknown>[] {
  return app.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('request ids and log correlation', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers X-Request-Id: a new one per request, or the sane one the caller sent', async () => {
    const a = await fetch(`${app.url}/healthz`);
    const b = await fetch(`${app.url}/healthz`);
    expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.headers.get('x-request-id')).not.toBe(a.headers.get('x-request-id'));
    const sent = await fetch(`${app.url}/healthz`, { headers: { 'X-Request-Id': 'lb-7f3a.42' } });
    expect(sent.headers.get('x-request-id')).toBe('lb-7f3a.42');
    const bad = await fetch(`${app.url}/healthz`, { headers: { 'X-Request-Id': 'x'.repeat(300) } });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("every line logged while a Twilio webhook is served carries its request id (reqId) and CallSid", async () => {
    const call = new TestCall(app);
    const before = app.logs.length;
    // A turn for a call the service does not know: it is logged (a warning) and started from the menu.
    const res = await postSigned(app, '/twilio/voice/gather?turn=3', { CallSid: call.callSid, AccountSid: TEST_ACCOUNT_SID, From: '+821012345678', To: '+8215880000', CallStatus: 'in-progress', Digits: '1' });
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id');
    const own = lines(app).slice(before).filter((l) => l.reqId === requestId);
    expect(own.length).toBeGreaterThan(0);
    for (const l of own) expect(l.callSid).toBe(call.callSid);
    // And no line of that call lacks the request id.
    const ofCall = lines(app).slice(before).filter((l) => JSON.stringify(l).includes(call.callSid));
    for (const l of ofCall) expect(l.reqId, JSON.stringify(l)).toBe(requestId);
  });
});

describe('metrics', () => {
  it('on METRICS_PORT: webhook latency by route and status, queues, consents, pipelines, callbacks, pool, process', async () => {
    const app = await startTestApp({ METRICS_PORT: '0' });
    try {
      const call = new TestCall(app);
      await call.start();
      await call.press('2');
      // A webhook whose signature is wrong: a 403 on the same route.
      const forged = await fetch(`${app.url}/twilio/voice`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': 'forged' }, body: `CallSid=${newCallSid()}` });
      expect(forged.status).toBe(403);
      expect(app.metricsPort).toBeGreaterThan(0);
      expect((await fetch(`${app.url}/metrics`)).status).toBe(404); // not on the public port
      const res = await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/plain; version=0\.0\.4/);
      const text = await res.text();
      expect(sample(text, 'ars_webhook_duration_seconds_count', { route: '/twilio/voice', status: '200', role: 'all' })).toBe(1);
      expect(sample(text, 'ars_webhook_duration_seconds_count', { route: '/twilio/voice/gather', status: '200' })).toBe(1);
      expect(sample(text, 'ars_webhook_duration_seconds_count', { route: '/twilio/voice', status: '403' })).toBe(1);
      const sum = sample(text, 'ars_webhook_duration_seconds_sum', { route: '/twilio/voice', status: '200' })!;
      expect(sum).toBeGreaterThan(0);
      expect(sum).toBeLessThan(10);
      expect(sample(text, 'ars_webhook_duration_seconds_bucket', { route: '/twilio/voice', status: '200', le: '+Inf' })).toBe(1);
      expect(sample(text, 'ars_consents', { status: 'ready' })).toBe(0);
      expect(sample(text, 'ars_pipelines_failed')).toBe(0);
      expect(sample(text, 'ars_callback_deliveries', { outcome: 'delivered' })).toBe(0);
      expect(sample(text, 'ars_callback_deliveries', { outcome: 'given-up' })).toBe(0);
      expect(sample(text, 'ars_db_pool_connections', { state: 'in_use' })).toBeGreaterThanOrEqual(0);
      expect(sample(text, 'ars_db_pool_connections', { state: 'waiting' })).toBeGreaterThanOrEqual(0);
      expect(sample(text, 'ars_process_cpu_seconds_total')).toBeGreaterThan(0);
      expect(sample(text, 'ars_process_resident_memory_bytes')).toBeGreaterThan(0);
      expect(text).toMatch(/# TYPE ars_job_queue_depth gauge/);
    } finally {
      await app.close();
    }
  });

  it('the job queue: depth and oldest age of jobs waiting for a worker, per queue', async () => {
    // A web process: jobs are queued here and worked elsewhere, so they wait.
    const app = await startTestApp({ METRICS_PORT: '0', ROLE: 'web' });
    try {
      await app.queue.send('consent-notify', { consentId: 'nobody' });
      await app.queue.send('consent-notify', { consentId: 'nobody-else' });
      await new Promise((r) => setTimeout(r, 1100));
      const text = await (await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`)).text();
      expect(sample(text, 'ars_job_queue_depth', { queue: 'consent-notify', role: 'web' })).toBe(2);
      const age = sample(text, 'ars_job_queue_oldest_seconds', { queue: 'consent-notify' })!;
      expect(age).toBeGreaterThanOrEqual(1);
      expect(age).toBeLessThan(60);
    } finally {
      await app.close();
    }
  });

  it('behind METRICS_TOKEN on the main port when no METRICS_PORT is set; off when neither is', async () => {
    const token = 'metrics-token-0123456789';
    const app = await startTestApp({ METRICS_TOKEN: token });
    try {
      expect((await fetch(`${app.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${app.url}/metrics`, { headers: { Authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
      const ok = await fetch(`${app.url}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toMatch(/ars_db_pool_connections/);
    } finally {
      await app.close();
    }
    const off = await startTestApp();
    try {
      expect((await fetch(`${off.url}/metrics`)).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});

describe('roles', () => {
  it('a worker process serves /healthz only; a web process answers webhooks', async () => {
    const database = await freshDatabase();
    const worker = await startTestApp({ ROLE: 'worker' }, database);
    const web = await startTestApp({ ROLE: 'web' }, database);
    try {
      expect((await fetch(`${worker.url}/healthz`)).status).toBe(200);
      expect((await postSigned(worker, '/twilio/voice', { CallSid: newCallSid(), AccountSid: TEST_ACCOUNT_SID })).status).toBe(404);
      expect((await fetch(`${worker.url}/api/consents`)).status).toBe(404);
      const call = new TestCall(web);
      await call.start();
      expect(call.text()).toContain('한빛에너지');
    } finally {
      await web.close();
      await worker.close();
    }
  });
});

describe('stopping', () => {
  it('stops accepting, finishes the webhook in flight, and logs no error', async () => {
    const app = await startTestApp({ SHUTDOWN_GRACE_SECONDS: '10' });
    const call = new TestCall(app);
    await call.start();
    // Hold the call's row so that the next turn's guarded write waits: a webhook in flight.
    const blocker = new pg.Client({ connectionString: app.db.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM calls WHERE call_sid = $1 FOR UPDATE', [call.callSid]);
    const inFlight = call.press('2');
    await new Promise((r) => setTimeout(r, 300));
    let closed = false;
    const closing = app.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 500));
    expect(closed).toBe(false);
    // No new connection is accepted meanwhile.
    await expect(fetch(`${app.url}/healthz`)).rejects.toThrow();
    await blocker.query('COMMIT');
    await blocker.end();
    await inFlight; // answered 200 with TwiML (TestCall checks)
    expect(call.text()).toContain('고객번호');
    await closing;
    const errors = lines(app).filter((l) => Number(l.level) >= 50);
    expect(errors).toEqual([]);
  });
});
