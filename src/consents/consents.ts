import { findInstitution, spokenInstitutionName } from '../kftc/institutions.js';
import type { Evidence } from './evidence.js';
import { kstIso } from '../shared/time.js';
import type { Consent } from './store.js';

export type ConsentStatus = 'ready' | 'evidence_failed' | 'sent';

export type NewConsent = {
  id: string;
  callSid: string;
  recordingSid: string;
  attempt: number;
  status: ConsentStatus;
  methodCode: 4 | 5;
  consentBy: 'key' | 'voice';
  serviceType: string;
  organizationCode: string;
  organizationName: string;
  scenarioId: string;
  payerNumber: string;
  holderName: string;
  holderIdKind: 'birthDate' | 'businessNumber';
  holderId: string;
  phone: string | undefined;
  bankCode: string;
  accountNumber: string;
  applicationDate: string;
  consentedAt: Date;
  verificationNumber: string;
  fileExtension: string;
  filePath: string;
  fileBytes: number;
  fileSha256: string;
  bitrateKbps: number;
  durationSeconds: number;
  encoder: string;
  evidence: Evidence;
  /** The signed time mark (compact JWS), fixed once stored. */
  timeMark?: string | undefined;
};

/** The consent record as the API shows it (camelCase; dates in Korea time). */
export function consentJson(c: Consent): Record<string, unknown> {
  const institution = findInstitution(c.bankCode);
  return {
    id: c.id,
    status: c.status,
    methodCode: c.methodCode,
    consentBy: c.consentBy,
    callSid: c.callSid,
    recordingSid: c.recordingSid,
    serviceType: c.serviceType,
    organizationCode: c.organizationCode,
    organizationName: c.organizationName,
    payerNumber: c.payerNumber,
    holderName: c.holderName,
    ...(c.holderIdKind === 'businessNumber' ? { businessNumber: c.holderId } : { birthDate: c.holderId }),
    bankCode: c.bankCode,
    bankName: institution ? spokenInstitutionName(institution) : undefined,
    accountNumber: c.accountNumber,
    applicationDate: c.applicationDate,
    consentedAt: kstIso(c.consentedAt),
    verificationNumber: c.verificationNumber,
    fileExtension: c.fileExtension,
    fileSize: c.fileBytes,
    sha256: c.fileSha256,
    bitrateKbps: c.bitrateKbps,
    durationSeconds: c.durationSeconds,
    encoder: c.encoder,
    evidence: c.evidence,
    timeMark: c.timeMark ?? null,
    sentAt: c.sentAt ? kstIso(c.sentAt) : null,
    endedAt: c.endedAt ? kstIso(c.endedAt) : null,
    supersededAt: c.supersededAt ? kstIso(c.supersededAt) : null,
    createdAt: kstIso(c.createdAt),
  };
}
