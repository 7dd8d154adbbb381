import { pino, type DestinationStream, type Logger } from 'pino';
import { currentRequest } from './http/requestContext.js';

/**
 * The service's logger. Personal data never reaches it unmasked: the redact paths below are a
 * safety net; callers log masked values (see shared/mask.ts) and never whole request bodies.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    // Every line written while a request is served carries its reqId (and a Twilio call's CallSid).
    mixin: () => currentRequest() ?? {},
    redact: {
      paths: [
        'accountNumber', '*.accountNumber', 'birthDate', '*.birthDate', 'digits', '*.digits',
        'Digits', '*.Digits', 'smsCode', '*.smsCode', 'password', '*.password', 'SpeechResult',
        '*.SpeechResult', 'businessNumber', '*.businessNumber', 'authorization', '*.authorization',
      ],
      censor: '[masked]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
