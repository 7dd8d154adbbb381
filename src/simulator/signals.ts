/**
 * Test and demo audio at 8 kHz: a speech-like signal (voiced harmonics with syllable-rate
 * envelope and pauses, not a steady tone) and real DTMF key tones.
 */

export const RATE = 8000;

const DTMF: Record<string, [number, number]> = {
  '1': [697, 1209], '2': [697, 1336], '3': [697, 1477], A: [697, 1633],
  '4': [770, 1209], '5': [770, 1336], '6': [770, 1477], B: [770, 1633],
  '7': [852, 1209], '8': [852, 1336], '9': [852, 1477], C: [852, 1633],
  '*': [941, 1209], '0': [941, 1336], '#': [941, 1477], D: [941, 1633],
};

/** A deterministic pseudo-random sequence, so the same call always makes the same audio. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

export function speechLike(seconds: number, seed = 1, level = 0.25): Int16Array {
  const n = Math.round(seconds * RATE);
  const out = new Int16Array(n);
  const rand = rng(seed);
  let phase = 0;
  let i = 0;
  while (i < n) {
    // A syllable of 120-220 ms, sometimes a short pause between words.
    const syllable = Math.round((0.12 + rand() * 0.1) * RATE);
    const f0 = 110 + rand() * 110;
    const formant = 1.5 + rand() * 3;
    for (let j = 0; j < syllable && i < n; j++, i++) {
      const env = Math.sin((Math.PI * j) / syllable);
      phase += (2 * Math.PI * f0) / RATE;
      let v = 0;
      for (let h = 1; h <= 12; h++) v += Math.sin(h * phase) / (1 + Math.abs(h - formant));
      v += (rand() - 0.5) * 0.3;
      out[i] = Math.round(Math.max(-1, Math.min(1, v * 0.35 * env * level * 4)) * 32767 * 0.9);
    }
    if (rand() < 0.15) i += Math.round((0.05 + rand() * 0.1) * RATE);
  }
  return out;
}

export function dtmfTone(key: string, seconds = 0.12, level = 0.3): Int16Array {
  const pair = DTMF[key];
  if (!pair) throw new Error(`no DTMF key ${key}`);
  const n = Math.round(seconds * RATE);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const v = Math.sin((2 * Math.PI * pair[0] * i) / RATE) + Math.sin((2 * Math.PI * pair[1] * i) / RATE);
    out[i] = Math.round(v * level * 0.5 * 32767);
  }
  return out;
}

/** Keys as a caller presses them: each tone followed by a short gap. */
export function dtmfSequence(keys: string, toneSeconds = 0.12, gapSeconds = 0.1): Int16Array {
  const parts: Int16Array[] = [];
  for (const k of keys) {
    parts.push(dtmfTone(k, toneSeconds), new Int16Array(Math.round(gapSeconds * RATE)));
  }
  return concat(parts);
}

export function silence(seconds: number): Int16Array {
  return new Int16Array(Math.round(seconds * RATE));
}

export function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Two tracks laid side by side in time: segments place audio on one track, the other stays silent. */
export class TwoTrackTape {
  payer: Int16Array[] = [];
  ars: Int16Array[] = [];

  add(track: 'payer' | 'ars', audio: Int16Array): this {
    (track === 'payer' ? this.payer : this.ars).push(audio);
    (track === 'payer' ? this.ars : this.payer).push(new Int16Array(audio.length));
    return this;
  }

  pause(seconds: number): this {
    return this.add('ars', silence(seconds));
  }

  get seconds(): number {
    return this.payer.reduce((n, p) => n + p.length, 0) / RATE;
  }

  tracks(): { payer: Int16Array; ars: Int16Array } {
    return { payer: concat(this.payer), ars: concat(this.ars) };
  }
}
