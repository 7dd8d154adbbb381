import type { Db } from '../db/database.js';
import type { PayerInput } from './payers.js';
import type { PayerSnapshot } from './snapshot.js';

/** The `payers` table: the organisation's customers. Every payer SQL statement lives here. */

type PayerRow = {
  payer_number: string;
  name: string;
  birth_date: string;
  phone: string;
  business_number: string | null;
  amount_due: number | null;
};

/** A payer on file: the shape a call sees it in (snapshot.ts); absent fields are undefined, not null. */
export type Payer = PayerSnapshot;

function toPayer(row: PayerRow): Payer {
  return {
    payerNumber: row.payer_number,
    name: row.name,
    birthDate: row.birth_date,
    phone: row.phone,
    businessNumber: row.business_number ?? undefined,
    amountDue: row.amount_due ?? undefined,
  };
}

const UPSERT = `INSERT INTO payers (payer_number, name, birth_date, phone, business_number, amount_due)
  VALUES ($1, $2, $3, $4, $5, $6)
  ON CONFLICT (payer_number) DO UPDATE SET name = $2, birth_date = $3, phone = $4,
    business_number = $5, amount_due = $6, updated_at = now()
  RETURNING (xmax = 0) AS inserted`;
const COLUMNS = 'payer_number, name, birth_date, phone, business_number, amount_due';
/** Asked by the webhooks (every call, every identity step): prepared once per connection, by name. */
const BY_NUMBER = { name: 'payer-by-number', text: `SELECT ${COLUMNS} FROM payers WHERE payer_number = $1` };
const BY_PHONE = { name: 'payers-by-phone', text: `SELECT ${COLUMNS} FROM payers WHERE phone = $1 LIMIT 5` };
const BY_NAME_AND_BIRTH_DATE = 'SELECT * FROM payers WHERE name = $1 AND birth_date = $2 ORDER BY (phone = $3) DESC LIMIT 3';
const BY_NAME_AND_BIRTH_DATE_IN_ORDER = 'SELECT * FROM payers WHERE name = $1 AND birth_date = $2 ORDER BY payer_number LIMIT $3';
const SEARCH = `SELECT * FROM payers
  WHERE payer_number = $1 OR payer_number LIKE $2 OR name LIKE $2 ORDER BY (payer_number = $1) DESC, name LIMIT 20`;

/** Inserts or updates by payer number; true when it was new. */
export async function upsertPayer(db: Db, p: PayerInput): Promise<boolean> {
  const r = await db.query<{ inserted: boolean }>(UPSERT, [p.payerNumber, p.name, p.birthDate, p.phone, p.businessNumber ?? null, p.amountDue ?? null]);
  return r.rows[0]!.inserted;
}

export async function findPayer(db: Db, payerNumber: string): Promise<Payer | undefined> {
  const r = await db.query<PayerRow>({ ...BY_NUMBER, values: [payerNumber] });
  return r.rows[0] ? toPayer(r.rows[0]) : undefined;
}

/** At most five payers with this phone (the ARS finds the caller by the calling number). */
export async function findPayersByPhone(db: Db, phone: string): Promise<Payer[]> {
  return (await db.query<PayerRow>({ ...BY_PHONE, values: [phone] })).rows.map(toPayer);
}

/** At most three payers with this name and birth date, the one with this phone first. */
export async function findPayersByNameAndBirthDate(db: Db, name: string, birthDate: string, phone: string): Promise<Payer[]> {
  return (await db.query<PayerRow>(BY_NAME_AND_BIRTH_DATE, [name, birthDate, phone])).rows.map(toPayer);
}

/** Payers with this name and birth date (at most `limit`), by payer number. */
export async function payersByNameAndBirthDate(db: Db, name: string, birthDate: string, limit = 3): Promise<Payer[]> {
  return (await db.query<PayerRow>(BY_NAME_AND_BIRTH_DATE_IN_ORDER, [name, birthDate, limit])).rows.map(toPayer);
}

/** The agent console's search: a payer number exactly or by prefix, or a name by prefix (20 at most). */
export async function searchPayers(db: Db, term: string): Promise<Payer[]> {
  return (await db.query<PayerRow>(SEARCH, [term, `${term.replace(/[%_\\]/g, '\\$&')}%`])).rows.map(toPayer);
}
