import { isValidKoreanPhone } from '../kftc/rules.js';
import { Refusal } from '../shared/refusal.js';
import { kstDayStart } from '../shared/time.js';
import { isSid } from '../telephony/sids.js';

/**
 * The one consent search, for `GET /api/consents` and the auditor's page `/consents`: the query
 * string parsed into filters. A filter that is not known, given twice or not valid is refused
 * (never dropped, which would list everything); an empty one is not given.
 */
export type ConsentSearch = {
  /** E.164, whichever Korean form was typed. */
  phone?: string;
  /** Part of the holder's name. */
  name?: string;
  /** The start of a payer number. */
  payerNumber?: string;
  /** The account number's last 1 to 6 digits. */
  accountLast?: string;
  /** 16 digits. */
  verificationNumber?: string;
  from?: Date;
  /** The end, excluded (after a day: the next day's start). */
  to?: Date;
  /** The end, included (an instant given to the second). */
  toInclusive?: Date;
  methodCode?: 4 | 5;
  status?: 'ready' | 'evidence_failed' | 'sent';
  callSid?: string;
  /** Under a legal hold (true) or not (false). */
  held?: boolean;
  /** The FB0120 registration result, or none yet. */
  registration?: 'accepted' | 'rejected' | 'resubmitted' | 'none';
};

/** What people read: the field's name in Korean. */
const LABELS: Record<string, string> = {
  phone: '전화번호', name: '예금주 이름', payerNumber: '납부자번호', accountLast: '계좌 끝자리', verificationNumber: '확인번호',
  from: '시작일', to: '종료일', methodCode: '방법', status: '상태', callSid: '통화 ID', held: '법적 보존', registration: '등록 결과',
};

/** The auditor's page names two filters as its form always did. */
const ALIASES: Record<string, string> = { account: 'accountLast', method: 'methodCode' };

const FILTERS = ['phone', 'name', 'payerNumber', 'accountLast', 'verificationNumber', 'from', 'to', 'methodCode', 'status', 'callSid', 'held', 'registration'] as const;
type Filter = (typeof FILTERS)[number];

function refuse(field: string, reason: string, korean: string): never {
  throw new Refusal('validation', reason, { field, message: `${LABELS[field] ?? field}: ${korean}` });
}

/** A Korean phone number as stored: 010-1234-5678, 01012345678 and +821012345678 are one number. */
export function normalizeKoreanPhone(typed: string): string | undefined {
  const compact = typed.replace(/[\s().-]/g, '');
  const e164 = compact.startsWith('+') ? compact : compact.startsWith('82') ? `+${compact}` : compact.replace(/^0(?=[1-9])/, '+82');
  return isValidKoreanPhone(e164) ? e164 : undefined;
}

/** Dates are Korean days (YYYY-MM-DD or YYYYMMDD), both ends included, or ISO 8601 instants. */
function instant(field: 'from' | 'to', value: string): { at: Date; day: boolean } {
  const day = kstDayStart(value);
  if (day) return { at: field === 'to' ? new Date(day.getTime() + 86_400_000) : day, day: true };
  const t = Date.parse(value);
  if (/^\d{4}-\d{2}-\d{2}T/.test(value) && Number.isFinite(t)) return { at: new Date(t), day: false };
  return refuse(field, 'must be a date (YYYY-MM-DD) or an ISO 8601 time', '날짜(YYYY-MM-DD) 형식이 아닙니다.');
}

function parseOne(search: ConsentSearch, field: Filter, raw: string): void {
  const value = raw.trim();
  switch (field) {
    case 'phone': {
      const phone = normalizeKoreanPhone(value);
      if (!phone) refuse(field, 'must be a Korean phone number, e.g. 010-1234-5678 or +821012345678', '전화번호 형식이 아닙니다 (예: 010-1234-5678).');
      search.phone = phone;
      return;
    }
    case 'name':
      if (value.length > 50) refuse(field, 'at most 50 characters', '50자 이내로 입력해 주세요.');
      search.name = value;
      return;
    case 'payerNumber':
      if (!/^[A-Za-z0-9]{1,30}$/.test(value)) refuse(field, 'letters and digits, at most 30', '영문과 숫자 30자 이내로 입력해 주세요.');
      search.payerNumber = value;
      return;
    case 'accountLast':
      if (!/^\d{1,6}$/.test(value)) refuse(field, 'the last 1 to 6 digits of the account number', '계좌번호 끝자리 숫자 1~6자리를 입력해 주세요.');
      search.accountLast = value;
      return;
    case 'verificationNumber': {
      const digits = value.replace(/[\s-]/g, '');
      if (!/^\d{16}$/.test(digits)) refuse(field, 'must be 16 digits (hyphens and spaces allowed)', '확인번호 16자리를 입력해 주세요.');
      search.verificationNumber = digits;
      return;
    }
    case 'from':
      search.from = instant('from', value).at;
      return;
    case 'to': {
      const to = instant('to', value);
      if (to.day) search.to = to.at;
      else search.toInclusive = to.at;
      return;
    }
    case 'methodCode':
      if (value !== '4' && value !== '5') refuse(field, 'must be 4 or 5', '4(녹취) 또는 5(ARS)만 됩니다.');
      search.methodCode = Number(value) as 4 | 5;
      return;
    case 'status':
      if (value !== 'ready' && value !== 'evidence_failed' && value !== 'sent') refuse(field, 'must be ready, evidence_failed or sent', 'ready, evidence_failed, sent 중 하나여야 합니다.');
      search.status = value;
      return;
    case 'callSid':
      if (!isSid('CA', value)) refuse(field, 'must be a CallSid', '통화 ID(CA로 시작) 형식이 아닙니다.');
      search.callSid = value;
      return;
    case 'held':
      if (value !== 'true' && value !== 'false') refuse(field, 'must be true or false', 'true 또는 false만 됩니다.');
      search.held = value === 'true';
      return;
    case 'registration':
      if (value !== 'accepted' && value !== 'rejected' && value !== 'resubmitted' && value !== 'none') {
        refuse(field, 'must be accepted, rejected, resubmitted or none', 'accepted, rejected, resubmitted, none 중 하나여야 합니다.');
      }
      search.registration = value;
      return;
  }
}

/** Parses a query string (as express gives it) into the search; throws a validation Refusal naming the field. */
export function parseConsentSearch(query: Record<string, unknown>): ConsentSearch {
  const search: ConsentSearch = {};
  const seen = new Set<Filter>();
  for (const [name, raw] of Object.entries(query)) {
    const field = (ALIASES[name] ?? name) as Filter;
    if (!(FILTERS as readonly string[]).includes(field)) refuse(name, 'is not a known filter', '알 수 없는 검색 조건입니다.');
    if (Array.isArray(raw) || seen.has(field)) refuse(field, 'is given more than once', '한 번만 입력해 주세요.');
    if (typeof raw !== 'string') refuse(field, 'must be text', '형식이 맞지 않습니다.');
    seen.add(field);
    if (raw.trim() === '') continue;
    parseOne(search, field, raw);
  }
  const from = search.from?.getTime();
  const empty = from !== undefined && ((search.to && search.to.getTime() <= from) || (search.toInclusive && search.toInclusive.getTime() < from));
  if (empty) refuse('to', 'is before from', '종료일이 시작일보다 앞섭니다.');
  return search;
}
