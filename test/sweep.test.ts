import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestApp, type TestApp } from './support/app.js';
import { TestCall } from './support/caller.js';

/** The sweep ends a call whose status callback was lost: it is marked abandoned, not left at its last step. */

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ SILENT_CALL_SECONDS: '60' });
  await api(app, 'POST', '/api/payers', { payerNumber: '900400', name: '홍길동', birthDate: '19940424', phone: '+821012345678' });
});
afterAll(async () => {
  await app?.close();
});

describe('the sweep', () => {
  it('a call no webhook touched for SILENT_CALL_SECONDS is ended as abandoned; a live one is left alone', async () => {
    const silent = new TestCall(app);
    await silent.toReadback();
    const live = new TestCall(app);
    await live.toReadback();
    // The status callback of `silent` was lost an hour ago (its last webhook: an hour ago).
    await app.db.pool.query("UPDATE calls SET updated_at = now() - interval '1 hour' WHERE call_sid = $1", [silent.callSid]);
    const swept = await app.pipeline.sweep();
    expect(swept.ended).toBe(1);
    const rows = (await app.db.pool.query('SELECT call_sid, outcome, step FROM calls WHERE call_sid = ANY($1)', [[silent.callSid, live.callSid]])).rows;
    expect(rows.find((r) => r.call_sid === silent.callSid)).toMatchObject({ outcome: 'abandoned', step: 'ended' });
    expect(rows.find((r) => r.call_sid === live.callSid)!.outcome).toBeNull();
    expect((await app.pipeline.sweep()).ended).toBe(0);
  });
});
