import { detectDtmfInFrames, speechSeconds, SPEECH, timeAfterSpeech, type Frames } from '../audio/analysis.js';
import { classifySpeech } from '../shared/spokenAnswers.js';

/**
 * The evidence check (R1-R3): does this recording hold what a dispute needs, and nothing before
 * the readback? Pure: it reads the call's event log and the two tracks' frame analysis.
 */

export type CallEvent = { id: number; at: Date; kind: string; step: string; detail: Record<string, any> };

export type EvidenceCheck = { name: string; ok: boolean; reason: string };
export type Evidence = { passed: boolean; checks: EvidenceCheck[] };

export type RecordingFacts = {
  attempt: number;
  durationSeconds: number;
  /** RecordingDuration from Twilio's callback, when given. */
  declaredSeconds: number | undefined;
  truncated: boolean;
  payerFrames: Frames;
  arsFrames: Frames;
  consentBy: 'key' | 'voice';
  speech: string | undefined;
  /** What the payer keyed in to consent ('1', or the code a website showed); its last key tone is looked for. */
  consentKey?: string | undefined;
};

/** About how long a prompt takes to say: Korean TTS speaks some 7 syllables a second at its fastest. */
export function estimatedSpeechSeconds(text: string): number {
  const units = (text.match(/[\uac00-\ud7a30-9]/g) ?? []).length;
  return units / 7;
}

const MIN_SHARE_OF_ESTIMATE = 0.6;

