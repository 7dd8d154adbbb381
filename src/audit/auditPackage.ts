import { createHash } from 'node:crypto';
import type pg from 'pg';
import yazl from 'yazl';
import { consentJson } from '../consents/consents.js';
import { parseConsentSearch } from '../consents/search.js';
import { consentById, searchConsents, type Consent } from '../consents/store.js';
import { activeHold } from '../consents/holdStore.js';
import { registrationOf } from '../export/resultStore.js';
import { sha256File } from '../shared/files.js';
import { Refusal } from '../shared/refusal.js';
import { kstIso } from '../shared/time.js';
import { accessLogFor, logAccess, verifyAccessLogChain } from './accessLog.js';

/**
 * An audit package (R7; what an organisation exempted from sending evidence produces on KFTC's
 * request): one ZIP with each consent's MP3, a manifest (JSON and CSV: every KFTC field with the
 * account number in full, SHA-256, verification number, consent time, evidence-check result) and
 * the access-log lines of those consents with the state of the log's hash chain.
 */

export const MAX_PACKAGE_CONSENTS = 5000;

/** The consent search's filters (see src/consents/search.ts), as text. */
export type ConsentFilter = Record<string, string | undefined>;

export type PackageSelection = { consentIds?: string[] | undefined; filters?: (ConsentFilter & { organizationCode?: string | undefined }) | undefined };

export type ManifestEntry = {
  consentId: string;
  file: string | null;
  organizationCode: string;
  organizationName: string;
  serviceType: string;
  payerNumber: string;
  holderName: string;
  holderIdKind: string;
  holderId: string;
  bankCode: string;
  accountNumber: string;
  applicationDate: string;
  methodCode: number;
  fileExtension: string;
  fileSize: number;
  sha256: string;
  sha256OfStoredFile: string | null;
  intact: boolean;
  verificationNumber: string;
  consentedAt: string;
  evidencePassed: boolean;
  evidence: unknown;
  status: string;
  sentAt: string | null;
  endedAt: string | null;
  registrationStatus: string | null;
  registrationCode: string | null;
  hold: string | null;
};

const CSV_COLUMNS: (keyof ManifestEntry)[] = [
  'consentId', 'file', 'organizationCode', 'organizationName', 'serviceType', 'payerNumber', 'holderName', 'holderIdKind', 'holderId', 'bankCode',
  'accountNumber', 'applicationDate', 'methodCode', 'fileExtension', 'fileSize', 'sha256', 'sha256OfStoredFile', 'intact', 'verificationNumber',
  'consentedAt', 'evidencePassed', 'status', 'sentAt', 'endedAt', 'registrationStatus', 'registrationCode', 'hold',
];

/** RFC 4180: every field quoted, quotes doubled; CRLF line ends; a BOM so spreadsheet software reads the Korean as UTF-8. */
function csv(entries: ManifestEntry[]): Buffer {
  const q = (v: unknown) => `"${String(v ?? '').replaceAll('"', '""')}"`;
  const lines = [CSV_COLUMNS.map(q).join(','), ...entries.map((e) => CSV_COLUMNS.map((k) => q(e[k])).join(','))];
  return Buffer.from(`\ufeff${lines.join('\r\n')}\r\n`, 'utf8');
}

/** The one consent search over the package's filters; a bad filter is refused as `filters.<name>`. */
async function searchFiltered(pool: pg.Pool, filter: ConsentFilter, limit: number): Promise<Consent[]> {
  const given = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined));
  try {
    return await searchConsents(pool, parseConsentSearch(given), limit);
  } catch (err) {
    if (err instanceof Refusal && err.kind === 'validation' && err.field) {
      throw new Refusal('validation', err.reason, { field: `filters.${err.field}`, ...(err.koreanMessage ? { message: err.koreanMessage } : {}) });
    }
    throw err;
  }
}

