import { findInstitution, spokenInstitutionName } from '../kftc/institutions.js';
import { isValidBirthDate } from '../kftc/rules.js';
import { kstIso } from '../shared/time.js';

/**
 * The ARS's voice check of a consent ("출금동의 확인"): a caller keys in the verification number
 * and the holder's birthdate and hears what was consented to. Pure: the store reads the row, this
 * decides what the caller may hear. Nothing about the consent leaves here unless the birthdate
 * matches.
 */

export type ConsentCheckStatus = 'registered' | 'ended' | 'superseded' | 'notRegistered';

/** What the caller hears, once the number and the birthdate match. */
export type CheckedConsent = {
  organizationName: string;
  bankName: string;
  accountLast4: string;
  /** ISO 8601 in Korea time, to the second. */
  consentedAt: string;
  status: ConsentCheckStatus;
};

export type ConsentCheckAnswer = { found: 'none' } | { found: 'wrongBirthDate' } | { found: 'consent'; consent: CheckedConsent };

/** The consent row as the verification store reads it for the voice check. */
export type ConsentForVoiceCheck = {
  organizationName: string;
  bankCode: string;
  accountNumber: string;
  consentedAt: Date;
  status: string;
  endedAt: Date | null;
  supersededAt: Date | null;
  holderIdKind: string;
  /** YYMMDD for a person, the business number for a company. */
  holderId: string;
  /** The payer's birthdate on file (YYYYMMDD), when the payer is still on file. */
  payerBirthDate: string | null;
};

/**
 * Whether the keyed-in birthdate is the holder's: a person's consent holds the birthdate (YYMMDD)
 * it was given with, and the payer on file, when still there, must agree to the century; a
 * company's consent is checked against its payer's birthdate on file.
 */
export function birthDateMatches(row: ConsentForVoiceCheck, birthDate: string): boolean {
  if (!/^\d{8}$/.test(birthDate) || !isValidBirthDate(birthDate)) return false;
  if (row.holderIdKind === 'birthDate') {
    if (row.holderId !== birthDate.slice(2)) return false;
    // The consent keeps YYMMDD; the payer on file, when it still has that date, gives the century.
    const payerGivesCentury = row.payerBirthDate !== null && row.payerBirthDate.slice(2) === row.holderId;
    return payerGivesCentury ? row.payerBirthDate === birthDate : true;
  }
  return row.payerBirthDate !== null && row.payerBirthDate === birthDate;
}

function statusOf(row: ConsentForVoiceCheck): ConsentCheckStatus {
  if (row.status !== 'ready' && row.status !== 'sent') return 'notRegistered';
  if (row.endedAt) return 'ended';
  if (row.supersededAt) return 'superseded';
  return 'registered';
}

export function answerVoiceCheck(row: ConsentForVoiceCheck | undefined, birthDate: string): ConsentCheckAnswer {
  if (!row) return { found: 'none' };
  if (!birthDateMatches(row, birthDate)) return { found: 'wrongBirthDate' };
  const institution = findInstitution(row.bankCode);
  return {
    found: 'consent',
    consent: {
      organizationName: row.organizationName,
      bankName: institution ? spokenInstitutionName(institution) : row.bankCode,
      accountLast4: row.accountNumber.slice(-4),
      consentedAt: kstIso(row.consentedAt),
      status: statusOf(row),
    },
  };
}
