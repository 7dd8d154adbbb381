import { callSidOf, type CallWrite } from './store.js';

type Waiting = { write: CallWrite; resolve: (applied: boolean) => void; reject: (err: unknown) => void };

/** Errors that belong to a batch's rows rather than to the database: its writes are retried one by one. */
const ROW_ERROR = /^(22|23|40)/;

/**
 * Group commit for the webhooks' writes. A write goes to the database at once when fewer than
 * `maxInFlight` statements are running; those that arrive meanwhile wait and go together in the
 * next statement, so a quiet line pays no delay and a busy one commits many calls' turns with one
 * statement and one WAL flush instead of one each. A call has at most one write in flight: a
 * second (a repeated delivery) waits for the next statement, where the version check turns it away.
 */
export function createWriteBatcher(commit: (writes: CallWrite[]) => Promise<Set<string>>, options: { maxBatch?: number; maxInFlight?: number } = {}) {
  const maxBatch = options.maxBatch ?? 64;
  const maxInFlight = options.maxInFlight ?? 2;
  const queue: Waiting[] = [];
  const inFlightSids = new Set<string>();
  let inFlight = 0;

  function takeBatch(): Waiting[] {
    const batch: Waiting[] = [];
    for (let i = 0; i < queue.length && batch.length < maxBatch; ) {
      const sid = callSidOf(queue[i]!.write);
      if (inFlightSids.has(sid)) {
        i++;
        continue;
      }
      inFlightSids.add(sid);
      batch.push(queue.splice(i, 1)[0]!);
    }
    return batch;
  }

  async function commitOrSplit(batch: Waiting[]): Promise<void> {
    try {
      const applied = await commit(batch.map((w) => w.write));
      for (const w of batch) w.resolve(applied.has(callSidOf(w.write)));
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (batch.length > 1 && ROW_ERROR.test(code)) {
        for (const w of batch) await commitOrSplit([w]);
        return;
      }
      for (const w of batch) w.reject(err);
    }
  }

  function pump(): void {
    while (inFlight < maxInFlight && queue.length > 0) {
      const batch = takeBatch();
      if (batch.length === 0) return; // only writes of calls already in flight are waiting
      inFlight++;
      void commitOrSplit(batch).finally(() => {
        inFlight--;
        for (const w of batch) inFlightSids.delete(callSidOf(w.write));
        pump();
      });
    }
  }

  return {
    /** True once the write is committed; false when the call's version moved on (or the CallSid existed). */
    write(write: CallWrite): Promise<boolean> {
      return new Promise<boolean>((resolve, reject) => {
        queue.push({ write, resolve, reject });
        pump();
      });
    },
  };
}

export type WriteBatcher = ReturnType<typeof createWriteBatcher>;
