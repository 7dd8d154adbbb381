import pg from 'pg';

/** The benchmarks' own SQL: scratch databases, seeded consents, outcome counts. */

/** Creates a database on the server at adminUrl; its URL, or undefined when that server cannot be reached. */
export async function createScratchDatabase(adminUrl: string, name: string): Promise<string | undefined> {
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 1000 });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    return adminUrl.replace(/\/[^/]*$/, `/${name}`);
  } catch {
    return undefined;
  } finally {
    await admin.end().catch(() => {});
  }
}

/** Drops a scratch database (its connections too). */
export async function dropScratchDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Consent requests by status (bench:requests' outcome line). */
export async function requestOutcomes(pool: pg.Pool): Promise<{ status: string; n: number }[]> {
  return (await pool.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM consent_requests GROUP BY status')).rows;
}

/**
 * `count` ready consents for one application date, each with its call and recording, in one
 * statement (bench:export seeds 10,000 at a time this way).
 */
export async function seedReadyConsents(
  pool: pg.Pool, batch: { count: number; seedKey: string; date: string; files: string[]; firstPayer: number; bytes: number; sha256: string },
): Promise<void> {
  await pool.query(
    `WITH s AS (SELECT g, $4::text[] AS files FROM generate_series(1, $1::int) g),
          c AS (INSERT INTO calls (call_sid, scenario_id, state, step)
                SELECT 'CA' || md5($2 || g::text), 'default', '{}', 'ended' FROM s RETURNING call_sid),
          r AS (INSERT INTO recordings (recording_sid, call_sid, status, purpose, pipeline)
                SELECT 'RE' || md5($2 || g::text), 'CA' || md5($2 || g::text), 'completed', 'consent', 'done' FROM s, c WHERE c.call_sid = 'CA' || md5($2 || g::text) RETURNING 1)
     INSERT INTO consents (id, call_sid, recording_sid, attempt, status, method_code, consent_by, service_type, organization_code, organization_name,
       scenario_id, payer_number, holder_name, holder_id_kind, holder_id, phone, bank_code, account_number, application_date, consented_at,
       verification_number, file_extension, file_path, file_bytes, file_sha256, bitrate_kbps, duration_seconds, encoder, evidence)
     SELECT md5($2 || g::text)::uuid, 'CA' || md5($2 || g::text), 'RE' || md5($2 || g::text), 1, 'ready', 5, 'key', 'cms', '9912345678', 'bench',
       'default', 'P' || ($5::int + g), '홍길동', 'birthDate', '940424', null, '081', '75023332200333', $3, now() + g * interval '1 ms',
       lpad(($5::bigint + g + $3::text::bigint * 100000)::text, 16, '0'), 'mp3', s.files[g], $6::int, $7, 64, 12, 'ffmpeg', '{"passed":true,"checks":[]}'
       FROM s WHERE EXISTS (SELECT 1 FROM r LIMIT 1)`,
    [batch.count, batch.seedKey, batch.date, batch.files, batch.firstPayer, batch.bytes, batch.sha256],
  );
}

/** A pool on the bench's database. */
export function openPool(url: string, max: number): pg.Pool {
  return new pg.Pool({ connectionString: url, max });
}
