import { detectDtmfInFrames, speechSeconds, SPEECH, timeAfterSpeech, type Frames } from '../audio/analysis.js';
import { classifySpeech } from '../shared/spokenAnswers.js';

/**
 * The evidence check (R1-R3): does this recording hold what a dispute needs, and nothing before
 * the readback? Pure: it reads the call's event log and the two tracks' frame analysis.
 */

export type CallEvent = { id: number; at: Date; kind: string; step: string; detail: Record<string, any> };

/** `name` is the stable key of the check; `reason` is a Korean sentence for the auditor and the agent. */
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
  if (!started) add('startsAtReadback', false, `통화 기록에 ${rec.attempt}번째 녹음 시작이 없습니다`);
  else if (!identityOk) add('startsAtReadback', false, '녹음 전에 통과한 본인 확인이 없습니다');
  else if (identityOk.id > started.id || identityAfterStart) add('startsAtReadback', false, '본인 확인이 녹음 시작 전에 모두 끝나지 않았습니다');
  else add('startsAtReadback', true, `본인 확인 ${secondsBetween(identityOk.at, started.at)}초 뒤, 낭독 직전에 녹음이 시작되었습니다`);

  // 2. The readback was played whole, before the consent, and the recording can hold it.
  if (!readback || !consentInput || !announcement) {
    add('readbackWhole', false, '녹음 시작 뒤의 통화 기록에 낭독, 답변 또는 입력 안내가 없습니다');
  } else {
    const question = events.find((e) => e.id > readback.id && e.kind === 'prompt' && e.detail.gather);
    const needed = estimatedSpeechSeconds(readback.detail.text) * MIN_SHARE_OF_ESTIMATE;
    const arsSpeech = speechSeconds(rec.arsFrames, 0, rec.durationSeconds);
    const total = needed + estimatedSpeechSeconds(String(question?.detail.text ?? '') + String(announcement.detail.text)) * MIN_SHARE_OF_ESTIMATE;
    if (!(readback.id < consentInput.id)) add('readbackWhole', false, '낭독보다 답변이 먼저 입력되었습니다');
    else if (rec.durationSeconds < total) add('readbackWhole', false, `녹음이 ${rec.durationSeconds.toFixed(1)}초로, 낭독·질문·안내를 담기에 짧습니다 (최소 ${total.toFixed(1)}초)`);
    else if (arsSpeech < needed) add('readbackWhole', false, `ARS 쪽 음성이 ${arsSpeech.toFixed(1)}초로, 낭독에 필요한 ${needed.toFixed(1)}초보다 짧습니다`);
    else add('readbackWhole', true, `답변 전에 낭독됨: ${rec.durationSeconds.toFixed(1)}초 녹음 중 ARS 음성 ${arsSpeech.toFixed(1)}초`);
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
    if (!announcement) add('consentAnnounced', false, '통화 기록에 누른 번호의 안내가 없습니다');
    else if (!(offset <= rec.durationSeconds + 1)) add('consentAnnounced', false, `안내가 녹음 시작 ${offset.toFixed(1)}초 뒤, 녹음이 끝난 뒤에 재생되었습니다`);
    else if (arsAfter < needed) add('consentAnnounced', false, `번호 입력 뒤 ARS 음성이 ${arsAfter.toFixed(1)}초뿐입니다: 안내가 녹음에 없습니다`);
    else add('consentAnnounced', true, `“${announcement.detail.text}” 안내가 녹음에 있습니다 (${keyAt === undefined ? '답변' : `${keyAt.toFixed(1)}초의 번호 입력음`} 뒤 ARS 음성 ${arsAfter.toFixed(1)}초)`);
  } else {
    const answer = rec.speech ? classifySpeech(rec.speech) : 'unclear';
    const window = answerWindow(rec.arsFrames, rec.durationSeconds);
    const payerSpeech = speechSeconds(rec.payerFrames, window.from, window.to);
    if (answer !== 'yes') add('payerSaidYes', false, `인식된 답변 “${rec.speech ?? ''}”은(는) 동의가 아닙니다`);
    else if (payerSpeech < 0.25) add('payerSaidYes', false, `답변 구간(${window.from.toFixed(1)}~${window.to.toFixed(1)}초)에 납부자 음성이 ${payerSpeech.toFixed(2)}초뿐입니다: 동의 음성이 녹음에 없습니다`);
    else add('payerSaidYes', true, `“${rec.speech}” 인식됨: ${window.from.toFixed(1)}~${window.to.toFixed(1)}초에 납부자 음성 ${payerSpeech.toFixed(1)}초`);
  }

  return { passed: checks.every((c) => c.ok), checks };
}

