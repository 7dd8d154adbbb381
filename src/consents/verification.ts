import { randomInt } from 'node:crypto';

/** Luhn check digit of a digit string. */
export function luhnCheckDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** 16 digits: 15 from the OS's CSPRNG (not guessable) and a Luhn check digit (typos caught). */
export function newVerificationNumber(): string {
  let body = String(randomInt(1, 10));
  for (let i = 0; i < 14; i++) body += String(randomInt(0, 10));
  return body + String(luhnCheckDigit(body));
}

export function isWellFormedVerificationNumber(n: string): boolean {
  return /^\d{16}$/.test(n) && luhnCheckDigit(n.slice(0, 15)) === Number(n[15]);
}
