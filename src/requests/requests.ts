import { z } from 'zod';
import { maskPhone } from '../shared/mask.js';
import { isValidKoreanPhone } from '../kftc/rules.js';
import { accountNumberField, bankCodeField, birthDateField, businessNumberField, nameField, payerNumberField } from '../kftc/fields.js';
import { kstIso } from '../shared/time.js';

/**
 * Outbound consent requests (method 5): an organisation's website asks the service to call a payer,
 * shows the payer a 2-digit code, and the payer keys it in after the readback. Rules and rows here;
 * placing the call and delivering the completion callback are jobs (requests/consentRequests.ts).
 */

export const requestInputSchema = z
  .object({
    payerNumber: payerNumberField.optional(),
    name: nameField.optional(),
    birthDate: birthDateField.optional(),
    businessNumber: businessNumberField.optional(),
    phone: z
      .string({ error: 'is required' })
      .trim()
      // A website may send the domestic form (010-1234-5678): it is called as +821012345678.
      .transform((p) => p.replace(/[\s-]/g, '').replace(/^0(?=[1-9]\d{7,9}$)/, '+82'))
      .refine(isValidKoreanPhone, 'must be a Korean phone number, e.g. +821012345678 or 010-1234-5678'),
    bankCode: bankCodeField,
    accountNumber: accountNumberField,
    scenario: z.string().trim().min(1).optional(),
    // Checked for a public target by the use case (callbackTarget.ts): here only its type.
    callbackUrl: z.string({ error: 'must be an https URL' }).optional(),
  })
  .strict();

export type RequestInput = z.output<typeof requestInputSchema>;

export type RequestStatus = 'queued' | 'ringing' | 'in-progress' | 'no-answer' | 'busy' | 'consented' | 'declined' | 'failed';

export type RequestRow = {
  id: string;
  organization_code: string;
  scenario_id: string;
  payer_number: string;
  holder_name: string;
  birth_date: string;
  business_number: string | null;
  phone: string;
  bank_code: string;
  account_number: string;
  code: string;
  callback_url: string | null;
  status: RequestStatus;
  reason: string | null;
  call_sid: string | null;
  consent_id: string | null;
  not_before: Date;
  call_attempted_at: Date | null;
  requested_by: string;
  callback_state: string | null;
  callback_attempts: number;
  callback_error: string | null;
  idempotency_key: string | null;
  body_sha256: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
};

export type ConsentSummary = { id: string; status: string; verification_number: string; method_code: number; file_bytes: number; file_sha256: string; consented_at: Date };

/** The request as the API and the callback show it. */
export function requestJson(r: RequestRow, consent: ConsentSummary | undefined): Record<string, unknown> {
  return {
    id: r.id,
    status: r.status,
    reason: r.reason,
    code: r.code,
    organizationCode: r.organization_code,
    scenario: r.scenario_id,
    payerNumber: r.payer_number,
    phone: maskPhone(r.phone),
    bankCode: r.bank_code,
    callSid: r.call_sid,
    consentId: r.consent_id,
    consent: consent
      ? {
          id: consent.id,
          status: consent.status,
          methodCode: consent.method_code,
          verificationNumber: consent.verification_number,
          fileSize: consent.file_bytes,
          sha256: consent.file_sha256,
          consentedAt: kstIso(consent.consented_at),
        }
      : null,
    scheduledFor: kstIso(r.not_before),
    createdAt: kstIso(r.created_at),
    finishedAt: r.finished_at ? kstIso(r.finished_at) : null,
    callback: r.callback_url ? { url: r.callback_url, state: r.callback_state, attempts: r.callback_attempts, lastError: r.callback_error } : null,
  };
}

/** Minutes after midnight in Korea. */
function kstMinutes(d: Date): number {
  return (((d.getUTCHours() + 9) % 24) * 60 + d.getUTCMinutes()) % 1440;
}

/** When a call may be placed: now, or the end of the quiet hours (Korea time) it falls in. */
export function nextCallTime(now: Date, quiet: { from: number; to: number } | undefined): Date {
  if (!quiet) return now;
  const m = kstMinutes(now);
  const inQuiet = quiet.from < quiet.to ? m >= quiet.from && m < quiet.to : m >= quiet.from || m < quiet.to;
  if (!inQuiet) return now;
  const minuteStart = Math.floor(now.getTime() / 60_000) * 60_000;
  return new Date(minuteStart + ((quiet.to - m + 1440) % 1440) * 60_000);
}
