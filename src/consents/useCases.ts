import type { Db } from '../db/database.js';
import { logAccess } from '../audit/store.js';
import { sha256File } from '../shared/files.js';
import { Refusal } from '../shared/refusal.js';
import { kstDayStart } from '../shared/time.js';
import { parseConsentSearch } from './search.js';
import { consentById, endConsent, searchConsents, type Consent } from './store.js';

/** What an auditor or admin does with consent records, over the consents store; routes and pages stay thin around these. */

/** Who did it, for the access log. */
export type Actor = { actor: string; remote: string | undefined };

/** The consent with this id, or a not-found refusal (the API's 404, the page's 찾을 수 없음). */
export async function consentOrRefuse(db: Db, id: string): Promise<Consent> {
  const consent = await consentById(db, id);
  if (!consent) throw new Refusal('not-found', 'no consent with that id', { message: '그런 출금동의가 없습니다.' });
  return consent;
}

/** The one consent search: the query string as given (API or page), newest first. Refuses a bad filter. */
export async function findConsents(db: Db, query: Record<string, unknown>, limit: number): Promise<Consent[]> {
  return searchConsents(db, parseConsentSearch(query), limit);
}

export type FileCheck = { result: 'intact' | 'altered' | 'missing'; actualSha256: string | undefined };

/** "Verify now": re-hashes the stored file against the record's SHA-256, and logs that it was checked. */
export async function verifyConsentFile(db: Db, consent: Consent, by: Actor): Promise<FileCheck> {
  const actual = await sha256File(consent.filePath).catch(() => undefined);
  const result = actual === undefined ? 'missing' : actual === consent.fileSha256 ? 'intact' : 'altered';
  await logAccess(db, { ...by, action: 'verify', target: `consent:${consent.id}`, detail: { result } });
  return { result, actualSha256: actual };
}

/** The organisation reports the auto-debit ended (today, or on a past day): the retention clock starts (R7). */
export async function endAutoDebit(db: Db, consent: Consent, endedOn: unknown, by: Actor): Promise<Consent> {
  const at = endedOn === undefined ? new Date() : typeof endedOn === 'string' ? kstDayStart(endedOn) : undefined;
  if (!at || at.getTime() > Date.now()) {
    throw new Refusal('validation', 'must be a past or present date as YYYY-MM-DD', { field: 'endedOn', message: '종료일은 오늘 또는 지난 날짜(YYYY-MM-DD)여야 합니다.' });
  }
  await endConsent(db, consent.id, at);
  await logAccess(db, { ...by, action: 'end', target: `consent:${consent.id}`, detail: { endedOn: at.toISOString() } });
  return (await consentById(db, consent.id))!;
}
