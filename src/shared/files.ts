import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { faultPoint } from './faults.js';

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** Hashes in slices, yielding between them, so a large file does not hold up the event loop. */
export async function sha256Async(buf: Buffer): Promise<string> {
  const hash = createHash('sha256');
  for (let o = 0; o < buf.length; o += 256 * 1024) {
    hash.update(buf.subarray(o, o + 256 * 1024));
    await new Promise((r) => setImmediate(r));
  }
  return hash.digest('hex');
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A write that found the disk full: which folder, and how much room the file needs. */
export class DiskFullError extends Error {
  override name = 'DiskFullError';
  constructor(
    readonly folder: string,
    readonly bytesNeeded: number,
  ) {
    super(`no space left in ${folder}: ${bytesNeeded} bytes needed for the file (free some space; the work resumes by itself)`);
  }
}

function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/**
 * Written to a temporary name, flushed to disk, then renamed: a reader never sees half a file. On
 * any failure the temporary file is removed; a full disk is a DiskFullError naming the folder.
 */
export async function writeFileAtomic(file: string, data: Buffer): Promise<void> {
  const folder = path.dirname(file);
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await mkdir(folder, { recursive: true });
    const handle = await open(tmp, 'w', 0o640);
    try {
      faultPoint('disk-write', () => Object.assign(new Error('ENOSPC: no space left on device, write (injected)'), { code: 'ENOSPC' }));
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
    const dir = await open(folder, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    if (isDiskFull(err)) throw new DiskFullError(folder, data.length);
    throw err;
  }
}

/** recordings/2026/11/22/<CallSid>/<name>: by day, then call. */
export function evidencePath(root: string, day: Date, callSid: string, name: string): string {
  const d = day.toISOString();
  return path.join(root, d.slice(0, 4), d.slice(5, 7), d.slice(8, 10), callSid, name);
}
