import { createHash } from 'node:crypto';
import type pg from 'pg';
import { AudioBudgetError, encodeWithinBudget, type Encoder } from '../audio/budget.js';
import { prepareRecordingOffThread } from '../audio/offThread.js';
import { WavError } from '../audio/wav.js';
import type { NewConsent } from '../consents/consents.js';
import { consentByRecording, insertConsent, supersedeOlder, type Consent } from '../consents/store.js';
import type { Evidence } from '../consents/evidence.js';
import { newVerificationNumber } from '../consents/verification.js';
import type { MarkFacts } from '../marks/timeMark.js';

export type SignTimeMark = (facts: MarkFacts) => Promise<string>;
import { withTransaction } from '../db/database.js';
import { birthDateYYMMDD } from '../kftc/rules.js';
import type { Logger } from '../log.js';
import type { ScenarioSet } from '../scenario/loader.js';
import { faultPoint } from '../shared/faults.js';
import { evidencePath, sha256, writeFileAtomic } from '../shared/files.js';
import { kstDate } from '../shared/time.js';
import { agentConsentByRecording } from '../agent/store.js';
import { agentSubject, arsSubject, type ConsentSubject } from './consentSubject.js';
import { storedMaster } from './evidenceMaster.js';
import { markPipeline, type Recording } from './store.js';

/** The pipeline cannot make this recording a consent, however often it tries. */
export class PermanentFailure extends Error {}

export type ProduceDeps = {
  pool: pg.Pool;
  /** Signs the consent's time mark (진본마크), stored with the record. */
  signTimeMark: SignTimeMark;
  log: Logger;
  scenarios: ScenarioSet;
  recordingsDir: string;
  payerChannel: 1 | 2;
  encoder: () => Encoder;
  /** The encoder's scratch folder (workDir.ts). */
  workDir?: string;
};

export type Produced =
  | { kind: 'consent'; consent: Consent; created: boolean }
  | { kind: 'not-evidence'; why: string }
  | { kind: 'needs-master' };

/**
 * Produce the consent from a recording: find what it is evidence of (the ARS call or the agent's
 * marked part), take the kept WAV master, check the evidence, encode the MP3 within KFTC's budget,
 * store the consent. Idempotent: a recording that already gave a consent gives it again.
 */
export async function produceConsentFromRecording(deps: ProduceDeps, rec: Recording): Promise<Produced> {
  const existing = await consentByRecording(deps.pool, rec.recordingSid);
  if (existing) return { kind: 'consent', consent: existing, created: false };

  const agent = await agentConsentByRecording(deps.pool, rec.recordingSid);
  const subject = agent ? await agentSubject(deps.pool, deps.scenarios, agent) : await arsSubject(deps.pool, deps.scenarios, rec);
  if (!subject) return { kind: 'not-evidence', why: agent ? 'the agent did not mark the answer as consent' : 'the call did not end in consent' };

  const wav = await storedMaster(rec);
  if (!wav) return { kind: 'needs-master' };

  const prepared = await prepareAudio(wav, deps.payerChannel);
  const evidence = subject.check(prepared, rec);
  const encoded = await encodeMp3(prepared.mono, deps.encoder(), deps.workDir);
  faultPoint('during-encoding');

  const id = consentIdFor(rec.recordingSid);
  const mp3Path = evidencePath(deps.recordingsDir, new Date(), rec.callSid, `${id}.mp3`);
  await writeFileAtomic(mp3Path, encoded.mp3);
  const consent = await storeConsent(deps.pool, deps.signTimeMark, consentRecord(id, rec, subject, evidence, {
    filePath: mp3Path, fileBytes: encoded.mp3.length, fileSha256: sha256(encoded.mp3), bitrateKbps: encoded.kbps,
    durationSeconds: Math.round(encoded.info.durationSeconds * 1000) / 1000, encoder: encoded.encoder,
  }));
  faultPoint('after-consent-insert');
  if (consent.status === 'evidence_failed') {
    deps.log.error({ consentId: consent.id, callSid: rec.callSid, reasons: evidence.checks.filter((c) => !c.ok).map((c) => c.name) }, 'consent evidence check failed: not handed on for transmission');
  } else {
    deps.log.info({ consentId: consent.id, callSid: rec.callSid, methodCode: consent.methodCode, bytes: consent.fileBytes, kbps: consent.bitrateKbps }, 'consent recorded');
  }
  return { kind: 'consent', consent, created: true };
}

