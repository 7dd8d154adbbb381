/** The SMS a payer gets once the consent is registered: the organisation, the account's last four digits, the verification number, the receipt link. */
export function registrationSmsText(consent: { organizationName: string; accountNumber: string; verificationNumber: string }, publicBaseUrl: string): string {
  return `[${consent.organizationName}] 자동납부 출금동의가 등록되었습니다. 계좌 끝자리 ${consent.accountNumber.slice(-4)}, 확인번호 ${consent.verificationNumber}, 확인서 ${publicBaseUrl}/r/${consent.verificationNumber}`;
}
