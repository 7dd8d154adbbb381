import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import path from 'node:path';

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

/** Written to a temporary name, flushed to disk, then renamed: a reader never sees half a file. */
export async function writeFileAtomic(file: string, data: Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const handle = await open(tmp, 'w', 0o640);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
  const dir = await open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** recordings/2026/11/22/<CallSid>/<name>: by day, then call. */
export function evidencePath(root: string, day: Date, callSid: string, name: string): string {
  const d = day.toISOString();
  return path.join(root, d.slice(0, 4), d.slice(5, 7), d.slice(8, 10), callSid, name);
}
