import { z } from 'zod';
import { organizationCodeProblem } from '../kftc/rules.js';
import { IDENTITY_METHOD_NAMES, UNSUPPORTED_IDENTITY_METHODS } from './identity.js';
import { placeholdersOf } from './speech.js';

/** A scenario file (scenarios/*.json): one organisation's ARS, as data. */

export const KOREAN_VOICES = [
  'Polly.Seoyeon',
  'Polly.Seoyeon-Neural',
  ...['A', 'B', 'C', 'D'].map((v) => `Google.ko-KR-Standard-${v}`),
  ...['A', 'B', 'C', 'D'].map((v) => `Google.ko-KR-Wavenet-${v}`),
  ...['A', 'B', 'C'].map((v) => `Google.ko-KR-Neural2-${v}`),
] as const;

/** Placeholders each prompt may use; readback must use every R1 item. */
const PROMPT_PLACEHOLDERS = {
  menu: ['organization'],
  menuInquirySelected: [],
  menuChangeSelected: [],
  inquiry: ['name', 'amountDue'],
  inquiryUnavailable: ['name'],
  payerNumber: [],
  identityBirthDate: [],
  identitySms: [],
  smsText: ['organization', 'code'],
  smsFailed: [],
  holderCheck: [],
  notHolder: [],
  accountEntry: [],
  readback: ['holderId', 'holderName', 'organization', 'bankName', 'accountNumber'],
  confirmKey: [],
  confirmVoice: [],
  confirmBoth: [],
  consentedKey: ['key'],
  consentedVoice: [],
  declinedKey: ['key'],
  declinedVoice: [],
  transferring: [],
  goodbye: [],
  noAgentGoodbye: [],
  errorNoInput: [],
  errorInvalidChoice: [],
  errorPayerNotFound: [],
  errorIdentity: [],
  errorBankCode: [],
  errorAccountLength: [],
  errorAccountFormat: [],
  errorSpeech: [],
} as const satisfies Record<string, readonly string[]>;

export type PromptName = keyof typeof PROMPT_PLACEHOLDERS;

/** R1: the readback states every required item; these placeholders must all appear. */
export const READBACK_REQUIRED = PROMPT_PLACEHOLDERS.readback;

const promptText = z.string().trim().min(1).max(1000);

/** R1: a text that states every required item and what is consented to. */
function checkR1(text: string, path: (string | number)[], ctx: z.RefinementCtx): void {
  for (const required of READBACK_REQUIRED) {
    if (!placeholdersOf(text).includes(required)) {
      ctx.addIssue({ code: 'custom', path, message: `must state {${required}} (R1: every required item is read back)` });
    }
  }
  if (!/출금이체|자동납부|자동이체/.test(text)) {
    ctx.addIssue({ code: 'custom', path, message: 'must say what is consented to (출금이체/자동납부)' });
  }
}

function checkPlaceholders(text: string, allowed: readonly string[], path: (string | number)[], ctx: z.RefinementCtx): void {
  for (const p of placeholdersOf(text)) {
    if (!allowed.includes(p)) ctx.addIssue({ code: 'custom', path, message: `unknown placeholder {${p}} (allowed: ${allowed.join(', ') || 'none'})` });
  }
}

const promptsSchema = z
  .object(Object.fromEntries(Object.keys(PROMPT_PLACEHOLDERS).map((k) => [k, promptText])) as Record<PromptName, typeof promptText>)
  .strict()
  .superRefine((prompts, ctx) => {
    for (const [name, allowed] of Object.entries(PROMPT_PLACEHOLDERS) as [PromptName, readonly string[]][]) {
      checkPlaceholders(prompts[name], allowed, [name], ctx);
    }
    checkR1(prompts.readback, ['readback'], ctx);
    if (!placeholdersOf(prompts.consentedKey).includes('key')) {
      ctx.addIssue({ code: 'custom', path: ['consentedKey'], message: 'must announce the pressed key with {key} (R2)' });
    }
  });

