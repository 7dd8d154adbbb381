/**
 * What is on a track: speech-like activity versus DTMF key tones, by 20 ms frames.
 * DTMF is found with the Goertzel algorithm at the eight key frequencies.
 */

const LOW = [697, 770, 852, 941];
const HIGH = [1209, 1336, 1477, 1633];
const KEYS = ['123A', '456B', '789C', '*0#D'];

export const FRAME_MS = 20;

function goertzelPower(samples: Int16Array, start: number, length: number, freq: number, rate: number): number {
  const k = (2 * Math.cos((2 * Math.PI * freq) / rate));
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < length; i++) {
    const s = samples[start + i]! / 32768 + k * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return s1 * s1 + s2 * s2 - k * s1 * s2;
}

function energy(samples: Int16Array, start: number, length: number): number {
  let e = 0;
  for (let i = 0; i < length; i++) {
    const v = samples[start + i]! / 32768;
    e += v * v;
  }
  return e;
}

/**
 * One character a 20 ms frame: '.' silence, 's' speech-like sound, or the DTMF key whose tone it
 * holds ('0'-'9', '*', '#', 'A'-'D'). A string crosses threads and is stored cheaply.
 */
export type Frames = string;
export const SILENCE = '.';
export const SPEECH = 's';

/** Level below which a frame is silence: about -45 dBFS RMS. */
const SILENCE_RMS = 0.0056;

export function classifyFrames(samples: Int16Array, rate: number): Frames {
  const len = Math.round((rate * FRAME_MS) / 1000);
  const frames: string[] = [];
  for (let start = 0; start + len <= samples.length; start += len) {
    const e = energy(samples, start, len);
    const rms = Math.sqrt(e / len);
    if (rms < SILENCE_RMS) {
      frames.push(SILENCE);
      continue;
    }
    const lows = LOW.map((f) => goertzelPower(samples, start, len, f, rate));
    const highs = HIGH.map((f) => goertzelPower(samples, start, len, f, rate));
    const li = lows.indexOf(Math.max(...lows));
    const hi = highs.indexOf(Math.max(...highs));
    // Goertzel power relative to the frame's energy: a pure tone at f gives about len/2 * e.
    const toneShare = ((lows[li]! + highs[hi]!) * 2) / (len * e);
    const secondLow = Math.max(...lows.filter((_, i) => i !== li));
    const secondHigh = Math.max(...highs.filter((_, i) => i !== hi));
    if (toneShare > 0.7 && lows[li]! > 8 * secondLow && highs[hi]! > 8 * secondHigh) {
      frames.push(KEYS[li]![hi]!);
    } else {
      frames.push(SPEECH);
    }
  }
  return frames.join('');
}

/** The keys pressed on a track: a run of at least 40 ms of one key's tone counts once. */
export function detectDtmf(samples: Int16Array, rate: number): { key: string; atSeconds: number }[] {
  return detectDtmfInFrames(classifyFrames(samples, rate));
}

export function detectDtmfInFrames(frames: Frames): { key: string; atSeconds: number }[] {
  const keys: { key: string; atSeconds: number }[] = [];
  let run = 0;
  let current: string | undefined;
  [...frames].forEach((f, i) => {
    const key = f !== SILENCE && f !== SPEECH ? f : undefined;
    if (key && key === current) {
      run++;
      if (run === 2) keys.push({ key, atSeconds: ((i - 1) * FRAME_MS) / 1000 });
    } else {
      current = key;
      run = key ? 1 : 0;
    }
  });
  return keys;
}

/** Seconds of speech-like sound (not silence, not key tones) between two times. */
/** When a track has carried `seconds` of speech (its end when it never does). */
export function timeAfterSpeech(frames: Frames, seconds: number): number {
  const needed = Math.ceil((seconds * 1000) / FRAME_MS);
  let n = 0;
  for (let i = 0; i < frames.length; i++) if (frames[i] === SPEECH && ++n >= needed) return ((i + 1) * FRAME_MS) / 1000;
  return (frames.length * FRAME_MS) / 1000;
}

export function speechSeconds(frames: Frames, fromSeconds: number, toSeconds: number): number {
  const first = Math.max(0, Math.floor((fromSeconds * 1000) / FRAME_MS));
  const last = Math.min(frames.length, Math.ceil((toSeconds * 1000) / FRAME_MS));
  let n = 0;
  for (let i = first; i < last; i++) if (frames[i] === SPEECH) n++;
  return (n * FRAME_MS) / 1000;
}
