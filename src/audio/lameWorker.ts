// Runs in a worker thread: LAME (pure JavaScript) encodes 8 kHz mono PCM to MP3 off the event loop.
// Self-contained (no relative imports) so Node can load it as TypeScript in any runner.
import { parentPort } from 'node:worker_threads';
import { Mp3Encoder } from '@breezystack/lamejs';

type Request = { samples: Int16Array; sampleRate: number; kbps: number };

parentPort!.on('message', (req: Request) => {
  try {
    const encoder = new Mp3Encoder(1, req.sampleRate, req.kbps);
    const chunks: Uint8Array[] = [];
    const block = 1152 * 8;
    for (let i = 0; i < req.samples.length; i += block) {
      const out = encoder.encodeBuffer(req.samples.subarray(i, i + block));
      if (out.length > 0) chunks.push(new Uint8Array(out.buffer, out.byteOffset, out.length).slice());
    }
    const tail = encoder.flush();
    if (tail.length > 0) chunks.push(new Uint8Array(tail.buffer, tail.byteOffset, tail.length).slice());
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const mp3 = new Uint8Array(total);
    let o = 0;
    for (const c of chunks) {
      mp3.set(c, o);
      o += c.length;
    }
    parentPort!.postMessage({ ok: true, mp3 }, [mp3.buffer]);
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: (err as Error).message });
  }
});
