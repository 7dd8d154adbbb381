/** PCM WAV reading and writing: what Twilio's `.wav` media is (8 kHz, 16-bit, one channel per track). */

export type Pcm = {
  sampleRate: number;
  /** One Int16Array per channel. */
  channels: Int16Array[];
  /** The data chunk declared more bytes than the file holds. */
  truncated: boolean;
};

export class WavError extends Error {
  override name = "WavError";
}

export function parseWav(buf: Buffer): Pcm {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new WavError('not a RIFF/WAVE file');
  }
  let offset = 12;
  let format: { audioFormat: number; channels: number; sampleRate: number; bitsPerSample: number } | undefined;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > buf.length) throw new WavError('fmt chunk too short');
      format = {
        audioFormat: buf.readUInt16LE(body),
        channels: buf.readUInt16LE(body + 2),
        sampleRate: buf.readUInt32LE(body + 4),
        bitsPerSample: buf.readUInt16LE(body + 14),
      };
      const extensible = format.audioFormat === 0xfffe && size >= 26 && body + 26 <= buf.length;
      if (extensible) format.audioFormat = buf.readUInt16LE(body + 24);
    } else if (id === 'data') {
      if (!format) throw new WavError('data chunk before fmt chunk');
      if (format.audioFormat !== 1 || format.bitsPerSample !== 16) {
        throw new WavError(`unsupported WAV encoding (format ${format.audioFormat}, ${format.bitsPerSample} bits): 16-bit PCM expected`);
      }
      if (format.channels < 1 || format.channels > 2) throw new WavError(`unsupported channel count ${format.channels}`);
      if (format.sampleRate < 4000 || format.sampleRate > 48000) throw new WavError(`unsupported sample rate ${format.sampleRate}`);
      const available = Math.min(size, buf.length - body);
      const frameBytes = 2 * format.channels;
      const frames = Math.floor(available / frameBytes);
      const channels = Array.from({ length: format.channels }, () => new Int16Array(frames));
      for (let i = 0; i < frames; i++) {
        for (let c = 0; c < format.channels; c++) channels[c]![i] = buf.readInt16LE(body + i * frameBytes + c * 2);
      }
      return { sampleRate: format.sampleRate, channels, truncated: available < size };
    }
    offset = body + size + (size % 2);
  }
  throw new WavError('no data chunk');
}

export function encodeWav(sampleRate: number, channels: Int16Array[]): Buffer {
  const n = channels[0]?.length ?? 0;
  const count = channels.length;
  const dataBytes = n * count * 2;
  const buf = Buffer.alloc(44 + dataBytes);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + dataBytes, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(count, 22);
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * count * 2, 28);
  buf.writeUInt16LE(count * 2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(dataBytes, 40);
  if (count === 1 && new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) {
    // Little-endian host: the samples are the data chunk as they are.
    Buffer.from(channels[0]!.buffer, channels[0]!.byteOffset, dataBytes).copy(buf, 44);
    return buf;
  }
  let o = 44;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < count; c++) {
      buf.writeInt16LE(channels[c]![i]!, o);
      o += 2;
    }
  }
  return buf;
}

/** Both voices audible: the tracks summed (they rarely overlap), clipped to 16 bits. */
export function mixToMono(channels: Int16Array[]): Int16Array {
  const n = channels[0]?.length ?? 0;
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (const ch of channels) s += ch[i]!;
    out[i] = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
  }
  return out;
}

/** Linear resampling to 8 kHz, for a recording made at another rate. */
export function resampleTo8k(samples: Int16Array, fromRate: number): Int16Array {
  if (fromRate === 8000) return samples;
  const ratio = fromRate / 8000;
  const out = new Int16Array(Math.floor(samples.length / ratio));
  for (let i = 0; i < out.length; i++) {
    const x = i * ratio;
    const i0 = Math.floor(x);
    const i1 = Math.min(i0 + 1, samples.length - 1);
    out[i] = Math.round(samples[i0]! + (samples[i1]! - samples[i0]!) * (x - i0));
  }
  return out;
}
