/** How the pages write dates, sizes and durations for Korean readers (Korea time). */

const KST_OFFSET_MS = 9 * 3600 * 1000;
const pad = (n: number) => String(n).padStart(2, '0');

function kst(value: Date | string): Date | undefined {
  const d = value instanceof Date ? value : new Date(value);
  return Number.isFinite(d.getTime()) ? new Date(d.getTime() + KST_OFFSET_MS) : undefined;
}

/** "2026년 11월 28일 07:25:40" in Korea time. */
export function koreanDateTime(value: Date | string | null | undefined): string {
  if (value === null || value === undefined) return '';
  const k = kst(value);
  if (!k) return String(value);
  return `${k.getUTCFullYear()}년 ${k.getUTCMonth() + 1}월 ${k.getUTCDate()}일 ${pad(k.getUTCHours())}:${pad(k.getUTCMinutes())}:${pad(k.getUTCSeconds())}`;
}

/** "07:25:40" in Korea time. */
export function koreanTime(value: Date | string | null | undefined): string {
  if (value === null || value === undefined) return '';
  const k = kst(value);
  return k ? `${pad(k.getUTCHours())}:${pad(k.getUTCMinutes())}:${pad(k.getUTCSeconds())}` : String(value);
}

/** "2026년 11월 28일" from YYYYMMDD or YYYY-MM-DD. */
export function koreanDay(day: string | null | undefined): string {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(day ?? '');
  return m ? `${m[1]}년 ${Number(m[2])}월 ${Number(m[3])}일` : String(day ?? '');
}

/** "234 KB", "1.2 MB". */
export function fileSize(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** "1분 5초", "42초". */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '';
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}분 ${s % 60}초` : `${s}초`;
}

/** A Korean phone number in the domestic form with hyphens: +821012345678 → 010-1234-5678. */
export function domesticPhone(phone: string | null | undefined): string {
  if (!phone) return '';
  const digits = phone.startsWith('+82') ? `0${phone.slice(3)}` : phone;
  const m = /^(01\d|02|0\d\d)(\d{3,4})(\d{4})$/.exec(digits.replace(/[^\d*]/g, '')) ?? /^(01\d|02|0\d\d)([\d*]{3,4})([\d*]{4})$/.exec(digits);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : digits;
}
