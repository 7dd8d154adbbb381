import type { Db } from '../db/database.js';

/** Per organisation: how its FB0110 trace numbers are written (blank, the default, or from the registration file). */

export type TraceNumberSetting = 'blank' | 'registration';

const SELECT_TRACE = 'SELECT trace_number FROM kftc_organization_settings WHERE organization_code = $1';
const UPSERT_TRACE = `INSERT INTO kftc_organization_settings (organization_code, trace_number, updated_by) VALUES ($1, $2, $3)
  ON CONFLICT (organization_code) DO UPDATE SET trace_number = EXCLUDED.trace_number, updated_by = EXCLUDED.updated_by, updated_at = now()`;

export async function traceNumberSetting(db: Db, organizationCode: string): Promise<TraceNumberSetting> {
  const r = await db.query<{ trace_number: TraceNumberSetting }>(SELECT_TRACE, [organizationCode]);
  return r.rows[0]?.trace_number ?? 'blank';
}

export async function setTraceNumberSetting(db: Db, organizationCode: string, value: TraceNumberSetting, actor: string): Promise<void> {
  await db.query(UPSERT_TRACE, [organizationCode, value, actor]);
}
