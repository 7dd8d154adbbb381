import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time (user + system, ms) of processes, read from /proc: what a benchmark's figures cost in
 * CPU on each side (the service, PostgreSQL, the load generator). Zero where /proc is missing.
 */

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Every PostgreSQL process on the machine (the server and its backends). */
function postgresCpuMs(): number {
  let total = 0;
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') total += processCpuMs(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return total;
}

/** The machine's idle and total CPU time (ms, all cores) from /proc/stat. */
function machineCpuMs(): { idle: number; total: number } {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const ms = (ticks: number) => (ticks * 1000) / TICKS_PER_SECOND;
    return { idle: ms(fields[3]! + fields[4]!), total: ms(fields.reduce((a, b) => a + b, 0)) };
  } catch {
    return { idle: 0, total: 0 };
  }
}

/** idle: the machine's idle CPU time (all cores); total: all of its CPU time. */
export type CpuSample = { service: number; postgres: number; client: number; idle: number; total: number };

export function sampleCpu(servicePids: (number | undefined)[]): CpuSample {
  const own = process.cpuUsage();
  return {
    service: servicePids.reduce<number>((sum, pid) => sum + (pid ? processCpuMs(pid) : 0), 0),
    postgres: postgresCpuMs(),
    client: (own.user + own.system) / 1000,
    ...machineCpuMs(),
  };
}

/** CPU ms per request on each side between two samples (idle and total: ms of the machine's, per request). */
export function cpuPerRequest(before: CpuSample, after: CpuSample, requests: number): CpuSample {
  return {
    service: (after.service - before.service) / requests,
    postgres: (after.postgres - before.postgres) / requests,
    client: (after.client - before.client) / requests,
    idle: (after.idle - before.idle) / requests,
    total: (after.total - before.total) / requests,
  };
}

export function fmtCpu(c: CpuSample): string {
  const idle = c.total > 0 ? `; the machine ${((100 * c.idle) / c.total).toFixed(0)}% idle meanwhile` : '';
  return `CPU per request: service ${c.service.toFixed(2)} ms, PostgreSQL ${c.postgres.toFixed(2)} ms, load generator ${c.client.toFixed(2)} ms${idle}`;
}
