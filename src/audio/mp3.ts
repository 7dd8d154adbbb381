/** Reads an MP3's frame headers: what KFTC will get (sample rate, channels, bitrate, duration). */

const BITRATES_V2_L3 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const BITRATES_V1_L3 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const RATES: Record<number, number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

export type Mp3Info = {
  version: 'MPEG-1' | 'MPEG-2' | 'MPEG-2.5';
  sampleRate: number;
  channels: 1 | 2;
  /** Bitrates seen across audio frames (one for CBR). */
  bitratesKbps: number[];
  audioFrames: number;
  durationSeconds: number;
  bytes: number;
};

export class Mp3Error extends Error {}

export function readMp3(buf: Buffer): Mp3Info {
  let offset = 0;
  if (buf.length >= 10 && buf.toString('latin1', 0, 3) === 'ID3') {
    const size = ((buf[6]! & 0x7f) << 21) | ((buf[7]! & 0x7f) << 14) | ((buf[8]! & 0x7f) << 7) | (buf[9]! & 0x7f);
    offset = 10 + size;
  }
  let frames = 0;
  let samples = 0;
  let info: Omit<Mp3Info, 'audioFrames' | 'durationSeconds' | 'bytes' | 'bitratesKbps'> | undefined;
  const bitrates = new Set<number>();
  while (offset + 4 <= buf.length) {
    if (buf.toString('latin1', offset, offset + 3) === 'TAG' && buf.length - offset === 128) break; // ID3v1
    const h = buf.readUInt32BE(offset);
    if ((h & 0xffe00000) >>> 0 !== 0xffe00000) throw new Mp3Error(`lost frame sync at byte ${offset}`);
    const versionBits = (h >>> 19) & 3;
    const layerBits = (h >>> 17) & 3;
    const bitrateIndex = (h >>> 12) & 15;
    const rateIndex = (h >>> 10) & 3;
    const padding = (h >>> 9) & 1;
    const mode = (h >>> 6) & 3;
    if (versionBits === 1 || layerBits !== 1 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) {
      throw new Mp3Error(`not an MPEG Layer III frame at byte ${offset}`);
    }
    const v1 = versionBits === 3;
    const kbps = (v1 ? BITRATES_V1_L3 : BITRATES_V2_L3)[bitrateIndex]!;
    const sampleRate = RATES[versionBits]![rateIndex]!;
    const length = Math.floor(((v1 ? 144 : 72) * kbps * 1000) / sampleRate) + padding;
    const frameSamples = v1 ? 1152 : 576;
    const channels: 1 | 2 = mode === 3 ? 1 : 2;
    if (!info) info = { version: v1 ? 'MPEG-1' : versionBits === 2 ? 'MPEG-2' : 'MPEG-2.5', sampleRate, channels };
    else if (info.sampleRate !== sampleRate || info.channels !== channels) throw new Mp3Error('frames disagree on sample rate or channels');
    if (offset + length > buf.length) throw new Mp3Error(`last frame cut short at byte ${offset}`);
    const sideInfo = v1 ? (channels === 1 ? 17 : 32) : channels === 1 ? 9 : 17;
    const tag = buf.toString('latin1', offset + 4 + sideInfo, offset + 8 + sideInfo);
    const isInfoFrame = frames === 0 && samples === 0 && (tag === 'Xing' || tag === 'Info');
    if (!isInfoFrame) {
      frames++;
      samples += frameSamples;
      bitrates.add(kbps);
    }
    offset += length;
  }
  if (!info || frames === 0) throw new Mp3Error('no audio frames');
  return { ...info, bitratesKbps: [...bitrates].sort((a, b) => a - b), audioFrames: frames, durationSeconds: samples / info.sampleRate, bytes: buf.length };
}
