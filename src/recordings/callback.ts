import { isSid } from '../telephony/sids.js';
import type { RecordingCallback, RecordingStatus } from './store.js';

/** Twilio's recording status callback, read once: a callback to store, or why it is ignored. */

const STATUSES: RecordingStatus[] = ['in-progress', 'completed', 'absent', 'failed'];

export type ParsedCallback = { ok: true; callback: RecordingCallback } | { ok: false; why: string };

export function parseRecordingCallback(params: Record<string, string | undefined>, query: { attempt?: string | undefined }): ParsedCallback {
  const recordingSid = params.RecordingSid ?? '';
  const callSid = params.CallSid ?? '';
  const status = (params.RecordingStatus ?? '') as RecordingStatus;
  if (!isSid('RE', recordingSid) || !isSid('CA', callSid)) return { ok: false, why: 'recording callback without valid RecordingSid/CallSid ignored' };
  if (!STATUSES.includes(status)) return { ok: false, why: 'recording callback with an unknown status ignored' };
  const startedAt = params.RecordingStartTime && Number.isFinite(Date.parse(params.RecordingStartTime)) ? new Date(params.RecordingStartTime) : null;
  return {
    ok: true,
    callback: {
      recordingSid,
      callSid,
      status,
      attempt: /^\d{1,3}$/.test(query.attempt ?? '') ? Number(query.attempt) : null,
      mediaUrl: params.RecordingUrl ?? null,
      durationSeconds: /^\d+$/.test(params.RecordingDuration ?? '') ? Number(params.RecordingDuration) : null,
      channels: /^\d$/.test(params.RecordingChannels ?? '') ? Number(params.RecordingChannels) : null,
      startedAt,
      errorCode: params.ErrorCode || null,
      params,
    },
  };
}
