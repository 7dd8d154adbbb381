import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type pg from 'pg';
import { AudioBudgetError, encodeWithinBudget, type Encoder } from '../audio/budget.js';
import { prepareRecordingOffThread } from '../audio/offThread.js';
import { WavError } from '../audio/wav.js';
import { getCall } from '../calls/store.js';
import { isSid } from '../telephony/sids.js';
import { consentById, consentByRecording, insertConsent, supersedeOlder, type Consent } from '../consents/store.js';
import { checkAgentEvidence, checkEvidence, type AgentEvent, type CallEvent, type Evidence } from '../consents/evidence.js';
import type { PreparedRecording } from '../audio/prepare.js';
import type { PayerSnapshot } from '../scenario/engine.js';
import type { Scenario } from '../scenario/schema.js';
import type { AgentConsentRow } from '../agent/agentConsents.js';
import { birthDateYYMMDD } from '../kftc/rules.js';
import { kstDate } from '../shared/time.js';
import { newVerificationNumber } from '../consents/verification.js';
import type { Logger } from '../log.js';
import type { ScenarioSet } from '../scenario/loader.js';
import { downloadRecordingWav, MediaError, recordingMediaPath, type MediaOptions } from '../telephony/media.js';
import type { TwilioRest, TwilioSettings } from '../telephony/rest.js';
import { evidencePath, sha256, sha256Async, sha256File, writeFileAtomic } from '../shared/files.js';
import { QUEUES, type JobQueue } from '../jobs/queue.js';

/**
 * From Twilio's recording status callback to the consent record: store the callback, fetch the
 * WAV (the evidence master), check the evidence, encode the MP3 within KFTC's budget, record the
 * consent, then notify the payer and delete the recording at Twilio. Every step is idempotent.
 */

export type PipelineDeps = {
  pool: pg.Pool;
  queue: JobQueue;
  twilio: TwilioRest;
  twilioSettings: TwilioSettings;
  scenarios: ScenarioSet;
  log: Logger;
  recordingsDir: string;
  payerChannel: 1 | 2;
  deleteAtTwilio: boolean;
  encoder: () => Encoder;
  media: MediaOptions;
  reconcileAfterSeconds: number;
  /** After a consent record is stored (ready or evidence_failed): consent requests follow it. */
  onConsentRecorded?: (consent: Consent) => Promise<void>;
  /** A consent was given but its recording could not be made evidence. */
  onConsentFailed?: (callSid: string, reason: string) => Promise<void>;
};


/** What a consent recording is evidence of, wherever it came from: the ARS (method 5) or an agent's call (method 4). */
type ConsentSubject = {
  methodCode: 4 | 5;
  consentBy: 'key' | 'voice';
  scenario: Scenario;
  payer: PayerSnapshot;
  account: { bankCode: string; accountNumber: string };
  attempt: number;
  consentedAt: Date;
  check(prepared: PreparedRecording, rec: RecordingRow): Evidence;
};

/** An agent's marked part is evidence only once the agent marked the answer as consent. */
function agentPurpose(state: string): 'consent' | 'awaiting-agent' | 'not-consent' {
  return state === 'consented' ? 'consent' : state === 'recording' || state === 'paused' ? 'awaiting-agent' : 'not-consent';
}

type RecordingRow = {
  recording_sid: string;
  call_sid: string;
  attempt: number | null;
  status: string;
  media_url: string | null;
  duration_seconds: number | null;
  purpose: string;
  pipeline: string;
  master_path: string | null;
  master_sha256: string | null;
};

const TERMINAL = ['completed', 'absent', 'failed'];

class PermanentFailure extends Error {}

