/** Dates as KFTC reads them: Korea time (Asia/Seoul, UTC+9, no daylight saving). */

const KST_OFFSET_MS = 9 * 3600 * 1000;

function kstParts(d: Date) {
  const k = new Date(d.getTime() + KST_OFFSET_MS);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return {
    date: `${k.getUTCFullYear()}${p(k.getUTCMonth() + 1)}${p(k.getUTCDate())}`,
    iso: `${k.getUTCFullYear()}-${p(k.getUTCMonth() + 1)}-${p(k.getUTCDate())}T${p(k.getUTCHours())}:${p(k.getUTCMinutes())}:${p(k.getUTCSeconds())}+09:00`,
  };
}

/** YYYYMMDD in Korea. */
export function kstDate(d: Date): string {
  return kstParts(d).date;
}

/** ISO 8601 to the second, in Korea time: 2026-11-22T21:04:05+09:00 */
export function kstIso(d: Date): string {
  return kstParts(d).iso;
}

/** Start of a Korean day given as YYYY-MM-DD or YYYYMMDD; undefined when not a date. */
export function kstDayStart(day: string): Date | undefined {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(day);
  if (!m) return undefined;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) - KST_OFFSET_MS;
  const d = new Date(t);
  return kstDate(d) === `${m[1]}${m[2]}${m[3]}` ? d : undefined;
}
