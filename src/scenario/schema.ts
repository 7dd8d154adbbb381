import { z } from 'zod';
import { organizationCodeProblem } from '../consent/rules.js';
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

const promptsSchema = z
  .object(Object.fromEntries(Object.keys(PROMPT_PLACEHOLDERS).map((k) => [k, promptText])) as Record<PromptName, typeof promptText>)
  .strict()
  .superRefine((prompts, ctx) => {
    for (const [name, allowed] of Object.entries(PROMPT_PLACEHOLDERS) as [PromptName, readonly string[]][]) {
      const used = placeholdersOf(prompts[name]);
      for (const p of used) {
        if (!allowed.includes(p)) ctx.addIssue({ code: 'custom', path: [name], message: `unknown placeholder {${p}} (allowed: ${allowed.join(', ') || 'none'})` });
      }
    }
    for (const required of READBACK_REQUIRED) {
      if (!placeholdersOf(prompts.readback).includes(required)) {
        ctx.addIssue({ code: 'custom', path: ['readback'], message: `must state {${required}} (R1: every required item is read back)` });
      }
    }
    if (!/출금이체|자동납부|자동이체/.test(prompts.readback)) {
      ctx.addIssue({ code: 'custom', path: ['readback'], message: 'must say what is consented to (출금이체/자동납부)' });
    }
    if (!placeholdersOf(prompts.consentedKey).includes('key')) {
      ctx.addIssue({ code: 'custom', path: ['consentedKey'], message: 'must announce the pressed key with {key} (R2)' });
    }
  });

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
        method: z.enum(['birthDate', 'sms', 'accountPassword']),
        smsCodeLength: z.number().int().min(4).max(8).default(6),
      })
      .strict()
      .refine((i) => i.method !== 'accountPassword', {
        message: 'accountPassword needs a password verifier, and none is configured in this service',
        path: ['method'],
      }),
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
  })
  .strict();

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
