/**
 * A Twilio SID: its two-letter prefix and letters and digits (Twilio's are 32 hex digits; test
 * harnesses use others). Only these characters, so a SID is safe in a file path and in SQL.
 */
export function isSid(prefix: 'CA' | 'RE' | 'AC' | 'SM', value: string): boolean {
  return value.startsWith(prefix) && /^[0-9A-Za-z]{3,64}$/.test(value);
}
