/**
 * Firm-banking response codes that concern consent evidence (Hyphen's design document V3.8,
 * appendix 1, as summarised in ../shared/kftc-files.md). The document says codes may be added:
 * an unknown code is kept as it is and shown as "알 수 없는 응답코드".
 */

export const ACCEPTED_CODE = '0000';
export const UNKNOWN_CODE_MEANING = '알 수 없는 응답코드';

export const RESPONSE_CODES: Readonly<Record<string, string>> = {
  '0000': '정상',
  '7010': '서비스 불가 (서비스 대상 기관 아님)',
  '7099': '기타 사유로 처리 불가',
  '7104': '금융회사 코드 오류',
  '7105': '출금계좌 번호 오류',
  '7106': '이용기관 코드 오류',
  '7107': '납부자 번호 오류',
  '7108': '예금주 실명번호 종류 오류',
  '7109': '예금주 실명번호 오류',
  '7114': '신규/해지/변경 신청일 오류',
  '7115': '레코드 구분 오류',
  '7116': '파일 구분 코드 오류',
  '7119': '증빙구분 오류 (허용값 이외)',
  '7120': '확장자명 오류 (허용값 이외)',
  '7121': '증빙자료 크기 오류',
  '7122': '증빙 파일 없음',
  '7123': 'Data 건수 불일치 (헤더와 트레일러)',
  '7124': 'Data 총 건수 불일치 (정상 + 오류 ≠ 총 건수)',
  '7125': '기 처리 동의자료의 중복 전송',
  '7126': '미 요청 동의 자료',
  '7161': '펌재판매기관 코드 오류',
  '7162': '하위이용기관 코드 오류',
  '7190': '2개 이상 오류',
  '7199': '기타 FORMAT 오류',
};

/** The Korean meaning of a response code, or "알 수 없는 응답코드". */
export function responseCodeMeaning(code: string): string {
  return RESPONSE_CODES[code] ?? UNKNOWN_CODE_MEANING;
}