async function selectConsents(pool: pg.Pool, s: PackageSelection): Promise<Consent[]> {
  if (s.consentIds?.length) {
    if (s.consentIds.length > MAX_PACKAGE_CONSENTS) throw new Refusal('validation', `at most ${MAX_PACKAGE_CONSENTS} consents a package`, { field: 'consentIds' });
    const rows: Consent[] = [];
    for (const id of [...new Set(s.consentIds)]) {
      const row = await consentById(pool, id);
      if (!row) throw new Refusal('not-found', `no consent ${id}`, { field: 'consentIds', message: `동의 ${id}가 없습니다.` });
      rows.push(row);
    }
    return rows;
  }
  if (!s.filters) throw new Refusal('validation', 'give consentIds or filters', { field: 'consentIds' });
  const { organizationCode, ...filter } = s.filters;
  const rows = (await searchFiltered(pool, filter, MAX_PACKAGE_CONSENTS + 1)).filter((r) => !organizationCode || r.organizationCode === organizationCode);
  if (rows.length > MAX_PACKAGE_CONSENTS) throw new Refusal('validation', `the filters select more than ${MAX_PACKAGE_CONSENTS} consents: narrow them`, { field: 'filters' });
  if (rows.length === 0) throw new Refusal('not-found', 'no consent matches the filters', { field: 'filters', message: '조건에 맞는 동의가 없습니다.' });
  return rows.reverse(); // oldest first
}

export type AuditPackage = { count: number; manifestSha256: string; fileName: string; zip: NodeJS.ReadableStream };

export async function buildAuditPackage(pool: pg.Pool, selection: PackageSelection, who: { actor: string; remote: string | undefined }): Promise<AuditPackage> {
  const rows = await selectConsents(pool, selection);
  const entries: ManifestEntry[] = [];
  const accessLog: { consentId: string; entries: unknown[] }[] = [];
  for (const row of rows) {
    const c = consentJson(row) as Record<string, any>;
    const actual = await sha256File(row.filePath).catch(() => null);
    const registration = await registrationOf(pool, row.id);
    const hold = await activeHold(pool, row.id);
    entries.push({
      consentId: row.id, file: actual ? `audio/${row.id}.${row.fileExtension}` : null, organizationCode: row.organizationCode,
      organizationName: row.organizationName, serviceType: row.serviceType, payerNumber: row.payerNumber, holderName: row.holderName,
      holderIdKind: row.holderIdKind, holderId: row.holderId, bankCode: row.bankCode, accountNumber: row.accountNumber,
      applicationDate: row.applicationDate, methodCode: row.methodCode, fileExtension: row.fileExtension, fileSize: row.fileBytes,
      sha256: row.fileSha256, sha256OfStoredFile: actual, intact: actual === row.fileSha256, verificationNumber: row.verificationNumber,
      consentedAt: c.consentedAt, evidencePassed: Boolean(row.evidence?.passed), evidence: row.evidence, status: row.status, sentAt: c.sentAt,
      endedAt: c.endedAt, registrationStatus: registration?.status ?? null, registrationCode: registration?.code ?? null, hold: hold ? hold.reason : null,
    });
    accessLog.push({ consentId: row.id, entries: (await accessLogFor(pool, `consent:${row.id}`)).map((e: any) => ({ ...e, at: kstIso(e.at) })) });
  }
  const chain = await verifyAccessLogChain(pool);
  const createdAt = kstIso(new Date());
  const manifest = Buffer.from(
    `${JSON.stringify({ kind: 'ars-consent audit package', createdAt, createdBy: who.actor, count: entries.length, accessLog: 'access-log.json', consents: entries }, null, 2)}\n`,
    'utf8',
  );
  const manifestSha256 = createHash('sha256').update(manifest).digest('hex');
  const logFile = Buffer.from(`${JSON.stringify({ chain, consents: accessLog }, null, 2)}\n`, 'utf8');

  await logAccess(pool, {
    actor: who.actor, action: 'audit-package', target: `audit-package:${manifestSha256}`, remote: who.remote,
    detail: { count: entries.length, consentIds: entries.map((e) => e.consentId), manifestSha256 },
  });
  for (const e of entries) await logAccess(pool, { actor: who.actor, action: 'audit-package', target: `consent:${e.consentId}`, remote: who.remote, detail: { manifestSha256 } });

  const zip = new yazl.ZipFile();
  const mtime = new Date();
  for (const e of entries) if (e.file) zip.addFile(rows.find((r) => r.id === e.consentId)!.filePath, e.file, { compress: false, mtime });
  zip.addBuffer(manifest, 'manifest.json', { mtime });
  zip.addBuffer(csv(entries), 'manifest.csv', { mtime });
  zip.addBuffer(logFile, 'access-log.json', { mtime });
  zip.addBuffer(Buffer.from(`${manifestSha256}  manifest.json\n`), 'manifest.json.sha256', { mtime });
  zip.end();
  return { count: entries.length, manifestSha256, fileName: `audit-package-${createdAt.slice(0, 10)}-${manifestSha256.slice(0, 12)}.zip`, zip: zip.outputStream };
}
