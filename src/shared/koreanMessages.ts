/**
 * Korean sentences for the validation reasons people meet on the pages. The API keeps `field` and
 * the English `reason` integrators match; `message` is this Korean sentence.
 */

const FIELD_NAMES: Record<string, string> = {
  callSid: '통화',
  payerNumber: '납부자번호',
  bankCode: '은행코드',
  accountNumber: '계좌번호',
  birthDate: '생년월일',
  businessNumber: '사업자번호',
  phone: '전화번호',
  name: '이름',
  username: '아이디',
  password: '비밀번호',
  role: '역할',
  organizationCode: '이용기관코드',
  number: '확인번호',
  verificationNumber: '확인번호',
  accountLast: '계좌 끝자리',
  from: '시작일',
  to: '종료일',
};

export function fieldName(field: string | undefined): string {
  return field ? (FIELD_NAMES[field] ?? '입력값') : '입력값';
}

/** A Korean sentence for a field's English validation reason. */
export function koreanValidationMessage(field: string | undefined, reason: string): string {
  const what = fieldName(field);
  if (/is required/.test(reason)) return `${what}을(를) 입력해 주세요.`;
  if (/not a known field/.test(reason)) return '알 수 없는 항목이 들어 있습니다.';
  if (field === 'username' && /lower-case/.test(reason)) return '아이디는 영문 소문자, 숫자, 점(.), 하이픈(-), 밑줄(_)로 3~40자입니다.';
  if (field === 'password' && /at least/.test(reason)) return '비밀번호는 12자 이상이어야 합니다.';
  if (field === 'role') return '역할을 목록에서 골라 주세요.';
  if (field === 'bankCode' && /3-digit/.test(reason)) return '은행코드는 숫자 3자리입니다 (예: 004).';
  if (/unknown bank|no bank|not a KFTC bank/i.test(reason)) return '등록되지 않은 은행코드입니다.';
  const lengths = /must have ([\d or]+) digits for this bank/.exec(reason);
  if (lengths) return `이 은행의 계좌번호는 ${lengths[1]!.split(' or ').join(', ')}자리 숫자입니다.`;
  if (/must have 6 to 14 digits/.test(reason)) return '계좌번호는 숫자 6~14자리입니다.';
  if (field === 'payerNumber' && /no payer/.test(reason)) return '그런 납부자번호의 납부자가 없습니다.';
  if (field === 'callSid' && /not live/.test(reason)) return '이 통화는 이미 끝났거나 상담원 연결 상태가 아닙니다.';
  if (field === 'callSid' && /already in progress/.test(reason)) return '이 통화에서 이미 녹취가 진행 중입니다.';
  if (field === 'callSid' && /no call/.test(reason)) return '그런 통화가 없습니다.';
  if (/16 digits/.test(reason)) return '확인번호는 숫자 16자리입니다.';
  if (/check digit/.test(reason)) return '확인번호의 검증 숫자가 맞지 않습니다. 번호를 다시 확인해 주세요.';
  if (/digits/.test(reason)) return `${what}은(는) 숫자로 입력해 주세요.`;
  if (/date/.test(reason)) return `${what}이(가) 올바른 날짜가 아닙니다.`;
  return `${what}이(가) 올바르지 않습니다.`;
}

/** Korean for the agent flow's other refusals (state conflicts, Twilio failures). */
export function koreanAgentMessage(status: number, field: string | undefined, reason: string): string {
  if (field) return koreanValidationMessage(field, reason);
  if (status === 404) return '그런 녹취가 없습니다.';
  if (status === 409 && /already/.test(reason)) return '이 녹취는 이미 끝났습니다.';
  if (status === 409) return '녹음 상태가 바뀌었습니다. 화면의 상태를 확인해 주세요.';
  if (status === 502) return '전화 서비스(Twilio)가 요청을 처리하지 못했습니다. 다시 시도해 주세요.';
  return '요청을 처리하지 못했습니다.';
}
