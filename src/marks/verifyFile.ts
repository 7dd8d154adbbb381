import { createHash } from 'node:crypto';
import type { JSONWebKeySet } from 'jose';
import { checkTimeMark, type MarkPayload } from './timeMark.js';

/** A mark against the file it names and a JWKS: what verify-mark prints. */
export type FileCheck = {
  signatureValid: boolean;
  keyId: string | undefined;
  reason: string | undefined;
  payload: MarkPayload | undefined;
  fileSha256: string;
  fileSize: number;
  hashMatches: boolean;
  sizeMatches: boolean;
  ok: boolean;
};

export async function checkFileAgainstMark(file: Buffer, mark: string, jwks: JSONWebKeySet): Promise<FileCheck> {
  const check = await checkTimeMark(mark, jwks);
  const fileSha256 = createHash('sha256').update(file).digest('hex');
  const payload = check.valid ? check.payload : undefined;
  const hashMatches = payload !== undefined && payload.sha256 === fileSha256;
  const sizeMatches = payload !== undefined && payload.fileSize === file.length;
  return {
    signatureValid: check.valid,
    keyId: check.keyId,
    reason: check.valid ? undefined : check.reason,
    payload,
    fileSha256,
    fileSize: file.length,
    hashMatches,
    sizeMatches,
    ok: check.valid && hashMatches && sizeMatches,
  };
}
