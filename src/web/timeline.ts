import { koreanTime } from './format.js';
import { label, outcomeKind, step as stepLabel, transferReason } from './labels.js';

/** A call's event log as sentences a Korean auditor reads: "08:14:05 생년월일 입력 (확인됨)". */

export type CallEventRow = { at: Date | string; step: string; kind: string; detail: Record<string, unknown> };

const checkFailure: Record<string, string> = {
  errorNoInput: '입력 없음',
  errorInvalidChoice: '잘못된 선택',
  errorPayerNotFound: '납부자를 찾지 못함',
  errorIdentity: '본인 확인 불일치',
  errorAccountFormat: '계좌번호 형식 오류',
  errorBankCode: '없는 은행코드',
  errorAccountLength: '계좌번호 자릿수 오류',
  errorSpeech: '음성 답변 인식 실패',
  errorCode: '확인 숫자 불일치',
  declined: '동의 거부',
  notHolder: '예금주 아님',
};

const callStatus: Record<string, string> = {
  completed: '통화 종료',
  busy: '통화 중',
  'no-answer': '받지 않음',
  failed: '연결 실패',
  canceled: '취소됨',
  'in-progress': '통화 중',
  ringing: '신호 가는 중',
  queued: '대기',
  initiated: '발신 시작',
  answered: '받음',
};

function quote(text: unknown, max = 60): string {
  const s = String(text ?? '');
  return `“${s.length > max ? `${s.slice(0, max)}…` : s}”`;
}

export function describeEvent(e: CallEventRow): string {
  const d = e.detail ?? {};
  const at = label(stepLabel, e.step);
  switch (e.kind) {
    case 'prompt':
      if (d.evidence === 'readback') return `낭독 재생 시작 ${quote(d.text)}`;
      if (d.evidence === 'consentAnnouncement') return `동의 입력 안내 재생 ${quote(d.text)}`;
      return `${d.gather ? '질문' : '안내'} ${quote(d.text)}`;
    case 'recordingStarted':
      return `녹음 시작 (${Number(d.attempt ?? 1)}번째)`;
    case 'input':
      if (d.kind === 'start') return `전화 연결 · 발신 번호로 찾은 납부자 ${Number(d.payersMatchingCaller ?? 0)}명`;
      if (d.bankCode !== undefined) return `계좌 입력 (은행코드 ${String(d.bankCode)})`;
      if (d.speech !== undefined) return `${at} 음성 답변 ${quote(d.speech)}`;
      if (d.digits === '') return `${at} 입력 없음`;
      return `${at} 입력${d.digits !== undefined && e.step !== 'identity' ? ` (${String(d.digits)})` : ''}`;
    case 'check':
      if (d.ok === true) {
        if (d.identity === 'consentRequest') return '동의 요청 확인 숫자 일치 (확인됨)';
        if (d.identity) return `${at} 입력 (확인됨)`;
        if (d.bankCode) return `계좌 확인됨 (${String(d.bankName ?? d.bankCode)})`;
        if (d.payerFound) return '납부자 확인됨';
        if (d.smsSent) return '인증문자 발송';
        return `${at} 확인됨`;
      }
      return `${at} 확인 실패: ${label(checkFailure, d.reason)}${d.attempt ? ` (${Number(d.attempt)}회째)` : ''}`;
    case 'outcome':
      return `통화 결과: ${label(outcomeKind, d.kind)}${d.reason && transferReason[String(d.reason)] ? ` (${label(transferReason, d.reason)})` : ''}`;
    case 'dial':
      return '상담원에게 연결';
    case 'hangup':
      return 'ARS가 통화를 끊음';
    case 'replay':
      return '안내 다시 듣기';
    case 'note':
      return '시뮬레이터 메모';
    case 'callStatus':
      return `통화 상태: ${label(callStatus, d.status)}${d.duration ? ` (${String(d.duration)}초)` : ''}`;
    default:
      return `${at} 처리`;
  }
}

/** Events of the same second joined by " · ", each line starting with its Korea time. */
export function timeline(events: CallEventRow[]): string[] {
  const lines: { time: string; parts: string[] }[] = [];
  for (const e of events) {
    const time = koreanTime(e.at);
    const last = lines.at(-1);
    if (last && last.time === time) last.parts.push(describeEvent(e));
    else lines.push({ time, parts: [describeEvent(e)] });
  }
  return lines.map((l) => `${l.time} ${l.parts.join(' · ')}`);
}
