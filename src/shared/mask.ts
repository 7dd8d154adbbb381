/** Masking for logs and screens: enough to recognise a value, never enough to use it. */

export function maskAccountNumber(account: string): string {
  if (account.length <= 4) return '*'.repeat(account.length);
  return '*'.repeat(account.length - 4) + account.slice(-4);
}

export function maskPhone(phone: string): string {
  if (phone.length <= 4) return '*'.repeat(phone.length);
  return phone.slice(0, Math.min(6, phone.length - 4)).padEnd(phone.length - 4, '*') + phone.slice(-4);
}

/** Digits the caller keyed in at a secret step: only how many. */
export function maskSecretInput(input: string): string {
  return '*'.repeat(input.length);
}
