import { createHash } from 'node:crypto';
import { findInstitution } from '../kftc/institutions.js';
import { isValidBusinessNumber, isValidPayerNumber, organizationCodeProblem, type ServiceType } from '../kftc/rules.js';
import { BLOCK, EI13, FB0110, formatFields, LayoutError, paddingTo, parseFields, widthOf } from './layouts.js';

/** EI13 (CMS) and FB0110 (firm banking) writers and readers: pure, over bytes. */

export type Format = 'ei13' | 'fb0110';

export const SERVICE_TYPE_OF: Record<Format, ServiceType> = { ei13: 'cms', fb0110: 'firmBanking' };

export type TransmissionConsent = {
  id: string;
  methodCode: number;
  fileExtension: string;
  fileBytes: number;
  payerNumber: string;
  bankCode: string;
  accountNumber: string;
  applicationDate: string;
  holderIdKind: string;
  holderId: string;
  organizationCode: string;
  /** Ours, kept in our records: never written into a file (the trace number is the VAN's). */
  verificationNumber: string;
  /** FB0110 only: a cancellation (해지구분 Y), which carries no evidence. */
  cancellation?: boolean;
};

/** The registration (R00) file whose date, sequence and serials fill the FB0110 trace numbers. */
export type RegistrationFileRef = { date: string; sequence: number; firstSerial: number };

export type BatchParams = {
  format: Format;
  organizationCode: string;
  /** The application date of the batch (EI13 header) or the processing date (FB0110), YYYYMMDD. */
  date: string;
  /** Firm banking only: the firm-VAN's code and id, the bank the file goes to, a sub-organisation code. */
  vanCode?: string;
  vanId?: string;
  bankCode?: string;
  subOrganizationCode?: string;
  /**
   * FB0110 only: when the organisation's VAN wants the trace number filled, the registration file
   * it maps from (date 8 + sequence 3 + serial 7, the serial counting from firstSerial in record
   * order). Absent: the trace number is blank and the VAN generates it.
   */
  registrationFile?: RegistrationFileRef;
};

/** FB0110 header bank code: the records' bank when they all share one (as the VAN's writer does), else the one given. */
export function headerBankCode(given: string | undefined, recordBanks: Iterable<string>): string | undefined {
  const banks = new Set(recordBanks);
  return banks.size === 1 ? [...banks][0]! : given;
}

/** The 30-byte trace number of the record with this serial: blank unless the registration file is given. */
export function traceNumberOf(p: BatchParams, serial: number): string {
  const r = p.registrationFile;
  if (!r) return '';
  if (!/^\d{8}$/.test(r.date) || !(r.sequence >= 0 && r.sequence <= 999) || !(r.firstSerial >= 1)) throw new LayoutError('the registration file reference must be a YYYYMMDD date, a sequence 0-999 and a first serial from 1');
  const serialInFile = r.firstSerial + serial - 1;
  if (serialInFile > 9_999_999) throw new LayoutError('the registration file serial does not fit 7 digits');
  return `${r.date}${String(r.sequence).padStart(3, '0')}${String(serialInFile).padStart(7, '0')}`;
}

export const MAX_EVIDENCE_BYTES = 307_200;

function isYYMMDD(v: string): boolean {
  if (!/^\d{6}$/.test(v)) return false;
  const m = Number(v.slice(2, 4));
  const d = Number(v.slice(4, 6));
  return m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(2000, m, 0)).getUTCDate();
}

/** KFTC's checks (0101 method, 0102 extension, 0103 size, and the registration fields): one message per problem. */
export function transmissionProblems(c: TransmissionConsent, format: Format): string[] {
  const problems: string[] = [];
  if (c.methodCode !== 4 && c.methodCode !== 5) problems.push(`method code ${c.methodCode} is not 4 (recorded call) or 5 (ARS)`);
  if (!c.cancellation) {
    if (c.fileExtension !== 'mp3') problems.push(`file extension "${c.fileExtension}" is not mp3`);
    if (!(c.fileBytes > 0 && c.fileBytes <= MAX_EVIDENCE_BYTES)) problems.push(`file size ${c.fileBytes} is not between 1 and ${MAX_EVIDENCE_BYTES} bytes`);
  }
  const orgProblem = organizationCodeProblem(SERVICE_TYPE_OF[format], c.organizationCode);
  if (orgProblem) problems.push(`organisation code ${c.organizationCode}: ${orgProblem}`);
  if (!findInstitution(c.bankCode)) {
    problems.push(`bank code ${c.bankCode} is not in KFTC's institution table`);
  }
  if (!/^\d{1,20}$/.test(c.accountNumber)) problems.push('the account number must be 1 to 20 digits');
  if (c.holderIdKind === 'businessNumber') {
    if (!isValidBusinessNumber(c.holderId)) problems.push('the business number is not 10 digits with a valid check digit');
  } else if (!isYYMMDD(c.holderId)) {
    problems.push('the birthdate is not a date as YYMMDD');
  }
  if (!isValidPayerNumber(c.payerNumber)) problems.push('the payer number must be letters and digits only, at most 30');
  if (!/^\d{8}$/.test(c.applicationDate)) problems.push('the application date is not YYYYMMDD');
  return problems;
}

