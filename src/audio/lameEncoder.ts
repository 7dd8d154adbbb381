import { Worker } from 'node:worker_threads';
import { workerModule } from '../shared/workerModule.js';

// Plain TypeScript that Node 24 runs without a loader.
const LAME_WORKER = workerModule('lameWorker', import.meta.url, false);

/** Encodes 8 kHz mono PCM to MP3 with LAME in a worker thread (the path used when ffmpeg cannot run). */
export function lameEncodeMp3(samples: Int16Array, kbps: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(LAME_WORKER.url, { execArgv: LAME_WORKER.execArgv });
    const copy = samples.slice();
    worker.once('message', (msg: { ok: true; mp3: Uint8Array } | { ok: false; error: string }) => {
      void worker.terminate();
      if (msg.ok) resolve(Buffer.from(msg.mp3.buffer, msg.mp3.byteOffset, msg.mp3.length));
      else reject(new Error(`lame: ${msg.error}`));
    });
    worker.once('error', (err) => reject(new Error(`lame worker: ${err.message}`)));
    worker.postMessage({ samples: copy, sampleRate: 8000, kbps }, [copy.buffer]);
  });
}