export function createRecordingPipeline(deps: PipelineDeps) {
  const { pool, log } = deps;

  async function markPipeline(recordingSid: string, pipeline: string, error: string | null): Promise<void> {
    await pool.query('UPDATE recordings SET pipeline = $2, pipeline_error = $3, updated_at = now() WHERE recording_sid = $1', [recordingSid, pipeline, error]);
  }

  /** Which readback attempt gave the consent, if the call ended in one. */
  async function consentAttemptOf(callSid: string): Promise<number | undefined> {
    const call = await getCall(pool, callSid);
    if (!call || call.state.outcome?.kind !== 'consented') return undefined;
    return call.state.readbacks;
  }

  async function agentConsentFor(idParam: string | undefined, recordingSid: string, callSid: string): Promise<AgentConsentRow | undefined> {
    const id = idParam && /^[0-9a-f-]{36}$/i.test(idParam) ? idParam : null;
    const r = await pool.query<AgentConsentRow>('SELECT * FROM agent_consents WHERE (id = $1 OR recording_sid = $2) AND call_sid = $3 LIMIT 1', [id, recordingSid, callSid]);
    return r.rows[0];
  }

  function enqueueConsent(recordingSid: string) {
    return deps.queue.send(QUEUES.processRecording, { recordingSid }, { singletonKey: recordingSid });
  }

  async function skipNotEvidence(recordingSid: string, why: string): Promise<void> {
    // Not evidence (R3): a readback the payer said no to, a call without consent, an agent's declined part.
    await markPipeline(recordingSid, 'skipped', why);
    if (deps.deleteAtTwilio) await deps.queue.send(QUEUES.deleteAtTwilio, { recordingSid, verifyLocalCopy: false }, { singletonKey: `delete-${recordingSid}` });
  }

  /**
   * An agent's recording and the agent's answer arrive in either order; each side writes, then reads
   * the other, so whichever comes second hands the recording on (the job itself is idempotent).
   */
  async function agentDecided(recordingSid: string): Promise<void> {
    const rec = (await pool.query<{ status: string; pipeline: string; call_sid: string }>('SELECT status, pipeline, call_sid FROM recordings WHERE recording_sid = $1', [recordingSid])).rows[0];
    const agent = (await pool.query<AgentConsentRow>('SELECT * FROM agent_consents WHERE recording_sid = $1', [recordingSid])).rows[0];
    if (!rec || !agent || rec.pipeline !== 'pending' || !TERMINAL.includes(rec.status)) return;
    const purpose = agentPurpose(agent.state);
    if (purpose === 'awaiting-agent') return;
    await pool.query('UPDATE recordings SET purpose = $2, updated_at = now() WHERE recording_sid = $1', [recordingSid, purpose]);
    if (rec.status !== 'completed') {
      if (purpose === 'consent') await consentWithoutRecording(rec.call_sid, recordingSid, rec.status, undefined);
      else await markPipeline(recordingSid, 'skipped', `Twilio reported the recording as ${rec.status}`);
      return;
    }
    if (purpose === 'consent') await enqueueConsent(recordingSid);
    else await skipNotEvidence(recordingSid, `the agent marked the answer as ${agent.state}`);
  }

  async function consentWithoutRecording(callSid: string, recordingSid: string, status: string, errorCode: string | undefined): Promise<void> {
    log.error({ callSid, recordingSid, status, errorCode }, 'CONSENT WITHOUT RECORDING: Twilio reports the consent recording as ' + status);
    const reason = `Twilio reported the recording as ${status}${errorCode ? ` (error ${errorCode})` : ''}`;
    await markPipeline(recordingSid, 'failed', reason);
    await deps.onConsentFailed?.(callSid, reason);
  }

  /** POST /twilio/recording: store it; a duplicate or out-of-order callback changes nothing. */
  async function onCallback(params: Record<string, string | undefined>, query: { attempt?: string | undefined; agentConsent?: string | undefined }): Promise<void> {
    const recordingSid = params.RecordingSid ?? '';
    const callSid = params.CallSid ?? '';
    const status = params.RecordingStatus ?? '';
    if (!isSid('RE', recordingSid) || !isSid('CA', callSid)) {
      log.warn({ recordingSid: recordingSid.slice(0, 40) }, 'recording callback without valid RecordingSid/CallSid ignored');
      return;
    }
    if (!['in-progress', 'completed', 'absent', 'failed'].includes(status)) {
      log.warn({ recordingSid, status: status.slice(0, 20) }, 'recording callback with an unknown status ignored');
      return;
    }
    const attempt = /^\d{1,3}$/.test(query.attempt ?? '') ? Number(query.attempt) : null;
    const inserted = await pool.query(
      `INSERT INTO recording_callbacks (recording_sid, call_sid, status, attempt, params) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (recording_sid, status) DO NOTHING`,
      [recordingSid, callSid, status, attempt, params],
    );
    if (inserted.rowCount === 0) {
      log.info({ recordingSid, status }, 'duplicate recording callback');
      return;
    }
    const agent = await agentConsentFor(query.agentConsent, recordingSid, callSid);
    let purpose: string;
    if (agent) {
      purpose = agentPurpose(agent.state);
      if (!agent.recording_sid) await pool.query('UPDATE agent_consents SET recording_sid = $2 WHERE id = $1 AND recording_sid IS NULL', [agent.id, recordingSid]);
    } else {
      const consentAttempt = await consentAttemptOf(callSid);
      purpose = consentAttempt === undefined ? 'not-consent' : attempt === null || attempt === consentAttempt ? 'consent' : 'not-consent';
    }
    const terminal = TERMINAL.includes(status);
    const duration = /^\d+$/.test(params.RecordingDuration ?? '') ? Number(params.RecordingDuration) : null;
    const startedAt = params.RecordingStartTime && Number.isFinite(Date.parse(params.RecordingStartTime)) ? new Date(params.RecordingStartTime) : null;
    // A terminal status wins over in-progress whatever the order they arrive in.
    await pool.query(
      `INSERT INTO recordings (recording_sid, call_sid, attempt, status, media_url, duration_seconds, channels, started_at, error_code, purpose)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (recording_sid) DO UPDATE SET
         status = CASE WHEN recordings.status = ANY($11) THEN recordings.status ELSE EXCLUDED.status END,
         media_url = COALESCE(EXCLUDED.media_url, recordings.media_url),
         duration_seconds = COALESCE(EXCLUDED.duration_seconds, recordings.duration_seconds),
         channels = COALESCE(EXCLUDED.channels, recordings.channels),
         started_at = COALESCE(recordings.started_at, EXCLUDED.started_at),
         error_code = COALESCE(EXCLUDED.error_code, recordings.error_code),
         purpose = EXCLUDED.purpose, updated_at = now()`,
      [recordingSid, callSid, attempt, status, params.RecordingUrl ?? null, duration,
        /^\d$/.test(params.RecordingChannels ?? '') ? Number(params.RecordingChannels) : null, startedAt,
        params.ErrorCode || null, purpose, TERMINAL],
    );
    if (!terminal) return;
    if (agent) return agentDecided(recordingSid);
    if (status !== 'completed') {
      if (purpose === 'consent') await consentWithoutRecording(callSid, recordingSid, status, params.ErrorCode);
      return;
    }
    if (purpose === 'consent') await enqueueConsent(recordingSid);
    else await skipNotEvidence(recordingSid, 'not the consent part of the call');
  }

  async function loadMaster(rec: RecordingRow): Promise<Buffer> {
    if (rec.master_path && rec.master_sha256 && existsSync(rec.master_path)) {
      const buf = await readFile(rec.master_path);
      if (sha256(buf) === rec.master_sha256) return buf;
      log.warn({ recordingSid: rec.recording_sid }, 'stored master does not match its hash; fetching again');
    }
    let mediaPath: string;
    try {
      mediaPath = recordingMediaPath(rec.media_url ?? undefined, deps.twilioSettings.accountSid, rec.recording_sid);
    } catch (err) {
      throw new PermanentFailure((err as Error).message);
    }
    const wav = await downloadRecordingWav(deps.twilioSettings, mediaPath, deps.media);
    const file = evidencePath(deps.recordingsDir, new Date(), rec.call_sid, `${rec.recording_sid}.wav`);
    await writeFileAtomic(file, wav);
    await pool.query('UPDATE recordings SET master_path = $2, master_sha256 = $3, master_bytes = $4, updated_at = now() WHERE recording_sid = $1', [
      rec.recording_sid, file, await sha256Async(wav), wav.length,
    ]);
    return wav;
  }

  async function followUps(consent: Consent): Promise<void> {
    if (consent.status === 'ready' && !consent.phone) log.warn({ consentId: consent.id }, 'no phone on file: no registration SMS');
    if (consent.status === 'ready' && consent.phone) await deps.queue.send(QUEUES.notifyPayer, { consentId: consent.id }, { singletonKey: `notify-${consent.id}` });
    if (deps.deleteAtTwilio) await deps.queue.send(QUEUES.deleteAtTwilio, { recordingSid: consent.recordingSid, verifyLocalCopy: true }, { singletonKey: `delete-${consent.recordingSid}` });
  }

  /** A consent id that is the same however often the job runs. */
  function consentIdFor(recordingSid: string): string {
    const h = createHash('sha256').update(`consent:${recordingSid}`).digest('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** The ARS's consent (inbound or outbound): the call ended in consent, its state holds who and what. */
  async function arsSubject(rec: RecordingRow): Promise<ConsentSubject | undefined> {
    const call = await getCall(pool, rec.call_sid);
    const state = call?.state;
    const outcome = state?.outcome;
    if (!call || !state || outcome?.kind !== 'consented' || !state.payer || !state.account) return undefined;
    const events = (
      await pool.query<CallEvent>('SELECT id::int AS id, at, kind, step, detail FROM call_events WHERE call_sid = $1 ORDER BY id', [rec.call_sid])
    ).rows;
    const announcement = events.findLast((e) => e.kind === 'prompt' && e.detail.evidence === 'consentAnnouncement');
    const attempt = rec.attempt ?? state.readbacks;
    return {
      methodCode: 5,
      consentBy: outcome.by,
      scenario: deps.scenarios.byId(call.scenarioId) ?? deps.scenarios.forCalledNumber(undefined),
      payer: state.payer,
      account: state.account,
      attempt,
      consentedAt: announcement?.at ?? new Date(),
      check: (prepared, r) =>
        checkEvidence(events, {
          attempt,
          durationSeconds: prepared.durationSeconds,
          declaredSeconds: r.duration_seconds ?? undefined,
          truncated: prepared.truncated,
          payerFrames: prepared.payerFrames,
          arsFrames: prepared.arsFrames,
          consentBy: outcome.by,
          speech: outcome.speech,
          consentKey: outcome.key,
        }),
    };
  }

  /** An agent's recorded consent (method 4): the marked part of the call, the payer's spoken yes. */
  async function agentSubject(rec: RecordingRow, agent: AgentConsentRow): Promise<ConsentSubject | undefined> {
    if (agent.state !== 'consented') return undefined;
    const events = (
      await pool.query<AgentEvent>('SELECT at, kind, detail FROM agent_consent_events WHERE agent_consent_id = $1 ORDER BY id', [agent.id])
    ).rows;
    return {
      methodCode: 4,
      consentBy: 'voice',
      scenario: deps.scenarios.byId(agent.scenario_id) ?? deps.scenarios.forCalledNumber(undefined),
      payer: { payerNumber: agent.payer_number, name: agent.holder_name, birthDate: agent.birth_date, phone: agent.phone ?? '', businessNumber: agent.business_number ?? undefined },
      account: { bankCode: agent.bank_code, accountNumber: agent.account_number },
      attempt: 1,
      consentedAt: agent.finished_at ?? new Date(),
      check: (prepared, r) =>
        checkAgentEvidence(events, {
          script: agent.script,
          durationSeconds: prepared.durationSeconds,
          declaredSeconds: r.duration_seconds ?? undefined,
          truncated: prepared.truncated,
          payerFrames: prepared.payerFrames,
          agentFrames: prepared.arsFrames,
        }),
    };
  }

  async function produceConsent(rec: RecordingRow): Promise<void> {
    const existing = await consentByRecording(pool, rec.recording_sid);
    if (existing) {
      await deps.onConsentRecorded?.(existing);
      return followUps(existing);
    }
    const agent = (await pool.query<AgentConsentRow>('SELECT * FROM agent_consents WHERE recording_sid = $1', [rec.recording_sid])).rows[0];
    const subject = agent ? await agentSubject(rec, agent) : await arsSubject(rec);
    if (!subject) {
      await markPipeline(rec.recording_sid, 'skipped', agent ? 'the agent did not mark the answer as consent' : 'the call did not end in consent');
      return;
    }
    const wav = await loadMaster(rec);
    let prepared;
    try {
      prepared = await prepareRecordingOffThread(wav, deps.payerChannel);
    } catch (err) {
      if (err instanceof WavError) throw new PermanentFailure(`the recording is not usable audio: ${err.message}`);
      throw err;
    }
    const evidence = subject.check(prepared, rec);
    let encoded;
    try {
      encoded = await encodeWithinBudget(prepared.mono, deps.encoder());
    } catch (err) {
      if (err instanceof AudioBudgetError) throw new PermanentFailure(err.message);
      throw err;
    }
    const id = consentIdFor(rec.recording_sid);
    const mp3Path = evidencePath(deps.recordingsDir, new Date(), rec.call_sid, `${id}.mp3`);
    await writeFileAtomic(mp3Path, encoded.mp3);
    const consentedAt = new Date(Math.floor(subject.consentedAt.getTime() / 1000) * 1000);
    const { scenario, payer, account } = subject;
    const serviceType = scenario.organization.serviceType;
    for (let tries = 0; ; tries++) {
      try {
        await insertConsent(pool, {
          id,
          callSid: rec.call_sid,
          recordingSid: rec.recording_sid,
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
          filePath: mp3Path,
          fileBytes: encoded.mp3.length,
          fileSha256: sha256(encoded.mp3),
          bitrateKbps: encoded.kbps,
          durationSeconds: Math.round(encoded.info.durationSeconds * 1000) / 1000,
          encoder: encoded.encoder,
          evidence,
        });
        break;
      } catch (err) {
        const e = err as { code?: string; constraint?: string };
        if (e.code === '23505' && e.constraint === 'consents_verification_number_key' && tries < 5) continue;
        throw err;
      }
    }
    await markPipeline(rec.recording_sid, 'done', null);
    const consent = (await consentByRecording(pool, rec.recording_sid))!;
    if (consent.status === 'evidence_failed') {
      log.error({ consentId: consent.id, callSid: rec.call_sid, reasons: evidence.checks.filter((c) => !c.ok).map((c) => c.name) }, 'consent evidence check failed: not handed on for transmission');
    } else {
      const superseded = await supersedeOlder(pool, consent);
      log.info({ consentId: consent.id, callSid: rec.call_sid, methodCode: consent.methodCode, bytes: consent.fileBytes, kbps: consent.bitrateKbps, superseded }, 'consent recorded');
    }
    await deps.onConsentRecorded?.(consent);
    await followUps(consent);
  }

  async function processRecording(data: { recordingSid: string }, job: { retryCount: number; retryLimit: number }): Promise<void> {
    const rec = (await pool.query<RecordingRow>('SELECT * FROM recordings WHERE recording_sid = $1', [data.recordingSid])).rows[0];
    if (!rec) return;
    try {
      await produceConsent(rec);
    } catch (err) {
      const e = err as Error;
      const permanent = err instanceof PermanentFailure || (err instanceof MediaError && !err.retryable);
      if (permanent || job.retryCount >= job.retryLimit) {
        log.error({ recordingSid: rec.recording_sid, callSid: rec.call_sid, err: e.message }, 'CONSENT RECORDING FAILED: the pipeline gave up');
        await markPipeline(rec.recording_sid, 'failed', e.message);
        await deps.onConsentFailed?.(rec.call_sid, e.message);
        return;
      }
      log.warn({ recordingSid: rec.recording_sid, err: e.message, retry: job.retryCount + 1 }, 'recording pipeline will retry');
      await markPipeline(rec.recording_sid, 'pending', e.message);
      throw err;
    }
  }

  /** After a consent: if no recording callback came, ask Twilio for the call's recordings. */
  async function reconcile(data: { callSid: string; attempt: number }): Promise<void> {
    const known = await pool.query('SELECT 1 FROM recording_callbacks WHERE call_sid = $1 AND status = ANY($2) LIMIT 1', [data.callSid, TERMINAL]);
    if (known.rowCount) return;
    log.error({ callSid: data.callSid }, 'no recording callback for a consent call: asking Twilio for its recordings');
    const found = await deps.twilio.listCallRecordings(data.callSid);
    if (found.length === 0) {
      log.error({ callSid: data.callSid }, 'CONSENT WITHOUT RECORDING: Twilio lists no recording for the call');
      return;
    }
    for (const params of found) await onCallback(params, { attempt: found.length === 1 ? String(data.attempt) : undefined });
  }

  async function deleteAtTwilio(data: { recordingSid: string; verifyLocalCopy: boolean }): Promise<void> {
    const rec = (await pool.query<RecordingRow & { deleted_at_twilio: Date | null }>('SELECT * FROM recordings WHERE recording_sid = $1', [data.recordingSid])).rows[0];
    if (!rec || rec.deleted_at_twilio) return;
    if (data.verifyLocalCopy) {
      if (!rec.master_path || !rec.master_sha256 || !existsSync(rec.master_path)) {
        log.error({ recordingSid: rec.recording_sid }, 'not deleting at Twilio: no local copy');
        return;
      }
      if ((await sha256File(rec.master_path)) !== rec.master_sha256) {
        log.error({ recordingSid: rec.recording_sid }, 'not deleting at Twilio: the local copy does not match its hash');
        return;
      }
    }
    await deps.twilio.deleteRecording(rec.recording_sid);
    await pool.query('UPDATE recordings SET deleted_at_twilio = now(), updated_at = now() WHERE recording_sid = $1', [rec.recording_sid]);
  }

  async function notifyPayer(data: { consentId: string }): Promise<void> {
    const consent = await consentById(pool, data.consentId);
    if (!consent || consent.notifiedAt || !consent.phone || consent.status === 'evidence_failed') return;
    if (!deps.twilioSettings.smsFrom) {
      log.warn({ consentId: consent.id }, 'no SMS sender configured (TWILIO_SMS_FROM): the registration SMS was not sent');
      return;
    }
    // Claim first: a crash after sending must not send twice. A failed send releases the claim.
    const claimed = await pool.query('UPDATE consents SET notified_at = now() WHERE id = $1 AND notified_at IS NULL', [consent.id]);
    if (claimed.rowCount === 0) return;
    const account = consent.accountNumber.slice(-4);
    const text = `[${consent.organizationName}] 자동납부 출금동의가 등록되었습니다. 계좌 끝자리 ${account}, 확인번호 ${consent.verificationNumber}`;
    try {
      await deps.twilio.sendSms(consent.phone, text);
    } catch (err) {
      await pool.query('UPDATE consents SET notified_at = NULL WHERE id = $1', [consent.id]);
      throw err;
    }
  }

  return {
    onCallback,
    agentDecided,
    processRecording,
    reconcile,
    deleteAtTwilio,
    notifyPayer,
    async scheduleReconcile(callSid: string, attempt: number): Promise<void> {
      await deps.queue.send(QUEUES.reconcileRecording, { callSid, attempt }, { singletonKey: `reconcile-${callSid}`, startAfterSeconds: deps.reconcileAfterSeconds });
    },
    async startWorkers(concurrency: number): Promise<void> {
      await deps.queue.work(QUEUES.processRecording, concurrency, processRecording);
      await deps.queue.work(QUEUES.reconcileRecording, 1, reconcile);
      await deps.queue.work(QUEUES.deleteAtTwilio, 1, deleteAtTwilio);
      await deps.queue.work(QUEUES.notifyPayer, 1, notifyPayer);
    },
  };
}

export type RecordingPipeline = ReturnType<typeof createRecordingPipeline>;
