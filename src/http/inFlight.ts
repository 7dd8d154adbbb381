import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * Counts the requests being served, so that a stopping process can finish them (the webhooks a
 * caller is waiting on) before it closes: stop accepting connections, answer what is in flight
 * with `Connection: close`, wait up to the grace period, then cut what is left.
 */
export function inFlightRequests() {
  let active = 0;
  let stopping = false;
  let drained: (() => void) | undefined;
  return {
    middleware(_req: IncomingMessage, res: ServerResponse, next: () => void) {
      active++;
      if (stopping) res.setHeader('Connection', 'close');
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        active--;
        if (active === 0) drained?.();
      };
      // 'close' follows every response, finished or cut off.
      res.once('close', finish);
      next();
    },
    get active() {
      return active;
    },
    /** Stops accepting, waits for the requests in flight (at most graceMs), closes every connection. */
    async drain(server: Server, graceMs: number): Promise<{ unfinished: number }> {
      stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (active > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => (drained = resolve)),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
        ]);
        clearTimeout(timer);
      }
      const unfinished = active;
      server.closeAllConnections();
      await closed;
      return { unfinished };
    },
  };
}
