import { encodeWithinBudget, type EncodedConsentAudio, type Encoder } from './budget.js';
import { prepareRecordingOffThread } from './offThread.js';
import type { PreparedRecording } from './prepare.js';

/** The whole audio path of the pipeline: prepare (in a worker thread), then encode within KFTC's budget. */
export async function consentAudio(wav: Buffer, payerChannel: 1 | 2, encoder: Encoder): Promise<{ prepared: PreparedRecording; encoded: EncodedConsentAudio }> {
  const prepared = await prepareRecordingOffThread(wav, payerChannel);
  const encoded = await encodeWithinBudget(prepared.mono, encoder);
  return { prepared, encoded };
}
