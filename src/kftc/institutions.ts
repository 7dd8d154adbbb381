import { readFileSync } from 'node:fs';

/**
 * KFTC financial-institution codes. The TSV beside this file is a verbatim copy of
 * shared/data/kftc-institution-codes.tsv (KFTC's representative codes as of 2026-06-25, with the
 * account lengths of the CMS account-numbering table of 2026-05-08); a test keeps them identical.
 */

export type InstitutionKind = 'bank' | 'securities' | 'capital' | 'card' | 'insurance' | 'other' | 'legacy';

export type Institution = {
  code: string;
  name: string;
  kind: InstitutionKind;
  /** For a legacy code, the code of the institution that holds it today. */
  nowCode: string | undefined;
  /** Known account-number lengths; empty when none is known. */
  accountLengths: number[];
};

export const INSTITUTIONS_TSV = new URL('./kftc-institution-codes.tsv', import.meta.url);

export function parseInstitutions(tsv: string): Map<string, Institution> {
  const rows = tsv.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = rows.shift();
  if (header !== 'code\tname\tkind\tnow_code\taccount_lengths') throw new Error('institution table: unexpected header');
  const table = new Map<string, Institution>();
  for (const row of rows) {
    const [code = '', name = '', kind = '', nowCode = '', lengths = ''] = row.split('\t');
    if (!/^\d{3}$/.test(code)) throw new Error(`institution table: bad code ${code}`);
    table.set(code, {
      code,
      name,
      kind: kind as InstitutionKind,
      nowCode: nowCode || undefined,
      accountLengths: lengths ? lengths.split(',').map(Number) : [],
    });
  }
  return table;
}

const table = parseInstitutions(readFileSync(INSTITUTIONS_TSV, 'utf8'));

export function findInstitution(code: string): Institution | undefined {
  return table.get(code);
}

/** The name to read back: for a legacy code, today's institution (the payer keeps the code entered). */
export function spokenInstitutionName(institution: Institution): string {
  if (institution.nowCode) {
    const now = table.get(institution.nowCode);
    if (now) return now.name;
  }
  return institution.name.replace(/\s*\(legacy code\)$/, '');
}

export type AccountCheck =
  | { ok: true; bankCode: string; bankName: string; accountNumber: string }
  | { ok: false; reason: 'format' | 'unknownBank' | 'accountLength' };

export const MAX_ACCOUNT_DIGITS = 14;

/** Checks a bank code and account number as KFTC's table allows them. */
export function checkAccount(bankCode: string, accountNumber: string): AccountCheck {
  if (!/^\d{3}$/.test(bankCode) || !/^\d+$/.test(accountNumber)) return { ok: false, reason: 'format' };
  const institution = table.get(bankCode);
  if (!institution) return { ok: false, reason: 'unknownBank' };
  if (accountNumber.length > MAX_ACCOUNT_DIGITS || accountNumber.length < 6) return { ok: false, reason: 'accountLength' };
  if (institution.accountLengths.length > 0 && !institution.accountLengths.includes(accountNumber.length)) {
    return { ok: false, reason: 'accountLength' };
  }
  return { ok: true, bankCode, bankName: spokenInstitutionName(institution), accountNumber };
}
