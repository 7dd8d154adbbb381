import { Refusal } from '../shared/refusal.js';
import { FB0110, LayoutError, parseFields, widthOf, type Field } from './layouts.js';

/**
 * FB0120, the firm-banking result of the evidence check (Hyphen's design document V3.8 §4.2.2):
 * 400-byte records each followed by CR LF. It lists only the records that failed, each echoing the
 * FB0110 record's first 159 bytes and adding a 4-character response code; the trailer counts the
 * FB0110's records, the normal ones and the errors.
 */

const f = (name: string, kind: 'N' | 'X', width: number, fixed?: string): Field => (fixed === undefined ? { name, kind, width } : { name, kind, width, fixed });

/** The FB0110 data record's fields up to the evidence size, as echoed (the evidence kind read as text: it is AN1). */
const ECHOED: Field[] = [];
for (const field of FB0110.record) {
  if (field.name === 'blank1') break;
  ECHOED.push(field.name === 'evidenceKind' || field.name === 'realTime' ? { name: field.name, kind: 'X', width: field.width } : field);
}

export const FB0120 = {
  header: [
    f('recordType', 'X', 1, 'H'), f('taskCode', 'X', 6, 'FB0120'), f('vanCode', 'X', 3), f('organizationCode', 'X', 20), f('processingDate', 'N', 8),
    f('vanId', 'X', 30), f('bankCode', 'X', 3), f('count', 'N', 10), f('blank', 'X', 319),
  ],
  record: [...ECHOED, f('responseCode', 'X', 4), f('blank', 'X', 237)],
  trailer: [f('recordType', 'X', 1, 'T'), f('taskCode', 'X', 6, 'FB0120'), f('total', 'N', 10), f('normal', 'N', 10), f('errors', 'N', 10), f('blank', 'X', 363)],
} as const;

export const RESULT_RECORD = 400;

export type ResultRecord = {
  serial: number;
  organizationCode: string;
  payerNumber: string;
  bankCode: string;
  accountNumber: string;
  applicationDate: string;
  responseCode: string;
  fields: Record<string, string>;
};

export type ResultFile = {
  format: 'fb0120';
  organizationCode: string;
  processingDate: string;
  total: number;
  normal: number;
  errors: number;
  records: ResultRecord[];
};

const refuse = (reason: string, message: string) => new Refusal('unprocessable', reason, { field: 'file', message });

/** Reads an FB0120 whole; any layout problem or counts that do not add up refuse the whole file, with the reason. */
export function parseResultFile(bytes: Buffer): ResultFile {
  for (const w of [widthOf(FB0120.header), widthOf(FB0120.record), widthOf(FB0120.trailer)]) if (w !== RESULT_RECORD) throw new Error(`FB0120 layout is ${w} bytes`);
  const head = bytes.toString('latin1', 0, 7);
  if (head !== 'HFB0120') {
    if (bytes.toString('latin1', 0, 6) === 'AE1112' || /^EB1[34]/.test(bytes.toString('latin1', 0, 4))) {
      throw refuse('a CMS result file: its layout is not implemented until a published source is found', 'CMS 결과 파일은 아직 지원하지 않습니다.');
    }
    throw refuse('not an FB0120 result file: the header does not start with H FB0120', 'FB0120 결과 파일이 아닙니다.');
  }
  const text = bytes.toString('latin1');
  const lines = text.split('\r\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, i) => {
    if (line.length !== RESULT_RECORD) throw refuse(`line ${i + 1} is ${line.length} bytes, not ${RESULT_RECORD} followed by CR LF`, `${i + 1}번째 레코드의 길이가 400바이트가 아닙니다.`);
  });
  if (lines.length < 2) throw refuse('no trailer', '트레일러가 없습니다.');
  const parse = (fields: readonly Field[], line: string, what: string) => {
    try {
      return parseFields(fields, Buffer.from(line, 'latin1'));
    } catch (err) {
      if (err instanceof LayoutError) throw refuse(`${what}: ${err.message}`, `${what}의 형식이 맞지 않습니다.`);
      throw err;
    }
  };
  const header = parse(FB0120.header, lines[0]!, 'header');
  const trailer = parse(FB0120.trailer, lines.at(-1)!, 'trailer');
  const records = lines.slice(1, -1).map((line, i): ResultRecord => {
    if (line[0] !== 'D') throw refuse(`record ${i + 1} is not a data record (D)`, `${i + 1}번째 데이터 레코드의 구분이 D가 아닙니다.`);
    const fields = parse(FB0120.record, line, `record ${i + 1}`);
    if (!/^[0-9A-Za-z]{4}$/.test(fields.responseCode!)) throw refuse(`record ${i + 1} has no response code`, `${i + 1}번째 레코드에 응답코드가 없습니다.`);
    return {
      serial: Number(fields.serial), organizationCode: fields.organizationCode!, payerNumber: fields.payerNumber!, bankCode: fields.bankCode!,
      accountNumber: fields.accountNumber!, applicationDate: fields.applicationDate!, responseCode: fields.responseCode!, fields,
    };
  });
  const total = Number(trailer.total);
  const normal = Number(trailer.normal);
  const errors = Number(trailer.errors);
  if (Number(header.count) !== records.length) {
    throw refuse(`the header counts ${Number(header.count)} error records, the file holds ${records.length}`, `헤더의 건수(${Number(header.count)})와 데이터 건수(${records.length})가 다릅니다.`);
  }
  if (errors !== records.length) {
    throw refuse(`the trailer counts ${errors} errors, the file holds ${records.length} error records`, `트레일러의 오류 건수(${errors})와 데이터 건수(${records.length})가 다릅니다.`);
  }
  if (normal + errors !== total) {
    throw refuse(`normal ${normal} + errors ${errors} is not the total ${total}`, `정상 ${normal}건과 오류 ${errors}건의 합이 총 ${total}건과 다릅니다.`);
  }
  return { format: 'fb0120', organizationCode: header.organizationCode!, processingDate: header.processingDate!, total, normal, errors, records };
}