function completeness(rec: { truncated: boolean; declaredSeconds: number | undefined; durationSeconds: number }): EvidenceCheck {
  if (rec.truncated) return { name: 'complete', ok: false, reason: '녹음 파일이 헤더에 적힌 길이보다 짧습니다 (잘림)' };
  if (rec.declaredSeconds !== undefined && rec.durationSeconds + 1.5 < rec.declaredSeconds) {
    return { name: 'complete', ok: false, reason: `녹음은 ${rec.durationSeconds.toFixed(1)}초인데 Twilio는 ${rec.declaredSeconds}초라고 알렸습니다` };
  }
  return { name: 'complete', ok: true, reason: `알린 길이대로 ${rec.durationSeconds.toFixed(1)}초 녹음` };
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
  if (!start || !finish) add('markedPart', false, '표시한 부분의 시작 또는 끝이 기록에 없습니다');
  else if (finish.detail.result !== 'consented') add('markedPart', false, `상담원이 답변을 ${finish.detail.result === 'declined' ? '거부' : String(finish.detail.result)}(으)로 표시했습니다`);
  else if (pauses !== resumes && !(pauses === resumes + 1 && finish.detail.whilePaused)) add('markedPart', false, `일시정지 ${pauses}번, 재개 ${resumes}번으로 맞지 않습니다`);
  else {
    add('markedPart', true, `녹음 시작부터 ${secondsBetween(start.at, finish.at)}초 뒤 상담원의 답변 표시까지 녹음${pauses ? `, 일시정지 ${pauses}번 제외` : ''}; 그 앞뒤는 녹음에 없습니다`);
  }

  // 2. The agent read the script with every R1 item.
  const needed = estimatedSpeechSeconds(rec.script) * MIN_SHARE_OF_ESTIMATE;
  const agentSpeech = speechSeconds(rec.agentFrames, 0, rec.durationSeconds);
  if (agentSpeech < needed) add('scriptRead', false, `상담원 음성이 ${agentSpeech.toFixed(1)}초로, 안내문 낭독에 필요한 ${needed.toFixed(1)}초보다 짧습니다`);
  else add('scriptRead', true, `약 ${(needed / MIN_SHARE_OF_ESTIMATE).toFixed(1)}초 분량의 안내문에 상담원 음성 ${agentSpeech.toFixed(1)}초`);

  // 3. The recording is complete.
  checks.push(completeness(rec));

  // 4. The payer's own voice after the script (R2): after the agent has spoken long enough to have
  // read it, however the agent paused while reading.
  const from = timeAfterSpeech(rec.agentFrames, needed);
  const payerSpeech = speechSeconds(rec.payerFrames, from, rec.durationSeconds);
  if (payerSpeech < 0.25) add('payerSaidYes', false, `안내문 뒤(${from.toFixed(1)}초부터) 납부자 음성이 ${payerSpeech.toFixed(2)}초뿐입니다: 답변이 녹음에 없습니다`);
  else add('payerSaidYes', true, `안내문 뒤(${from.toFixed(1)}초부터) 납부자 음성 ${payerSpeech.toFixed(1)}초, 상담원이 동의로 표시`);

  return { passed: checks.every((c) => c.ok), checks };
}
