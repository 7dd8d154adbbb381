import { Worker } from 'node:worker_threads';
import type { PreparedRecording } from './prepare.js';
import { WavError } from './wav.js';
import { workerModule } from '../shared/workerModule.js';

type Pending = { resolve: (p: PreparedRecording) => void; reject: (e: Error) => void };

/**
 * One long-lived worker thread for prepareRecording, started on first use. It loads TypeScript
 * through tsx from the sources (npm start, the tests, the benchmarks) and as JavaScript from dist/.
 */
let worker: Worker | undefined;
const pending = new Map<number, Pending>();
let nextId = 1;

function failAll(err: Error): void {
  for (const p of pending.values()) p.reject(err);
  pending.clear();
  worker = undefined;
}

function getWorker(): Worker {
  if (worker) return worker;
  const prepare = workerModule('prepareWorker', import.meta.url);
  const w = new Worker(prepare.url, { execArgv: prepare.execArgv });
  w.unref();
  w.on('message', (msg: { id: number; ok: boolean; prepared?: PreparedRecording; error?: string; name?: string }) => {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.prepared!);
    else p.reject(msg.name === 'WavError' ? new WavError(msg.error!) : new Error(msg.error));
  });
  w.on('error', (err) => failAll(new Error(`audio worker: ${err.message}`)));
  w.on('exit', (code) => {
    if (worker === w) failAll(new Error(`audio worker exited (${code})`));
  });
  worker = w;
  return w;
}

export function prepareRecordingOffThread(wav: Buffer, payerChannel: 1 | 2): Promise<PreparedRecording> {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    const copy = new Uint8Array(wav);
    getWorker().postMessage({ id, wav: copy, payerChannel }, [copy.buffer]);
  });
}

export async function stopAudioWorker(): Promise<void> {
  const w = worker;
  worker = undefined;
  if (w) await w.terminate();
}
