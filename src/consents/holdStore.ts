import type { Db } from '../db/database.js';
import { kstIso } from '../shared/time.js';

/** Legal holds (R7 in a dispute): while a consent is held, retention never purges it, its call, events or audio. */

export type Hold = { reason: string; heldBy: string; heldAt: string };

const SELECT_ACTIVE = 'SELECT reason, held_by, held_at FROM consent_holds WHERE consent_id = $1 AND released_at IS NULL';
const INSERT_HOLD = `INSERT INTO consent_holds (consent_id, reason, held_by) VALUES ($1, $2, $3)
  ON CONFLICT (consent_id) WHERE released_at IS NULL DO NOTHING`;
const RELEASE_HOLD = `UPDATE consent_holds SET released_by = $2, released_at = now() WHERE consent_id = $1 AND released_at IS NULL RETURNING reason`;

export async function activeHold(db: Db, consentId: string): Promise<Hold | null> {
  const r = (await db.query<{ reason: string; held_by: string; held_at: Date }>(SELECT_ACTIVE, [consentId])).rows[0];
  return r ? { reason: r.reason, heldBy: r.held_by, heldAt: kstIso(r.held_at) } : null;
}

/** False when the consent is already held. */
export async function placeHold(db: Db, consentId: string, reason: string, actor: string): Promise<boolean> {
  return ((await db.query(INSERT_HOLD, [consentId, reason, actor])).rowCount ?? 0) === 1;
}

/** The reason of the hold released, or undefined when there was none. */
export async function releaseHold(db: Db, consentId: string, actor: string): Promise<string | undefined> {
  return (await db.query<{ reason: string }>(RELEASE_HOLD, [consentId, actor])).rows[0]?.reason;
}