/** Prompts of an outbound consent call (placed for a website's consent request), with the defaults. */
const OUTBOUND_PROMPTS = {
  greeting: { text: '안녕하세요. {organization}입니다. 요청하신 자동납부 출금동의 확인 전화입니다.', placeholders: ['organization'] },
  confirmCode: {
    text: '내용이 맞으시면 화면에 표시된 숫자 2자리를 눌러주세요. 동의하지 않으시거나 예금주 본인이 아니시면 별표를 눌러주세요.',
    placeholders: [],
  },
  confirmKey: { text: '맞으면 1번, 틀리면 2번을 눌러주세요. 출금계좌의 예금주 본인이 아니시면 3번을 눌러주세요.', placeholders: [] },
  consented: { text: '{key}번을 입력하셨습니다. 출금동의가 완료되었습니다. 감사합니다.', placeholders: ['key'] },
  declined: { text: '동의하지 않으셨습니다. 출금동의 신청이 접수되지 않았습니다. 감사합니다.', placeholders: [] },
  notHolder: { text: 'ARS 출금동의는 예금주 본인만 하실 수 있습니다. 출금동의 신청이 접수되지 않았습니다. 감사합니다.', placeholders: [] },
  errorCode: { text: '입력하신 숫자가 화면에 표시된 숫자와 다릅니다.', placeholders: [] },
  failed: { text: '입력이 확인되지 않아 출금동의 신청이 접수되지 않았습니다. 다시 신청해 주세요. 감사합니다.', placeholders: [] },
} as const;

export type OutboundPromptName = keyof typeof OUTBOUND_PROMPTS;

const outboundSchema = z
  .object({
    /** What the payer keys in after the readback: the 2-digit code the website shows, or 1. */
    confirmation: z.enum(['code', 'key']).default('code'),
    /** The number outbound calls come from (else the scenario's first number, else OUTBOUND_CALLER_ID). */
    callerId: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be a phone number in E.164 form').optional(),
    prompts: z
      .object(Object.fromEntries(Object.entries(OUTBOUND_PROMPTS).map(([k, v]) => [k, promptText.default(v.text)])) as Record<OutboundPromptName, z.ZodDefault<typeof promptText>>)
      .strict()
      .prefault({})
      .superRefine((prompts, ctx) => {
        for (const [name, p] of Object.entries(OUTBOUND_PROMPTS)) checkPlaceholders(prompts[name as OutboundPromptName], p.placeholders, [name], ctx);
        if (!placeholdersOf(prompts.consented).includes('key')) {
          ctx.addIssue({ code: 'custom', path: ['consented'], message: 'must announce what the payer keyed in with {key} (R2)' });
        }
      }),
  })
  .strict()
  .prefault({});

/**
 * The voice check of a consent ("출금동의 확인", a menu entry): the caller keys in the verification
 * number and the holder's birthdate and hears the consent read out. Nothing of it is recorded.
 */
const CONSENT_CHECK_PROMPTS = {
  selected: { text: '출금동의 확인을 선택하셨습니다. 이 통화는 녹음되지 않습니다.', placeholders: [] },
  number: { text: '문자나 확인서로 받으신 출금동의 확인번호 16자리를 입력해 주세요.', placeholders: [] },
  birthDate: { text: '예금주의 생년월일 8자리를 입력해 주세요.', placeholders: [] },
  report: {
    text: '{organization}에 대한 출금동의입니다. 출금은행은 {bankName}, 계좌번호 끝 네 자리는 {accountLast4}입니다. 동의하신 때는 {consentedAt}입니다. {status}',
    placeholders: ['organization', 'bankName', 'accountLast4', 'consentedAt', 'status'],
  },
  registered: { text: '이 출금동의는 정상적으로 등록되어 있습니다.', placeholders: [] },
  ended: { text: '이 출금동의는 해지되었습니다.', placeholders: [] },
  superseded: { text: '이 출금동의는 이후의 새 출금동의로 바뀌었습니다.', placeholders: [] },
  notRegistered: { text: '이 출금동의는 등록되지 않았습니다.', placeholders: [] },
  errorNumber: { text: '입력하신 확인번호가 올바르지 않습니다.', placeholders: [] },
  errorUnknown: { text: '입력하신 확인번호로 등록된 출금동의를 찾을 수 없습니다.', placeholders: [] },
  errorBirthDate: { text: '입력하신 생년월일이 예금주의 생년월일과 일치하지 않습니다.', placeholders: [] },
  failed: { text: '입력하신 정보를 확인할 수 없어 출금동의 확인을 마칩니다. 확인번호를 다시 확인하신 후 전화해 주세요. 감사합니다.', placeholders: [] },
  goodbye: { text: '출금동의 확인을 마칩니다. 이용해 주셔서 감사합니다.', placeholders: [] },
} as const;

export type ConsentCheckPromptName = keyof typeof CONSENT_CHECK_PROMPTS;

const consentCheckSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** The menu key of the check; 1, 2 and 0 are the menu's other entries. */
    menuKey: z.enum(['3', '4', '5', '6', '7', '8', '9']).default('3'),
    /** Wrong numbers and birthdates, together, before the call ends politely. */
    maxAttempts: z.number().int().min(1).max(9).default(3),
    prompts: z
      .object(
        Object.fromEntries(Object.entries(CONSENT_CHECK_PROMPTS).map(([k, v]) => [k, promptText.default(v.text)])) as Record<ConsentCheckPromptName, z.ZodDefault<typeof promptText>>,
      )
      .strict()
      .prefault({})
      .superRefine((prompts, ctx) => {
        for (const [name, p] of Object.entries(CONSENT_CHECK_PROMPTS)) checkPlaceholders(prompts[name as ConsentCheckPromptName], p.placeholders, [name], ctx);
        for (const required of CONSENT_CHECK_PROMPTS.report.placeholders) {
          if (!placeholdersOf(prompts.report).includes(required)) {
            ctx.addIssue({ code: 'custom', path: ['report'], message: `must state {${required}}` });
          }
        }
      }),
  })
  .strict()
  .prefault({});

/** The script an agent reads on a recorded call (method 4); R1 items filled in by the service. */
const DEFAULT_AGENT_SCRIPT =
  '지금부터 출금동의 내용을 녹음합니다. {holderId} {holderName} 고객님, {organization}의 요금을 {bankName} {accountNumber} 계좌에서 자동납부 출금이체하는 데 동의하십니까? 동의하시면 \'예\'라고 말씀해 주십시오.';

const agentSchema = z
  .object({
    script: promptText.default(DEFAULT_AGENT_SCRIPT).superRefine((text, ctx) => {
      checkPlaceholders(text, READBACK_REQUIRED, [], ctx);
      checkR1(text, [], ctx);
    }),
  })
  .strict()
  .prefault({});

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be a phone number in E.164 form, e.g. +8215881234');

export const scenarioSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'lower-case letters, digits and dashes'),
    default: z.boolean().default(false),
    organization: z
      .object({
        name: z.string().trim().min(1).max(40),
        serviceType: z.enum(['giro', 'cms', 'firmBanking']),
        codes: z
          .object({ giro: z.string().optional(), cms: z.string().optional(), firmBanking: z.string().optional() })
          .strict(),
      })
      .strict()
      .superRefine((org, ctx) => {
        const code = org.codes[org.serviceType];
        if (code === undefined) {
          ctx.addIssue({ code: 'custom', path: ['codes', org.serviceType], message: `is required for service type ${org.serviceType}` });
        }
        for (const type of ['giro', 'cms', 'firmBanking'] as const) {
          const c = org.codes[type];
          const problem = c === undefined ? undefined : organizationCodeProblem(type, c);
          if (problem) ctx.addIssue({ code: 'custom', path: ['codes', type], message: problem });
        }
      }),
    numbers: z.array(e164).default([]),
    voice: z
      .object({
        voice: z.enum(KOREAN_VOICES).default('Polly.Seoyeon'),
        language: z.literal('ko-KR').default('ko-KR'),
      })
      .strict()
      .prefault({}),
    identity: z
      .object({
        method: z.enum(IDENTITY_METHOD_NAMES, {
          error: (issue) => UNSUPPORTED_IDENTITY_METHODS[String(issue.input)] ?? `must be one of ${IDENTITY_METHOD_NAMES.join(', ')}`,
        }),
        smsCodeLength: z.number().int().min(4).max(8).default(6),
      })
      .strict(),
    confirmation: z.enum(['key', 'voice', 'both']),
    /**
     * R4, how the ARS learns that the caller is not the account holder: 'atConfirm' (key 3 at the
     * confirmation; the guideline's key sequence stays as it is) or 'separate' (its own question
     * before the account entry).
     */
    holderCheck: z.enum(['atConfirm', 'separate']).default('atConfirm'),
    maxAttempts: z.number().int().min(1).max(9).default(3),
    gatherTimeoutSeconds: z.number().int().min(3).max(30).default(5),
    speech: z
      .object({ minConfidence: z.number().min(0).max(1).default(0.4) })
      .strict()
      .prefault({}),
    agentNumber: e164.optional(),
    prompts: promptsSchema,
    outbound: outboundSchema,
    agent: agentSchema,
    consentCheck: consentCheckSchema,
  })
  .strict();

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