export function checkEvidence(events: CallEvent[], rec: RecordingFacts): Evidence {
  const checks: EvidenceCheck[] = [];
  const add = (name: string, ok: boolean, reason: string) => checks.push({ name, ok, reason });

  const started = events.find((e) => e.kind === 'recordingStarted' && e.detail.attempt === rec.attempt);
  const identityOk = events.find((e) => e.kind === 'check' && e.detail.ok === true && e.detail.identity);
  const readback = started && events.find((e) => e.id > started.id && e.kind === 'prompt' && e.detail.evidence === 'readback');
  const announcement = started && events.find((e) => e.id > started.id && e.kind === 'prompt' && e.detail.evidence === 'consentAnnouncement');
  const consentInput = readback && events.filter((e) => e.id > readback.id && e.kind === 'input' && e.step === 'confirm').at(-1);
  const identityAfterStart = started && events.some((e) => e.id > started.id && e.step === 'identity');

  // 1. The recording starts at the readback, after the identity check (R3).
  if (!started) add('startsAtReadback', false, `no recording start for attempt ${rec.attempt} in the call's event log`);
  else if (!identityOk) add('startsAtReadback', false, 'no successful identity check before the recording');
  else if (identityOk.id > started.id || identityAfterStart) add('startsAtReadback', false, 'the identity check is not wholly before the recording start');
  else add('startsAtReadback', true, `recording started ${secondsBetween(identityOk.at, started.at)} s after the identity check, right before the readback`);

  // 2. The readback was played whole, before the consent, and the recording can hold it.
  if (!readback || !consentInput || !announcement) {
    add('readbackWhole', false, 'the readback, the answer or the announcement is missing from the event log after the recording start');
  } else {
    const question = events.find((e) => e.id > readback.id && e.kind === 'prompt' && e.detail.gather);
    const needed = estimatedSpeechSeconds(readback.detail.text) * MIN_SHARE_OF_ESTIMATE;
    const arsSpeech = speechSeconds(rec.arsFrames, 0, rec.durationSeconds);
    const total = needed + estimatedSpeechSeconds(String(question?.detail.text ?? '') + String(announcement.detail.text)) * MIN_SHARE_OF_ESTIMATE;
    if (!(readback.id < consentInput.id)) add('readbackWhole', false, 'the answer came before the readback');
    else if (rec.durationSeconds < total) add('readbackWhole', false, `the recording is ${rec.durationSeconds.toFixed(1)} s, too short for the readback, question and announcement (at least ${total.toFixed(1)} s)`);
    else if (arsSpeech < needed) add('readbackWhole', false, `the ARS track carries ${arsSpeech.toFixed(1)} s of speech, less than the readback needs (${needed.toFixed(1)} s)`);
    else add('readbackWhole', true, `readback before the answer; ${arsSpeech.toFixed(1)} s of ARS speech in a ${rec.durationSeconds.toFixed(1)} s recording`);
  }

  // 3. The recording is complete.
  checks.push(completeness(rec));

  // 4. The consent itself (R2).
  if (rec.consentBy === 'key') {
    const offset = started && announcement ? secondsBetween(started.at, announcement.at) : Number.NaN;
    const lastKey = (rec.consentKey ?? '1').slice(-1);
    const keys = detectDtmfInFrames(rec.payerFrames).filter((k) => k.key === lastKey);
    const keyAt = keys.at(-1)?.atSeconds;
    // Where the answer was given: the key tone on the payer's track, else the gap before the ARS's last block of speech.
    const blocks = speechBlocks(rec.arsFrames);
    const from = keyAt ?? (blocks.length >= 2 ? blocks.at(-1)!.from : rec.durationSeconds);
    const arsAfter = speechSeconds(rec.arsFrames, from, rec.durationSeconds);
    const needed = announcement ? Math.min(1, estimatedSpeechSeconds(announcement.detail.text) * 0.3) : 1;
    if (!announcement) add('consentAnnounced', false, 'no announcement of the pressed key in the event log');
    else if (!(offset <= rec.durationSeconds + 1)) add('consentAnnounced', false, `the announcement was played ${offset.toFixed(1)} s after the recording start, after its end`);
    else if (arsAfter < needed) add('consentAnnounced', false, `the ARS track has ${arsAfter.toFixed(1)} s of speech after the key press: the announcement is not on the recording`);
    else add('consentAnnounced', true, `"${announcement.detail.text}" is on the ARS track (${arsAfter.toFixed(1)} s of speech after ${keyAt === undefined ? 'the answer' : `the key tone at ${keyAt.toFixed(1)} s`})`);
  } else {
    const answer = rec.speech ? classifySpeech(rec.speech) : 'unclear';
    const window = answerWindow(rec.arsFrames, rec.durationSeconds);
    const payerSpeech = speechSeconds(rec.payerFrames, window.from, window.to);
    if (answer !== 'yes') add('payerSaidYes', false, `the recognised answer "${rec.speech ?? ''}" is not a yes`);
    else if (payerSpeech < 0.25) add('payerSaidYes', false, `the payer's track has ${payerSpeech.toFixed(2)} s of speech in the answer window (${window.from.toFixed(1)}-${window.to.toFixed(1)} s): the spoken yes is not on the recording`);
    else add('payerSaidYes', true, `"${rec.speech}" recognised; ${payerSpeech.toFixed(1)} s of the payer's voice between ${window.from.toFixed(1)} s and ${window.to.toFixed(1)} s`);
  }

  return { passed: checks.every((c) => c.ok), checks };
}

function completeness(rec: { truncated: boolean; declaredSeconds: number | undefined; durationSeconds: number }): EvidenceCheck {
  if (rec.truncated) return { name: 'complete', ok: false, reason: 'the WAV holds fewer bytes than its header declares (truncated)' };
  if (rec.declaredSeconds !== undefined && rec.durationSeconds + 1.5 < rec.declaredSeconds) {
    return { name: 'complete', ok: false, reason: `the audio is ${rec.durationSeconds.toFixed(1)} s but Twilio reported ${rec.declaredSeconds} s` };
  }
  return { name: 'complete', ok: true, reason: `${rec.durationSeconds.toFixed(1)} s of audio, as reported` };
}

function secondsBetween(a: Date, b: Date): number {
  return Math.round((b.getTime() - a.getTime()) / 100) / 10;
}

/**
 * The answer lies between the end of the ARS's long first block of speech (readback and question)
 * and the start of its last block (the announcement); the whole recording when those cannot be told.
 */
export function answerWindow(arsFrames: Frames, durationSeconds: number): { from: number; to: number } {
  const blocks = speechBlocks(arsFrames);
  if (blocks.length < 2) return { from: 0, to: durationSeconds };
  return { from: blocks[0]!.to, to: blocks.at(-1)!.from + 0.3 };
}

