import type pg from 'pg';
import { z } from 'zod';
import type { PayerSnapshot } from './snapshot.js';
import { isValidKoreanPhone } from '../kftc/rules.js';
import { birthDateField, businessNumberField, nameField, payerNumberField } from '../kftc/fields.js';

/** The organisation's customers, as POST /api/payers and the CSV import take them. */
export const payerInputSchema = z
  .object({
    payerNumber: payerNumberField,
    name: nameField,
    birthDate: birthDateField,
    phone: z
      .string()
      .trim()
      .transform((p) => p.replace(/[\s-]/g, ''))
      .refine(isValidKoreanPhone, 'must be a Korean number in E.164 form, e.g. +821012345678'),
    businessNumber: businessNumberField.optional(),
    amountDue: z.number().int('must be whole won').min(0, 'cannot be negative').max(1e12).optional(),
  })
  .strict();

export type PayerInput = z.output<typeof payerInputSchema>;

type PayerRow = {
  payer_number: string;
  name: string;
  birth_date: string;
  phone: string;
  business_number: string | null;
  amount_due: number | null;
};

function toSnapshot(row: PayerRow): PayerSnapshot {
  return {
    payerNumber: row.payer_number,
    name: row.name,
    birthDate: row.birth_date,
    phone: row.phone,
    businessNumber: row.business_number ?? undefined,
    amountDue: row.amount_due ?? undefined,
  };
}

export type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

/** Inserts or updates by payer number; true when it was new. */
export async function upsertPayer(db: Queryable, p: PayerInput): Promise<boolean> {
  const r = await db.query<{ inserted: boolean }>(
    `INSERT INTO payers (payer_number, name, birth_date, phone, business_number, amount_due)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (payer_number) DO UPDATE SET name = $2, birth_date = $3, phone = $4,
       business_number = $5, amount_due = $6, updated_at = now()
     RETURNING (xmax = 0) AS inserted`,
    [p.payerNumber, p.name, p.birthDate, p.phone, p.businessNumber ?? null, p.amountDue ?? null],
  );
  return r.rows[0]!.inserted;
}

export async function findPayersByPhone(db: Queryable, phone: string): Promise<PayerSnapshot[]> {
  const r = await db.query<PayerRow>('SELECT * FROM payers WHERE phone = $1 LIMIT 5', [phone]);
  return r.rows.map(toSnapshot);
}

export async function findPayer(db: Queryable, payerNumber: string): Promise<PayerSnapshot | undefined> {
  const r = await db.query<PayerRow>('SELECT * FROM payers WHERE payer_number = $1', [payerNumber]);
  return r.rows[0] ? toSnapshot(r.rows[0]) : undefined;
}

/** Payers with this name and birth date (at most `limit`). */
export async function findPayersByNameAndBirthDate(db: Queryable, name: string, birthDate: string, limit = 3): Promise<PayerSnapshot[]> {
  const r = await db.query<PayerRow>('SELECT * FROM payers WHERE name = $1 AND birth_date = $2 ORDER BY payer_number LIMIT $3', [name, birthDate, limit]);
  return r.rows.map(toSnapshot);
}
