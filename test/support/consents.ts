import { randomBytes, randomUUID, createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import type { NewConsent } from '../../src/consents/consents.js';
import { insertConsent } from '../../src/consents/store.js';
import { newVerificationNumber } from '../../src/consents/verification.js';

/** Stores a consent as the pipeline would, with its audio file, for tests of what comes after. */
export async function storeConsent(pool: pg.Pool, dir: string, audio: Buffer, over: Partial<NewConsent> = {}): Promise<NewConsent> {
  const callSid = `CA${randomBytes(16).toString('hex')}`;
  const recordingSid = `RE${randomBytes(16).toString('hex')}`;
  await pool.query(`INSERT INTO calls (call_sid, scenario_id, state, step) VALUES ($1, 'default', '{}', 'ended')`, [callSid]);
  await pool.query(`INSERT INTO recordings (recording_sid, call_sid, status, purpose, pipeline) VALUES ($1, $2, 'completed', 'consent', 'done')`, [recordingSid, callSid]);
  const id = randomUUID();
  mkdirSync(dir, { recursive: true });
  const filePath = path.join(dir, `${id}.mp3`);
  writeFileSync(filePath, audio);
  const consent: NewConsent = {
    id, callSid, recordingSid, attempt: 1, status: 'ready', methodCode: 5, consentBy: 'key', serviceType: 'cms', organizationCode: '9912345678',
    organizationName: '한빛에너지', scenarioId: 'default', payerNumber: 'P1', holderName: '홍길동', holderIdKind: 'birthDate', holderId: '940424',
    phone: '+821012345678', bankCode: '081', accountNumber: '75023332200333', applicationDate: '20261122', consentedAt: new Date('2026-11-22T03:04:05Z'),
    verificationNumber: newVerificationNumber(), fileExtension: 'mp3', filePath, fileBytes: audio.length,
    fileSha256: createHash('sha256').update(audio).digest('hex'), bitrateKbps: 64, durationSeconds: 1, encoder: 'ffmpeg',
    evidence: { passed: true, checks: [] },
    ...over,
  };
  await insertConsent(pool, consent);
  return consent;
}
