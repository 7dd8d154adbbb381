/**
 * A payer and the account it keyed in, as a call sees them: plain data shared by the engine, the
 * payer store, the recording pipeline and the evidence check (no module here imports the engine).
 */

export type PayerSnapshot = {
  payerNumber: string;
  name: string;
  birthDate: string;
  phone: string;
  businessNumber?: string | undefined;
  amountDue?: number | undefined;
};

export type AccountEntry = { bankCode: string; bankName: string; accountNumber: string };
