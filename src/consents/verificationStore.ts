import { z } from 'zod';
import type { Db } from '../db/database.js';
import type { ConsentForVoiceCheck } from './voiceCheck.js';

/** Consents read by their verification number (the ARS's voice check). */

const CONSENT_FOR_VOICE_CHECK = `
  SELECT c.organization_name, c.bank_code, c.account_number, c.consented_at, c.status,
         c.ended_at, c.superseded_at, c.holder_id_kind, c.holder_id, p.birth_date AS payer_birth_date
    FROM consents c
    LEFT JOIN payers p ON p.payer_number = c.payer_number
   WHERE c.verification_number = $1`;

const consentForVoiceCheckRow = z
  .object({
    organization_name: z.string(),
    bank_code: z.string(),
    account_number: z.string(),
    consented_at: z.date(),
    status: z.string(),
    ended_at: z.date().nullable(),
    superseded_at: z.date().nullable(),
    holder_id_kind: z.string(),
    holder_id: z.string(),
    payer_birth_date: z.string().nullable(),
  })
  .transform(
    (r): ConsentForVoiceCheck => ({
      organizationName: r.organization_name,
      bankCode: r.bank_code,
      accountNumber: r.account_number,
      consentedAt: r.consented_at,
      status: r.status,
      endedAt: r.ended_at,
      supersededAt: r.superseded_at,
      holderIdKind: r.holder_id_kind,
      holderId: r.holder_id,
      payerBirthDate: r.payer_birth_date,
    }),
  );

export async function findConsentForVoiceCheck(db: Db, verificationNumber: string): Promise<ConsentForVoiceCheck | undefined> {
  const r = await db.query({ name: 'consent-for-voice-check', text: CONSENT_FOR_VOICE_CHECK, values: [verificationNumber] });
  return r.rows[0] ? consentForVoiceCheckRow.parse(r.rows[0]) : undefined;
}