export function headerBytes(p: BatchParams, count: number): Buffer {
  if (p.format === 'ei13') {
    return formatFields(EI13.header, { applicationDate: p.date, organizationCode: p.organizationCode, count });
  }
  return formatFields(FB0110.header, {
    vanCode: p.vanCode ?? '', organizationCode: p.organizationCode, processingDate: p.date, vanId: p.vanId ?? '', bankCode: p.bankCode ?? '000', count,
  });
}

/** The record, the audio, and the spaces up to the next block boundary (a cancellation: the record and spaces). */
export function recordBytes(p: BatchParams, serial: number, c: TransmissionConsent, audio: Buffer): Buffer[] {
  if (c.cancellation) {
    if (p.format !== 'fb0110') throw new LayoutError(`consent ${c.id}: only FB0110 carries cancellations`);
    audio = Buffer.alloc(0);
  } else if (audio.length !== c.fileBytes) throw new LayoutError(`consent ${c.id}: the audio is ${audio.length} bytes, the record says ${c.fileBytes}`);
  const record =
    p.format === 'ei13'
      ? formatFields(EI13.record, {
          serial, organizationCode: c.organizationCode, payerNumber: c.payerNumber, bankCode: c.bankCode, accountNumber: c.accountNumber,
          applicationDate: c.applicationDate, methodCode: c.methodCode, fileExtension: c.fileExtension, fileLength: audio.length,
        })
      : formatFields(FB0110.record, {
          serial, traceNumber: traceNumberOf(p, serial), applicationDate: c.applicationDate, idKind: c.holderIdKind === 'businessNumber' ? 1 : 0,
          idNumber: c.holderId, organizationCode: c.organizationCode, subOrganizationCode: p.subOrganizationCode ?? '', payerNumber: c.payerNumber,
          bankCode: c.bankCode, accountNumber: c.accountNumber, evidenceKind: c.methodCode, fileExtension: c.cancellation ? '' : c.fileExtension,
          fileLength: audio.length, terminated: c.cancellation ? 'Y' : 'N',
        });
  const pad = paddingTo(record.length + audio.length);
  return pad ? [record, audio, Buffer.alloc(pad, 0x20)] : [record, audio];
}

/** The 1024-byte blocks one data record fills (its evidence included). */
export function blocksOf(p: BatchParams, audioBytes: number): number {
  const recordWidth = widthOf(p.format === 'ei13' ? EI13.record : FB0110.record);
  return Math.ceil((recordWidth + audioBytes) / BLOCK);
}

/** `dataBlocks`: EI13's 총 Data Block 수, the blocks the data records fill (file size / 1024 − 2: header and trailer not counted). */
export function trailerBytes(p: BatchParams, count: number, dataBlocks: number): Buffer {
  if (p.format === 'ei13') return formatFields(EI13.trailer, { organizationCode: p.organizationCode, count, blocks: dataBlocks });
  return formatFields(FB0110.trailer, { count });
}

/** Writes a whole file in memory (tests and small batches); the exporter streams the same parts. */
export function writeTransmission(p: BatchParams, consents: { consent: TransmissionConsent; audio: Buffer }[]): Buffer {
  if (p.format === 'fb0110') {
    const bankCode = headerBankCode(p.bankCode, consents.map((x) => x.consent.bankCode));
    p = { ...p, ...(bankCode ? { bankCode } : {}) };
  }
  const parts: Buffer[] = [headerBytes(p, consents.length)];
  let blocks = 0;
  consents.forEach(({ consent, audio }, i) => {
    parts.push(...recordBytes(p, i + 1, consent, audio));
    blocks += blocksOf(p, consent.cancellation ? 0 : audio.length);
  });
  parts.push(trailerBytes(p, consents.length, blocks));
  return Buffer.concat(parts);
}