async function prepareAudio(wav: Buffer, payerChannel: 1 | 2) {
  try {
    return await prepareRecordingOffThread(wav, payerChannel);
  } catch (err) {
    if (err instanceof WavError) throw new PermanentFailure(`the recording is not usable audio: ${err.message}`);
    throw err;
  }
}

async function encodeMp3(mono: Int16Array, encoder: Encoder, workDir: string | undefined) {
  try {
    return await encodeWithinBudget(mono, encoder, undefined, workDir);
  } catch (err) {
    if (err instanceof AudioBudgetError) throw new PermanentFailure(err.message);
    throw err;
  }
}

type EncodedFile = Pick<NewConsent, 'filePath' | 'fileBytes' | 'fileSha256' | 'bitrateKbps' | 'durationSeconds' | 'encoder'>;

function consentRecord(id: string, rec: Recording, subject: ConsentSubject, evidence: Evidence, file: EncodedFile): NewConsent {
  const consentedAt = new Date(Math.floor(subject.consentedAt.getTime() / 1000) * 1000);
  const { scenario, payer, account } = subject;
  const serviceType = scenario.organization.serviceType;
  return {
    id,
    callSid: rec.callSid,
    recordingSid: rec.recordingSid,
    attempt: subject.attempt,
    status: evidence.passed ? 'ready' : 'evidence_failed',
    methodCode: subject.methodCode,
    consentBy: subject.consentBy,
    serviceType,
    organizationCode: scenario.organization.codes[serviceType]!,
    organizationName: scenario.organization.name,
    scenarioId: scenario.id,
    payerNumber: payer.payerNumber,
    holderName: payer.name,
    holderIdKind: payer.businessNumber ? 'businessNumber' : 'birthDate',
    holderId: payer.businessNumber ?? birthDateYYMMDD(payer.birthDate),
    phone: payer.phone || undefined,
    bankCode: account.bankCode,
    accountNumber: account.accountNumber,
    applicationDate: kstDate(consentedAt),
    consentedAt,
    verificationNumber: newVerificationNumber(),
    fileExtension: 'mp3',
    ...file,
    evidence,
  };
}

/**
 * Stores a consent record, in one transaction with the recording's pipeline marked done and the
 * payer's older consents superseded. The one place a consent is stored (a signed time mark is
 * added here). A clash of verification numbers draws a new one.
 */
export async function storeConsent(pool: pg.Pool, signTimeMark: SignTimeMark, record: NewConsent): Promise<Consent> {
  for (let tries = 0; ; tries++) {
    const timeMark = await signTimeMark({
      verificationNumber: record.verificationNumber, sha256: record.fileSha256, fileSize: record.fileBytes,
      consentedAt: record.consentedAt, organizationCode: record.organizationCode, methodCode: record.methodCode,
    });
    try {
      return await withTransaction(pool, async (tx) => {
        await insertConsent(tx, { ...record, timeMark });
        await markPipeline(tx, record.recordingSid, 'done', null);
        const consent = (await consentByRecording(tx, record.recordingSid))!;
        if (consent.status === 'ready') await supersedeOlder(tx, consent);
        return consent;
      });
    } catch (err) {
      const e = err as { code?: string; constraint?: string };
      if (e.code === '23505' && e.constraint === 'consents_verification_number_key' && tries < 5) {
        record = { ...record, verificationNumber: newVerificationNumber() };
        continue;
      }
      throw err;
    }
  }
}

/** A consent id that is the same however often the job runs. */
export function consentIdFor(recordingSid: string): string {
  const h = createHash('sha256').update(`consent:${recordingSid}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
