/** KFTC registration-data rules (DESIGN.md §2, R6). Pure functions, no I/O. */

export type ServiceType = 'giro' | 'cms' | 'firmBanking';

export function organizationCodeProblem(serviceType: ServiceType, code: string): string | undefined {
  switch (serviceType) {
    case 'giro':
      return /^\d{7}$/.test(code) ? undefined : 'a giro organisation code is 7 digits';
    case 'cms':
      return /^99\d{8}$/.test(code) ? undefined : 'a CMS organisation code is 10 digits starting with 99';
    case 'firmBanking':
      return /^[A-Za-z0-9]{1,20}$/.test(code) ? undefined : 'a firm-banking organisation code is at most 20 letters and digits';
  }
}

/** A real calendar date in YYYYMMDD, not in the future, not before 1900. */
export function isValidBirthDate(yyyymmdd: string, today = new Date()): boolean {
  if (!/^\d{8}$/.test(yyyymmdd)) return false;
  const y = Number(yyyymmdd.slice(0, 4));
  const m = Number(yyyymmdd.slice(4, 6));
  const d = Number(yyyymmdd.slice(6, 8));
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return false;
  return y >= 1900 && date.getTime() <= today.getTime();
}

/** KFTC's holder id for an individual: YYMMDD (CMS rejects a resident number: failure 0091). */
export function birthDateYYMMDD(yyyymmdd: string): string {
  return yyyymmdd.slice(2);
}

/** 사업자등록번호: 10 digits whose last is the check digit (weights 1,3,7,1,3,7,1,3,5). */
export function isValidBusinessNumber(number: string): boolean {
  if (!/^\d{10}$/.test(number)) return false;
  const digits = [...number].map(Number);
  const weights = [1, 3, 7, 1, 3, 7, 1, 3, 5];
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += digits[i]! * weights[i]!;
  sum += Math.floor((digits[8]! * 5) / 10);
  return (10 - (sum % 10)) % 10 === digits[9];
}

/** The organisation's own payer number: letters and digits only, at most 30 (the EI13 field). */
export function isValidPayerNumber(payerNumber: string): boolean {
  return /^[A-Za-z0-9]{1,30}$/.test(payerNumber);
}

/** A Korean mobile or landline number in E.164. */
export function isValidKoreanPhone(phone: string): boolean {
  return /^\+82[1-9]\d{7,9}$/.test(phone);
}
