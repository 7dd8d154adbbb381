/**
 * Fault points for the tests: a named point in a flow that fails when armed, so a test can stop a
 * flow exactly there (the statement after it never runs). Nothing is armed in production: only a
 * test arms a point, in-process with armFault or in a child process with ARS_FAULTS
 * ("point" or "point:times", comma-separated; "point:kill" ends the process with SIGKILL).
 */

export class InjectedFault extends Error {
  override name = 'InjectedFault';
}

const armed = new Map<string, { times: number; kill: boolean }>();

for (const item of (process.env.ARS_FAULTS ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
  const [point, arg] = item.split(':');
  armed.set(point!, arg === 'kill' ? { times: 1, kill: true } : { times: arg ? Number(arg) : 1, kill: false });
}

/** Arms a point for the next `times` passes. */
export function armFault(point: string, times = 1): void {
  armed.set(point, { times, kill: false });
}

export function disarmFaults(): void {
  armed.clear();
}

/** Fails here when a test armed this point. */
export function faultPoint(point: string, error: () => Error = () => new InjectedFault(`injected fault at ${point}`)): void {
  const a = armed.get(point);
  if (!a || a.times <= 0) return;
  a.times--;
  if (a.kill) process.kill(process.pid, 'SIGKILL');
  throw error();
}
