import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { CallerInput, CallerInputs } from './callRunner.js';
import { createStandIn, type StandIn } from './standIn.js';

export { runCall, type CallEvent, type CallerInput, type CallResult } from './callRunner.js';
export { createStandIn, type StandIn } from './standIn.js';

/** A caller following a script; when it runs out, the caller hangs up. */
export function scriptedInputs(script: CallerInput[]): CallerInputs {
  const queue = [...script];
  return { next: async () => queue.shift() };
}

/** `--keys "2 19940424 081 75023332200333# 1"` and `--say 예`: the key tokens in order, then the spoken answers. */
export function parseCallerScript(keys: string | undefined, says: string[] = []): CallerInput[] {
  const script: CallerInput[] = (keys ?? '').split(/\s+/).filter(Boolean).map((k) => {
    if (!/^[0-9*#]+$/.test(k)) throw new Error(`--keys: "${k}" is not phone keys (0-9, *, #)`);
    return { keys: k };
  });
  for (const s of says) script.push({ say: s });
  return script;
}

/** The stand-in on its own loopback server: for tests and a CLI without a running service. */
export async function startStandInServer(accountSid: string, authToken: string, log?: (line: string) => void): Promise<{ standIn: StandIn; url: string; close(): Promise<void> }> {
  const standIn = createStandIn(accountSid, authToken, log);
  const app = express();
  app.use(standIn.router);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    standIn,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
export { answerOutboundCalls, type PickUp } from './dialer.js';
export type { Conversation } from './callRunner.js';