/** Stretches of speech on a track, split by pauses of 0.8 s or more. */
export function speechBlocks(arsFrames: Frames): { from: number; to: number }[] {
  const blocks: { from: number; to: number }[] = [];
  let start = -1;
  let gap = 0;
  const frameSeconds = 0.02;
  [...arsFrames].forEach((f, i) => {
    if (f === SPEECH) {
      if (start < 0) start = i;
      gap = 0;
    } else if (start >= 0 && ++gap >= 40) {
      blocks.push({ from: start * frameSeconds, to: (i - gap + 1) * frameSeconds });
      start = -1;
      gap = 0;
    }
  });
  if (start >= 0) blocks.push({ from: start * frameSeconds, to: (arsFrames.length - gap) * frameSeconds });
  return blocks;
}

/** What the agent console logged of a marked part: start, pauses, resumes and the finish. */
export type AgentEvent = { at: Date; kind: string; detail: Record<string, any> };

export type AgentRecordingFacts = {
  script: string;
  durationSeconds: number;
  declaredSeconds: number | undefined;
  truncated: boolean;
  payerFrames: Frames;
  /** The agent's side of the call. */
  agentFrames: Frames;
};

/**
 * The evidence check of an agent's recorded call (method 4, R1-R3): only the marked part was
 * recorded, the agent read the script, the file is whole, and the payer's own voice answers it.
 */
export function checkAgentEvidence(events: AgentEvent[], rec: AgentRecordingFacts): Evidence {
  const checks: EvidenceCheck[] = [];
  const add = (name: string, ok: boolean, reason: string) => checks.push({ name, ok, reason });

  const start = events.find((e) => e.kind === 'start');
  const finish = events.find((e) => e.kind === 'finish');
  const pauses = events.filter((e) => e.kind === 'pause').length;
  const resumes = events.filter((e) => e.kind === 'resume').length;
  // 1. Only the marked part: recorded from Start to the agent's answer, paused parts left out (R3).
  if (!start || !finish) add('markedPart', false, 'the start or the finish of the marked part is missing from its log');
  else if (finish.detail.result !== 'consented') add('markedPart', false, `the agent marked the answer as ${finish.detail.result}`);
  else if (pauses !== resumes && !(pauses === resumes + 1 && finish.detail.whilePaused)) add('markedPart', false, `${pauses} pauses but ${resumes} resumes`);
  else {
    add('markedPart', true, `recorded from Start to the agent's answer ${secondsBetween(start.at, finish.at)} s later${pauses ? `, ${pauses} pause${pauses > 1 ? 's' : ''} left out` : ''}; nothing before or after is on the recording`);
  }

  // 2. The agent read the script with every R1 item.
  const needed = estimatedSpeechSeconds(rec.script) * MIN_SHARE_OF_ESTIMATE;
  const agentSpeech = speechSeconds(rec.agentFrames, 0, rec.durationSeconds);
  if (agentSpeech < needed) add('scriptRead', false, `the agent's track carries ${agentSpeech.toFixed(1)} s of speech, less than the script needs (${needed.toFixed(1)} s)`);
  else add('scriptRead', true, `${agentSpeech.toFixed(1)} s of the agent's speech for a script of about ${(needed / MIN_SHARE_OF_ESTIMATE).toFixed(1)} s`);

  // 3. The recording is complete.
  checks.push(completeness(rec));

  // 4. The payer's own voice after the script (R2): after the agent has spoken long enough to have
  // read it, however the agent paused while reading.
  const from = timeAfterSpeech(rec.agentFrames, needed);
  const payerSpeech = speechSeconds(rec.payerFrames, from, rec.durationSeconds);
  if (payerSpeech < 0.25) add('payerSaidYes', false, `the payer's track has ${payerSpeech.toFixed(2)} s of speech after the script (from ${from.toFixed(1)} s): the answer is not on the recording`);
  else add('payerSaidYes', true, `${payerSpeech.toFixed(1)} s of the payer's voice after the script (from ${from.toFixed(1)} s); the agent marked it as consent`);

  return { passed: checks.every((c) => c.ok), checks };
}
