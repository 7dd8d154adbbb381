import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';

/**
 * The Ed25519 keys of the time marks. The key id (`kid`) is the key's RFC 7638 thumbprint, so the
 * same key has the same id wherever it is configured. Retired public keys stay in the JWKS so that
 * marks they signed keep verifying.
 */

export class SigningKeyError extends Error {}

export type PublicJwk = { kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string; alg: 'EdDSA'; use: 'sig' };

export type MarkKeys = {
  /** The current signing key. */
  kid: string;
  privateKey: KeyObject;
  /** The current key first, then the retired ones. */
  jwks: { keys: PublicJwk[] };
};

/** PEM in an environment variable often arrives with its line breaks written as \n. */
function unescapeNewlines(text: string): string {
  return text.includes('\\n') && !text.includes('\n') ? text.replace(/\\n/g, '\n') : text;
}

function ensureEd25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') throw new SigningKeyError(`${what} is a ${key.asymmetricKeyType ?? 'symmetric'} key, not Ed25519`);
  return key;
}

/** SIGNING_KEY: an Ed25519 private key as PEM (PKCS#8) or as a JWK (JSON). */
export function parsePrivateKey(text: string, what = 'SIGNING_KEY'): KeyObject {
  const value = unescapeNewlines(text.trim());
  let key: KeyObject;
  try {
    key = value.startsWith('{') ? createPrivateKey({ key: JSON.parse(value) as JsonWebKey, format: 'jwk' }) : createPrivateKey(value);
  } catch {
    throw new SigningKeyError(`${what} is not a private key (expected an Ed25519 key as PEM or JWK)`);
  }
  return ensureEd25519(key, what);
}

/** SIGNING_KEYS_RETIRED: a JWKS ({"keys": [...]}), a JSON array of JWKs, or one or more PEM public keys. */
export function parsePublicKeys(text: string, what = 'SIGNING_KEYS_RETIRED'): KeyObject[] {
  const value = unescapeNewlines(text.trim());
  if (value === '') return [];
  try {
    if (value.startsWith('{') || value.startsWith('[')) {
      const parsed = JSON.parse(value) as { keys?: JsonWebKey[] } | JsonWebKey[];
      const list = Array.isArray(parsed) ? parsed : (parsed.keys ?? [parsed as JsonWebKey]);
      // A private JWK names its public half too; only the public part is kept.
      return list.map((jwk) => ensureEd25519(createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x } as JsonWebKey, format: 'jwk' }), what));
    }
    const blocks = value.match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g) ?? [];
    if (blocks.length === 0) throw new SigningKeyError(`${what} holds no key`);
    return blocks.map((pem) => ensureEd25519(createPublicKey(pem), what));
  } catch (err) {
    if (err instanceof SigningKeyError) throw err;
    throw new SigningKeyError(`${what} is not a JWKS, a JSON list of JWKs or PEM public keys of Ed25519`);
  }
}

export async function publicJwk(key: KeyObject): Promise<PublicJwk> {
  const jwk = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' }) as { x: string };
  const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x } as JWK, 'sha256');
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid, alg: 'EdDSA', use: 'sig' };
}

export async function markKeys(privateKey: KeyObject, retired: KeyObject[] = []): Promise<MarkKeys> {
  const current = await publicJwk(privateKey);
  const keys = [current];
  for (const k of retired) {
    const jwk = await publicJwk(k);
    if (!keys.some((known) => known.kid === jwk.kid)) keys.push(jwk);
  }
  return { kid: current.kid, privateKey, jwks: { keys } };
}

export function newSigningKey(): KeyObject {
  return generateKeyPairSync('ed25519').privateKey;
}

export function privateKeyPem(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'pkcs8' }).toString();
}

export function demoSigningKeyFile(dataDir: string): string {
  return path.join(dataDir, 'signing-key.pem');
}

/** Demo mode: the key kept under DATA_DIR (made once, readable by its owner only). */
export function demoSigningKey(dataDir: string): KeyObject {
  const file = demoSigningKeyFile(dataDir);
  if (existsSync(file)) return parsePrivateKey(readFileSync(file, 'utf8'), file);
  const key = newSigningKey();
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, privateKeyPem(key), { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}
