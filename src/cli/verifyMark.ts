import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { JSONWebKeySet } from 'jose';
import { checkFileAgainstMark } from '../marks/verifyFile.js';

/**
 * npm run verify-mark -- <file.mp3> [<mark> | --number <16 digits>] [--jwks <file|url>] [--server <url>]
 *
 * Checks a consent MP3 against its signed time mark: the signature (with the JWKS), the file's
 * SHA-256 and size, and prints the consent time. Exit 0 only when everything holds.
 */

const USAGE = 'usage: npm run verify-mark -- <file.mp3> [<mark or file holding it> | --number <16 digits>] [--jwks <file|url>] [--server <url>]';

async function readJson(source: string): Promise<unknown> {
  if (/^https?:\/\//.test(source)) {
    const res = await fetch(source, { signal: AbortSignal.timeout(15_000) });
    if (!res.ok) throw new Error(`${source} answered ${res.status}`);
    return res.json();
  }
  return JSON.parse(readFileSync(source, 'utf8'));
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { number: { type: 'string' }, jwks: { type: 'string' }, server: { type: 'string' } },
  });
  const [file, markArg] = positionals;
  if (!file || (markArg === undefined) === (values.number === undefined) || positionals.length > 2) {
    console.error(USAGE);
    return 2;
  }
  if (values.number !== undefined && !/^\d{16}$/.test(values.number)) {
    console.error('verify-mark: --number takes the 16-digit verification number');
    return 2;
  }
  if (!existsSync(file)) {
    console.error(`verify-mark: no such file: ${file}`);
    return 2;
  }
  const server = (values.server ?? process.env.PUBLIC_BASE_URL ?? `http://localhost:${process.env.PORT ?? 3000}`).replace(/\/+$/, '');
  let mark: string;
  if (markArg !== undefined) {
    mark = /^[\w-]+\.[\w-]+\.[\w-]+$/.test(markArg.trim()) ? markArg.trim() : existsSync(markArg) ? readFileSync(markArg, 'utf8').trim() : markArg.trim();
  } else {
    const answer = (await readJson(`${server}/api/verify/${values.number}`)) as { valid?: boolean; timeMark?: string | null };
    if (!answer.valid || !answer.timeMark) {
      console.log(`확인번호 ${values.number}: ${answer.valid ? '진본마크가 없습니다' : '등록된 출금동의가 없습니다'} (${server})`);
      return 1;
    }
    mark = answer.timeMark;
  }
  const jwksSource = values.jwks ?? `${server}/.well-known/jwks.json`;
  const jwks = (await readJson(jwksSource)) as JSONWebKeySet;
  if (!jwks || !Array.isArray(jwks.keys)) {
    console.error(`verify-mark: ${jwksSource} is not a JWKS`);
    return 2;
  }
  const result = await checkFileAgainstMark(readFileSync(file), mark, jwks);
  const yes = (b: boolean) => (b ? 'OK' : 'FAIL');
  console.log(`공개키 (JWKS): ${jwksSource}`);
  console.log(`서명 (signature): ${result.signatureValid ? 'OK 유효' : `FAIL ${result.reason}`}`);
  console.log(`서명 키 (kid): ${result.keyId ?? '(없음)'}`);
  if (result.payload) {
    const p = result.payload;
    console.log(`파일 SHA-256: ${yes(result.hashMatches)} ${result.hashMatches ? '일치' : `불일치 (파일 ${result.fileSha256}, 마크 ${p.sha256})`}`);
    console.log(`파일 크기: ${yes(result.sizeMatches)} ${result.fileSize} bytes${result.sizeMatches ? '' : ` (마크 ${p.fileSize} bytes)`}`);
    console.log(`동의 일시 (consentedAt): ${p.consentedAt}`);
    console.log(`서명 일시 (issuedAt): ${p.issuedAt}`);
    console.log(`확인번호: ${p.verificationNumber}, 이용기관코드 ${p.organizationCode}, 방법 ${p.methodCode}`);
    if (values.number && p.verificationNumber !== values.number) {
      console.log(`확인번호: FAIL 마크의 번호가 ${values.number}가 아닙니다`);
      return 1;
    }
  } else {
    console.log(`파일 SHA-256: ${result.fileSha256} (서명이 유효하지 않아 대조하지 않음)`);
  }
  console.log(result.ok ? '결과: 유효 (valid)' : '결과: 실패 (invalid)');
  return result.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`verify-mark: ${err.message}`);
    process.exit(1);
  },
);
