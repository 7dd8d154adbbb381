import { CompactSign, compactVerify, createLocalJWKSet, decodeProtectedHeader, errors, type JSONWebKeySet } from 'jose';
import { kstIso } from '../shared/time.js';
import type { MarkKeys } from './keys.js';

/**
 * The signed time mark (진본마크) of a consent record: a JWS (RFC 7515, compact serialisation,
 * EdDSA over Ed25519, a `kid` header) over the facts that make the MP3 what we recorded, and when.
 * Anyone holding the file, the mark and our public keys (the JWKS) can check it without us.
 */

export type MarkFacts = {
  verificationNumber: string;
  /** SHA-256 of the MP3, lower-case hex. */
  sha256: string;
  fileSize: number;
  consentedAt: Date;
  organizationCode: string;
  methodCode: number;
};

export type MarkPayload = {
  verificationNumber: string;
  sha256: string;
  fileSize: number;
  /** To the second, Korea time: 2026-11-22T12:04:05+09:00 */
  consentedAt: string;
  organizationCode: string;
  methodCode: number;
  /** When the mark was signed (never backdated), Korea time. */
  issuedAt: string;
};

export const MARK_TYPE = 'consent-mark+jws';

/** Signs the mark; `issuedAt` is now unless a test fixes the clock. */
export async function signTimeMark(keys: MarkKeys, facts: MarkFacts, issuedAt: Date = new Date()): Promise<string> {
  const payload: MarkPayload = {
    verificationNumber: facts.verificationNumber,
    sha256: facts.sha256,
    fileSize: facts.fileSize,
    consentedAt: kstIso(facts.consentedAt),
    organizationCode: facts.organizationCode,
    methodCode: facts.methodCode,
    issuedAt: kstIso(issuedAt),
  };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', kid: keys.kid, typ: MARK_TYPE })
    .sign(keys.privateKey);
}

/** The key id a mark names, without checking anything. */
export function markKeyId(mark: string): string | undefined {
  try {
    const kid = decodeProtectedHeader(mark).kid;
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}

export type MarkCheck =
  | { valid: true; keyId: string; payload: MarkPayload }
  | { valid: false; keyId: string | undefined; reason: string };

/** Checks the signature against a JWKS; says why when it fails. */
export async function checkTimeMark(mark: string, jwks: JSONWebKeySet): Promise<MarkCheck> {
  const keyId = markKeyId(mark);
  try {
    const { payload, protectedHeader } = await compactVerify(mark.trim(), createLocalJWKSet(jwks), { algorithms: ['EdDSA'] });
    const parsed = JSON.parse(new TextDecoder().decode(payload)) as MarkPayload;
    if (typeof parsed.sha256 !== 'string' || typeof parsed.verificationNumber !== 'string') {
      return { valid: false, keyId, reason: 'the payload is not a consent mark' };
    }
    return { valid: true, keyId: String(protectedHeader.kid), payload: parsed };
  } catch (err) {
    const reason =
      err instanceof errors.JWKSNoMatchingKey
        ? `no public key with key id ${keyId ?? '(none)'} in the JWKS`
        : err instanceof errors.JWSSignatureVerificationFailed
          ? 'the signature does not match the payload: the mark was altered or signed by another key'
          : err instanceof SyntaxError
            ? 'the payload is not JSON'
            : `not a valid mark (${(err as Error).message})`;
    return { valid: false, keyId, reason };
  }
}
