import { createHash, createHmac } from 'node:crypto';
import type { PayerSnapshot } from '../payers/snapshot.js';
import type { CallState, Query, TurnContext } from './engine.js';
import type { PromptName, Scenario } from './schema.js';

/**
 * How the ARS checks that the caller is the payer, one entry a method. The scenario schema takes
 * its list of methods from here, and the engine asks, prepares and checks through it: a new
 * method is its name and entry here, its prompts (schema.ts and scenarios/*.json) and, when it needs the
 * outside world, a query kind answered in calls/service.ts (see README, "Adding an identity method").
 */
export type IdentityMethod = {
  /** The question of the identity step. */
  question: PromptName;
  /** How many digits the answer has. */
  numDigits(scenario: Scenario): number;
  /**
   * Work before the question is asked, done by the edge (e.g. sending a code). The edge's answer
   * comes back as an Input; the question follows when it went well.
   */
  prepare?(p: { scenario: Scenario; payer: PayerSnapshot; ctx: TurnContext; fill: (name: PromptName, values: Record<string, string>) => string }): {
    query: Query;
    state: Partial<CallState>;
  };
  /** Whether the keyed-in digits prove the identity. */
  matches(digits: string, state: CallState, ctx: TurnContext): boolean;
};

/** With the server's key (SECRETS_KEY) an SMS code is kept as a keyed HMAC, never guessable offline. */
export function hashSmsCode(callSid: string, code: string, key?: string): string {
  return key ? createHmac('sha256', key).update(`${callSid}:${code}`).digest('hex') : createHash('sha256').update(`${callSid}:${code}`).digest('hex');
}

/** The methods a scenario may name (identity.method); each has its entry in IDENTITY_METHODS. */
export const IDENTITY_METHOD_NAMES = ['birthDate', 'sms'] as const;

export type IdentityMethodName = (typeof IDENTITY_METHOD_NAMES)[number];

export const IDENTITY_METHODS: Record<IdentityMethodName, IdentityMethod> = {
  birthDate: {
    question: 'identityBirthDate',
    numDigits: () => 8,
    matches: (digits, state) => state.payer !== undefined && digits === state.payer.birthDate,
  },
  sms: {
    question: 'identitySms',
    numDigits: (s) => s.identity.smsCodeLength,
    prepare: ({ scenario, payer, ctx, fill }) => {
      const code = ctx.newSmsCode.slice(0, scenario.identity.smsCodeLength);
      return {
        query: { kind: 'sendSms', to: payer.phone, text: fill('smsText', { code }) },
        // Only the code's hash is kept in the call's state.
        state: { smsCodeHash: hashSmsCode(ctx.callSid, code, ctx.smsCodeKey) },
      };
    },
    matches: (digits, state, ctx) => state.smsCodeHash !== undefined && hashSmsCode(ctx.callSid, digits, ctx.smsCodeKey) === state.smsCodeHash,
  },
};

/** Methods the guideline knows that this service cannot check, with the reason the schema gives. */
export const UNSUPPORTED_IDENTITY_METHODS: Record<string, string> = {
  accountPassword: 'accountPassword needs a password verifier, and none is configured in this service',
};

export function identityMethod(scenario: Scenario): IdentityMethod {
  return IDENTITY_METHODS[scenario.identity.method];
}
