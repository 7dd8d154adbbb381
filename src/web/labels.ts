/**
 * Korean words for every code the pages show: one place, so a page never prints a raw code.
 * `label(table, code)` falls back to the code itself only for values this list does not know yet.
 */

export const consentStatus: Record<string, string> = {
  ready: '등록 완료',
  evidence_failed: '증거 검사 불합격',
  sent: '전송됨',
};

export const serviceType: Record<string, string> = {
  giro: '지로',
  cms: '자동이체(CMS)',
  firmBanking: '펌뱅킹',
};

export const method: Record<string, string> = {
  '4': '상담원 녹취',
  '5': 'ARS',
};

export const consentBy: Record<string, string> = {
  key: '번호 입력',
  voice: '음성 답변',
  agent: '상담원 확인',
};

/** Names of the evidence checks (`evidence.checks[].name`). */
export const evidenceCheck: Record<string, string> = {
  startsAtReadback: '본인 확인 후 낭독부터 녹음',
  readbackWhole: '동의 내용 낭독 전체 녹음',
  complete: '녹음 파일 온전함',
  consentAnnounced: '동의 입력 안내 녹음',
  payerSaidYes: '납부자 본인의 동의 음성',
  markedPart: '표시한 부분만 녹음',
  scriptRead: '안내문 낭독',
};

/** Actions in the access log. */
export const accessAction: Record<string, string> = {
  replay: '재생',
  download: '내려받기',
  verify: '무결성 검증',
  export: '전송 파일 생성',
  'consent-request': '동의 요청',
  'create-user': '사용자 생성',
  'update-user': '사용자 변경',
  'read-callback-secret': '콜백 비밀값 조회',
  'agent-consent-start': '녹취 시작',
  'agent-consent-pause': '녹취 일시정지',
  'agent-consent-resume': '녹취 재개',
  'agent-consent-consented': '동의로 표시',
  'agent-consent-declined': '거부로 표시',
  purge: '보존기간 만료 삭제',
  end: '종료',
  hold: '보존 조치',
  release: '보존 해제',
  'receipt-view': '확인서 열람',
  'receipt-denied': '확인서 생년월일 불일치',
  'receipt-locked': '확인서 잠김',
  'registration-rejected': '금융결제원 반려',
  resubmit: '수정 후 재전송',
  'audit-package': '감사 자료 묶음',
  view: '열람',
  'read-payer': '납부자 조회',
  'list-payers': '납부자 목록 조회',
  'consent-request-refused': '동의 요청 거절',
  'purge-non-consent': '미동의 기록 삭제',
  'import-result': '결과 파일 반영',
  'kftc-settings': '금융결제원 설정 변경',
  deny: '접근 거부',
};

/** The registration result KFTC returned (FB0120), and the search's choices for it. */
export const registrationStatus: Record<string, string> = {
  accepted: '정상 등록',
  rejected: '반려',
  resubmitted: '수정 후 재전송 대기',
};
export const registrationFilter: Record<string, string> = { ...registrationStatus, none: '결과 없음' };

/** The search's choices for a legal hold. */
export const heldFilter: Record<string, string> = {
  true: '보존 중',
  false: '보존 아님',
};

/** How a call ended (`calls.outcome` and the engine's outcome kinds). */
export const outcomeKind: Record<string, string> = {
  consented: '동의',
  notHolder: '예금주 아님',
  transferred: '상담원 연결',
  failed: '실패',
  declined: '거부',
  abandoned: '중간에 끊음',
  finished: '종료',
};

/** Why a call reached an agent. */
export const transferReason: Record<string, string> = {
  requested: '상담원 연결 요청',
  maxAttempts: 'ARS 입력 실패',
  notHolder: '예금주 아님',
  smsFailed: '인증문자 실패',
};

/** Steps of the ARS scenario. */
export const step: Record<string, string> = {
  menu: '첫 안내',
  payerNumber: '납부자번호',
  identity: '생년월일 확인',
  holderCheck: '예금주 확인',
  account: '계좌 확인',
  confirm: '동의 확인',
  ended: '종료',
};

/** States of an agent's marked part. */
export const agentState: Record<string, string> = {
  recording: '녹음 중',
  paused: '일시정지 (녹음 안 됨)',
  consented: '동의 — 녹음 종료',
  declined: '거부 — 녹음 종료 (증거 아님)',
  failed: '실패',
};

/** The events of an agent's marked part. */
export const agentEvent: Record<string, string> = {
  start: '녹음 시작',
  pause: '일시정지',
  resume: '재개',
  finish: '답변 표시 · 녹음 종료',
};

export const role: Record<string, string> = {
  admin: '관리자',
  agent: '상담원',
  auditor: '감사 담당자',
  integration: '연동 시스템',
};

export const pipelineState: Record<string, string> = {
  pending: '대기',
  downloading: '내려받는 중',
  processing: '처리 중',
  done: '완료',
  failed: '실패',
};

export function label(table: Record<string, string>, code: unknown): string {
  const key = String(code ?? '');
  return table[key] ?? key;
}
