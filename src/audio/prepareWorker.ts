// Worker thread: the CPU-heavy part of the pipeline (WAV decoding, track analysis, mixing), kept
// off the event loop that answers Twilio.
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { prepareRecording } from './prepare.js';

// On Linux this lowers this thread only: analysis may wait, the thread answering Twilio may not.
try {
  setPriority(10);
} catch {
  /* not permitted here: run at normal priority */
}

parentPort!.on('message', (msg: { id: number; wav: Uint8Array; payerChannel: 1 | 2 }) => {
  try {
    const prepared = prepareRecording(Buffer.from(msg.wav.buffer, msg.wav.byteOffset, msg.wav.byteLength), msg.payerChannel);
    parentPort!.postMessage({ id: msg.id, ok: true, prepared }, [prepared.mono.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, ok: false, error: (err as Error).message, name: (err as Error).name });
  }
});
