import type { Db } from '../db/database.js';
import { searchConsents, type Consent } from '../consents/store.js';
import type { ConsentSearch } from '../consents/search.js';
import { Refusal } from '../shared/refusal.js';
import { kstDayStart } from '../shared/time.js';

/**
 * The auditor page's one door to the consent search. The page only calls `searchConsentsForPage`,
 * which runs the shared consent search (`searchConsents`, as GET /api/consents does). Each bad or
 * repeated filter is a validation Refusal with the field, an English reason and a Korean message.
 */

export type PageFilters = Record<string, string | string[] | undefined>;

export const PAGE_FILTERS = ['phone', 'name', 'payerNumber', 'accountLast', 'verificationNumber', 'methodCode', 'status', 'from', 'to', 'held', 'registration'] as const;

const invalid = (field: string, reason: string, message: string) => new Refusal('validation', reason, { field, message });

/** A Korean phone number in any usual form (010-1234-5678, 01012345678, +821012345678) as stored: +82…. */
export function normalisedPhone(value: string): string {
  const compact = value.replace(/[\s().-]/g, '');
  const national = compact.startsWith('+82') ? `0${compact.slice(3)}` : compact.startsWith('82') && compact.length >= 11 ? `0${compact.slice(2)}` : compact;
  if (!/^0\d{8,10}$/.test(national)) throw invalid('phone', 'must be a Korean phone number', '전화번호는 010-1234-5678처럼 국내 번호로 입력해 주세요.');
  return `+82${national.slice(1)}`;
}

function one(q: PageFilters, field: string): string | undefined {
  const v = q[field];
  if (Array.isArray(v)) throw invalid(field, 'is given more than once', '같은 검색 조건이 두 번 들어 있습니다. 하나만 입력해 주세요.');
  const t = v?.trim();
  return t ? t : undefined;
}

function day(field: string, value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const d = kstDayStart(value);
  if (!d) throw invalid(field, 'must be a date (YYYY-MM-DD)', `${field === 'from' ? '시작일' : '종료일'}이 올바른 날짜가 아닙니다. 2026-11-28처럼 입력해 주세요.`);
  return d;
}

/** Checks the filters; throws a validation Refusal for the first bad one. */
export function checkPageFilters(q: PageFilters) {
  const phone = one(q, 'phone');
  const name = one(q, 'name');
  const payerNumber = one(q, 'payerNumber');
  const accountLast = one(q, 'accountLast');
  const verificationNumber = one(q, 'verificationNumber')?.replace(/[\s-]/g, '');
  const methodCode = one(q, 'methodCode');
  const status = one(q, 'status');
  if (payerNumber && !/^[0-9A-Za-z-]{1,30}$/.test(payerNumber)) throw invalid('payerNumber', 'must be letters and digits', '납부자번호는 영문자와 숫자로 입력해 주세요.');
  if (accountLast && !/^\d{1,6}$/.test(accountLast)) throw invalid('accountLast', 'must be 1 to 6 digits', '계좌 끝자리는 숫자 1~6자리로 입력해 주세요.');
  if (verificationNumber && !/^\d{16}$/.test(verificationNumber)) throw invalid('verificationNumber', 'must be 16 digits', '확인번호는 숫자 16자리입니다.');
  if (methodCode && methodCode !== '4' && methodCode !== '5') throw invalid('methodCode', 'must be 4 or 5', '방법은 ARS 또는 상담원 녹취 중에서 골라 주세요.');
  if (status && !['ready', 'evidence_failed', 'sent'].includes(status)) throw invalid('status', 'must be ready, evidence_failed or sent', '상태를 목록에서 골라 주세요.');
  const held = one(q, 'held');
  const registration = one(q, 'registration');
  if (held && held !== 'true' && held !== 'false') throw invalid('held', 'must be true or false', '보존 조치를 목록에서 골라 주세요.');
  if (registration && !['accepted', 'rejected', 'resubmitted', 'none'].includes(registration)) {
    throw invalid('registration', 'must be accepted, rejected, resubmitted or none', '등록 결과를 목록에서 골라 주세요.');
  }
  const from = day('from', one(q, 'from'));
  const to = day('to', one(q, 'to'));
  if (from && to && from > to) throw invalid('to', 'is before from', '종료일이 시작일보다 앞섭니다.');
  return { phone: phone ? normalisedPhone(phone) : undefined, name, payerNumber, accountLast, verificationNumber, methodCode, status, from, to, held, registration };
}

/** The consents the auditor's search finds (newest first, at most 200): the page's checks and messages, the store's one search. */
export async function searchConsentsForPage(db: Db, q: PageFilters): Promise<Consent[]> {
  const f = checkPageFilters(q);
  const search: ConsentSearch = {};
  if (f.payerNumber) search.payerNumber = f.payerNumber;
  if (f.name) search.name = f.name;
  if (f.phone) search.phone = f.phone;
  if (f.accountLast) search.accountLast = f.accountLast;
  if (f.verificationNumber) search.verificationNumber = f.verificationNumber;
  if (f.methodCode) search.methodCode = Number(f.methodCode) as 4 | 5;
  if (f.status) search.status = f.status as NonNullable<ConsentSearch['status']>;
  if (f.held) search.held = f.held === 'true';
  if (f.registration) search.registration = f.registration as NonNullable<ConsentSearch['registration']>;
  if (f.from) search.from = f.from;
  if (f.to) search.to = new Date(f.to.getTime() + 86_400_000);
  return searchConsents(db, search, 200);
}
