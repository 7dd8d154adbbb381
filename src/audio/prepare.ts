import { classifyFrames, type Frames } from './analysis.js';
import { mixToMono, parseWav, resampleTo8k } from './wav.js';

export type PreparedRecording = {
  durationSeconds: number;
  truncated: boolean;
  payerFrames: Frames;
  arsFrames: Frames;
  mono: Int16Array;
};

/** Splits a Twilio recording into the payer's and the ARS's tracks, analyses both and mixes them to mono 8 kHz. */
export function prepareRecording(wav: Buffer, payerChannel: 1 | 2): PreparedRecording {
  const pcm = parseWav(wav);
  const stereo = pcm.channels.length === 2;
  const payerIndex = stereo ? payerChannel - 1 : 0;
  const payer = resampleTo8k(pcm.channels[payerIndex]!, pcm.sampleRate);
  const ars = resampleTo8k(pcm.channels[stereo ? 1 - payerIndex : 0]!, pcm.sampleRate);
  return {
    durationSeconds: payer.length / 8000,
    truncated: pcm.truncated,
    payerFrames: classifyFrames(payer, 8000),
    arsFrames: stereo ? classifyFrames(ars, 8000) : classifyFrames(payer, 8000),
    mono: mixToMono(stereo ? [payer, ars] : [payer]),
  };
}
