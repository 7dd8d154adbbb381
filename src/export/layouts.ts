/**
 * KFTC transmission file layouts (../shared/kftc-files.md, which replaces DESIGN.md §6): every
 * field's width and alignment in one place.
 * N: numeric, right-aligned, zero-filled. X: text, left-aligned, space-filled. Widths are bytes of
 * EUC-KR text; every value written here is ASCII (checked), which EUC-KR encodes byte for byte.
 */

export type FieldKind = 'N' | 'X';
export type Field = { name: string; kind: FieldKind; width: number; fixed?: string };

export const BLOCK = 1024;

const f = (name: string, kind: FieldKind, width: number, fixed?: string): Field => (fixed === undefined ? { name, kind, width } : { name, kind, width, fixed });

export const EI13 = {
  header: [
    f('recordType', 'X', 6, 'AE1112'), f('recordKind', 'X', 2, '11'), f('serial', 'N', 7, '0000000'),
    f('applicationDate', 'N', 8), f('organizationCode', 'X', 20), f('count', 'N', 7), f('filler', 'X', 974, ''),
  ],
  record: [
    f('recordType', 'X', 6, 'AE1112'), f('recordKind', 'X', 2, '22'), f('serial', 'N', 7), f('filler', 'X', 10, ''),
    f('organizationCode', 'X', 20), f('payerNumber', 'X', 30), f('bankCode', 'N', 3), f('accountNumber', 'X', 20),
    f('applicationDate', 'N', 8), f('methodCode', 'N', 1), f('fileExtension', 'X', 5), f('fileLength', 'N', 7),
  ],
  trailer: [
    f('recordType', 'X', 6, 'AE1112'), f('recordKind', 'X', 2, '33'), f('serial', 'N', 7, '9999999'),
    f('organizationCode', 'X', 20), f('count', 'N', 7), f('blocks', 'N', 10), f('filler', 'X', 972, ''),
  ],
} as const;

export const FB0110 = {
  header: [
    f('recordType', 'X', 1, 'H'), f('taskCode', 'X', 6, 'FB0110'), f('vanCode', 'X', 3), f('organizationCode', 'X', 20),
    f('processingDate', 'N', 8), f('vanId', 'X', 30), f('bankCode', 'N', 3), f('count', 'N', 10), f('blank', 'X', 943, ''),
  ],
  record: [
    f('recordType', 'X', 1, 'D'), f('serial', 'N', 10), f('traceNumber', 'X', 30), f('applicationDate', 'N', 8),
    f('idKind', 'N', 1), f('idNumber', 'X', 13), f('organizationCode', 'X', 20), f('realTime', 'X', 1, 'N'),
    f('subOrganizationCode', 'X', 10), f('payerNumber', 'X', 30), f('bankCode', 'N', 3), f('accountNumber', 'X', 20),
    f('evidenceKind', 'N', 1), f('fileExtension', 'X', 4), f('fileLength', 'N', 7), f('blank1', 'X', 200, ''),
    f('terminated', 'X', 1), f('blank2', 'X', 40, ''),
  ],
  trailer: [f('recordType', 'X', 1, 'T'), f('taskCode', 'X', 6, 'FB0110'), f('count', 'N', 10), f('blank', 'X', 1007, '')],
} as const;

export function widthOf(fields: readonly Field[]): number {
  return fields.reduce((n, x) => n + x.width, 0);
}

export class LayoutError extends Error {}

/** Lays out one record: each value padded to its width; a value too wide or not ASCII is an error, never cut. */
export function formatFields(fields: readonly Field[], values: Record<string, string | number>): Buffer {
  let out = '';
  for (const field of fields) {
    const raw = field.fixed ?? values[field.name];
    if (raw === undefined) throw new LayoutError(`field ${field.name} has no value`);
    const value = String(raw);
    if (!/^[\x20-\x7e]*$/.test(value)) throw new LayoutError(`field ${field.name} is not plain ASCII`);
    if (value.length > field.width) throw new LayoutError(`field ${field.name} is ${value.length} bytes, wider than ${field.width}`);
    if (field.kind === 'N') {
      if (!/^\d*$/.test(value)) throw new LayoutError(`field ${field.name} must be digits`);
      out += value.padStart(field.width, '0');
    } else {
      out += value.padEnd(field.width, ' ');
    }
  }
  return Buffer.from(out, 'latin1');
}

/** Reads one record back into trimmed values (N fields keep their zeros). */
export function parseFields(fields: readonly Field[], buf: Buffer, offset = 0): Record<string, string> {
  const values: Record<string, string> = {};
  let o = offset;
  for (const field of fields) {
    const raw = buf.toString('latin1', o, o + field.width);
    if (raw.length !== field.width) throw new LayoutError(`record cut short in field ${field.name}`);
    if (field.kind === 'N' && !/^\d+$/.test(raw)) throw new LayoutError(`field ${field.name} is not numeric: "${raw}"`);
    if (field.fixed !== undefined && field.fixed !== '' && raw.trimEnd() !== field.fixed) throw new LayoutError(`field ${field.name} is "${raw}", expected "${field.fixed}"`);
    values[field.name] = field.kind === 'X' ? raw.trimEnd() : raw;
    o += field.width;
  }
  return values;
}

/** Spaces from the end of `length` bytes up to the next block boundary (none when it ends on one). */
export function paddingTo(length: number): number {
  return (BLOCK - (length % BLOCK)) % BLOCK;
}
