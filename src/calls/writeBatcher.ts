import type { Db } from '../db/database.js';
import { createGroupCommit } from '../shared/groupCommit.js';
import { callSidOf, commitCallWrites, type CallWrite } from './store.js';

/** Errors that belong to a write rather than to the database (bad data, a constraint, a deadlock). */
const WRITE_ERROR = /^(22|23|40)/;

/**
 * The webhooks' writes, committed in groups (one statement for the writes that arrive while the
 * previous one is being committed). A call has at most one write in flight: a second (a repeated
 * delivery) waits for the next group, where the version check turns it away. Resolves true once
 * the write is committed, false when the call's version moved on (or its CallSid existed).
 */
export function createWriteBatcher(db: Db) {
  return createGroupCommit<CallWrite, boolean>({
    commit: async (writes) => {
      const applied = await commitCallWrites(db, writes);
      return writes.map((w) => applied.has(callSidOf(w)));
    },
    keyOf: callSidOf,
    // One statement at a time: the larger groups cost the database less than a second statement in flight.
    maxInFlight: 1,
    isItemError: (err) => WRITE_ERROR.test((err as { code?: string }).code ?? ''),
  });
}
