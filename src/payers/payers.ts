import { z } from 'zod';
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

