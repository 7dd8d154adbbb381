import { z } from 'zod';
import { checkAccount, findInstitution, type AccountCheck } from './institutions.js';
import { isValidBirthDate, isValidBusinessNumber, isValidPayerNumber } from './rules.js';

/** Input fields the API takes in more than one place, with the reasons it gives for them. */

export const payerNumberField = z.string().trim().refine(isValidPayerNumber, 'letters and digits only, at most 30 characters');
export const nameField = z.string().trim().min(1, 'is required').max(40, 'at most 40 characters');
export const birthDateField = z.string().trim().refine((v) => isValidBirthDate(v), 'must be a real date as YYYYMMDD');
export const businessNumberField = z
  .string()
  .trim()
  .transform((b) => b.replace(/-/g, ''))
  .refine(isValidBusinessNumber, 'must be 10 digits with a valid check digit');
export const bankCodeField = z.string({ error: 'is required' }).trim().regex(/^\d{3}$/, 'must be the 3-digit KFTC bank code');
/** Dashes and spaces as people write them are dropped; what is left must be digits. */
export const accountNumberField = z
  .string({ error: 'is required' })
  .trim()
  .transform((a) => a.replace(/[\s-]/g, ''))
  .refine((a) => /^\d+$/.test(a), 'digits only');

/** Checks a bank code and account number as the ARS does; a refusal names the field and says why. */
export function checkAccountFields(bankCode: string, accountNumber: string): Extract<AccountCheck, { ok: true }> | { ok: false; field: string; reason: string } {
  const account = checkAccount(bankCode, accountNumber);
  if (account.ok) return account;
  if (account.reason === 'unknownBank') return { ok: false, field: 'bankCode', reason: "is not a bank code in KFTC's institution table" };
  const lengths = findInstitution(bankCode)?.accountLengths ?? [];
  return { ok: false, field: 'accountNumber', reason: lengths.length ? `must have ${lengths.join(' or ')} digits for this bank` : 'must have 6 to 14 digits' };
}