export type ReadConsent = {
  serial: number;
  fields: Record<string, string>;
  audioOffset: number;
  audioBytes: number;
  /** The SHA-256 of the embedded evidence (of nothing, for a cancellation). */
  sha256: string;
  /** FB0110: 해지구분 Y, a cancellation without evidence. */
  cancellation: boolean;
};
export type ReadResult = { format: Format; header: Record<string, string>; trailer: Record<string, string>; consents: ReadConsent[]; blocks: number };

/** Reads from any random-access source: a Buffer or a file. */
export type ByteSource = { size: number; read(offset: number, length: number): Promise<Buffer> };

export function bufferSource(buf: Buffer): ByteSource {
  return { size: buf.length, read: async (o, n) => buf.subarray(o, o + n) };
}

/** Parses and checks a whole file: layouts, serials, counts, blocks, padding; hashes each audio. */
export async function readTransmission(src: ByteSource): Promise<ReadResult> {
  if (src.size % BLOCK !== 0) throw new LayoutError(`the file is ${src.size} bytes, not a whole number of ${BLOCK}-byte blocks`);
  const first = await src.read(0, BLOCK);
  const format: Format = first.toString('latin1', 0, 6) === 'AE1112' ? 'ei13' : first.toString('latin1', 0, 7) === 'HFB0110' ? 'fb0110' : (() => {
    throw new LayoutError('neither an EI13 nor an FB0110 file');
  })();
  const layout = format === 'ei13' ? EI13 : FB0110;
  const header = parseFields(layout.header, first);
  const recordWidth = widthOf(layout.record);
  const consents: ReadConsent[] = [];
  let offset = BLOCK;
  for (;;) {
    if (offset + BLOCK > src.size) throw new LayoutError('no trailer');
    const peek = await src.read(offset, 8);
    const isTrailer = format === 'ei13' ? peek.toString('latin1', 6, 8) === '33' : peek.toString('latin1', 0, 1) === 'T';
    if (isTrailer) break;
    const fields = parseFields(layout.record, await src.read(offset, recordWidth));
    const serial = Number(fields.serial);
    if (serial !== consents.length + 1) throw new LayoutError(`record ${consents.length + 1} has serial ${serial}`);
    const cancellation = format === 'fb0110' && fields.terminated === 'Y';
    if (format === 'fb0110' && fields.terminated !== 'Y' && fields.terminated !== 'N') throw new LayoutError(`record ${serial}: the termination flag is "${fields.terminated}", not N or Y`);
    const audioBytes = Number(fields.fileLength);
    if (cancellation && audioBytes !== 0) throw new LayoutError(`record ${serial}: a cancellation carries no evidence, yet its size is ${audioBytes}`);
    const audioOffset = offset + recordWidth;
    if (audioOffset + audioBytes > src.size) throw new LayoutError(`record ${serial}: the audio runs past the end of the file`);
    const hash = createHash('sha256');
    for (let o = 0; o < audioBytes; o += 1 << 20) hash.update(await src.read(audioOffset + o, Math.min(1 << 20, audioBytes - o)));
    const pad = paddingTo(recordWidth + audioBytes);
    const padding = await src.read(audioOffset + audioBytes, pad);
    if (pad && !padding.every((b) => b === 0x20)) throw new LayoutError(`record ${serial}: the filler after the audio is not all spaces`);
    consents.push({ serial, fields, audioOffset, audioBytes, sha256: hash.digest('hex'), cancellation });
    offset = audioOffset + audioBytes + pad;
  }
  const trailer = parseFields(layout.trailer, await src.read(offset, BLOCK));
  if (offset + BLOCK !== src.size) throw new LayoutError('bytes after the trailer');
  const blocks = src.size / BLOCK;
  const dataBlocks = blocks - 2;
  if (Number(header.count) !== consents.length) throw new LayoutError(`the header counts ${Number(header.count)} consents, the file holds ${consents.length}`);
  if (Number(trailer.count) !== consents.length) throw new LayoutError(`the trailer counts ${Number(trailer.count)} consents, the file holds ${consents.length}`);
  if (format === 'ei13') {
    if (Number(trailer.blocks) !== dataBlocks) throw new LayoutError(`the trailer counts ${Number(trailer.blocks)} data blocks, the file has ${dataBlocks} (file size / 1024 − 2)`);
    if (trailer.organizationCode !== header.organizationCode) throw new LayoutError('header and trailer name different organisations');
  }
  return { format, header, trailer, consents, blocks };
}
