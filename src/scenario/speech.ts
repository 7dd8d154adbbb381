/** How numbers and dates are spoken in the ARS (DESIGN.md §3): digit by digit, dates without leading zeros. */

const DIGIT_WORDS = ['공', '일', '이', '삼', '사', '오', '육', '칠', '팔', '구'] as const;

/** "0812" -> "공 팔 일 이": one word a digit, so no voice reads it as a number. */
export function spokenDigits(digits: string): string {
  return [...digits].map((d) => DIGIT_WORDS[Number(d)] ?? d).join(' ');
}

/** "19940424" -> "1994년 4월 24일" */
export function spokenDate(yyyymmdd: string): string {
  const year = yyyymmdd.slice(0, 4);
  const month = Number(yyyymmdd.slice(4, 6));
  const day = Number(yyyymmdd.slice(6, 8));
  return `${year}년 ${month}월 ${day}일`;
}

/**
 * "2026-11-28T15:05:09+09:00" (Korea time) -> "2026년 11월 28일 오후 3시 5분": the date and the time
 * as people say them, on the 12-hour clock, minutes left out on the hour.
 */
export function spokenDateTime(kstIso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(kstIso);
  if (!m) return kstIso;
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const halfDay = hour < 12 ? '오전' : '오후';
  const clock = hour % 12 === 0 ? 12 : hour % 12;
  return `${spokenDate(`${m[1]}${m[2]}${m[3]}`)} ${halfDay} ${clock}시${minute ? ` ${minute}분` : ''}`;
}

/** 123456 -> "123,456원" */
export function spokenWon(amount: number): string {
  return `${amount.toLocaleString('en-US')}원`;
}

/** Replaces {placeholder}s; an unknown one is a bug caught by scenario validation, so it stays visible. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}

export function placeholdersOf(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
}
