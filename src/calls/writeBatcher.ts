import { callSidOf, type CallWrite } from './store.js';

type Waiting = { write: CallWrite; resolve: (applied: boolean) => void; reject: (err: unknown) => void };

/** Errors that belong to a batch's rows rather than to the database: its writes are retried one by one. */
const ROW_ERROR = /^(22|23|40)/;

/**
 * Group commit for the webhooks' writes. The first write goes to the database at once; those that
 * arrive while it is in flight wait and go together in the next statement, so a quiet line pays
 * no delay and a busy one commits many calls' turns with one statement and one WAL flush instead
 * of one each. A call has at most one write in a batch: a second (a repeated delivery) waits for
 * the next, where the version check turns it away.
 */
export function createWriteBatcher(commit: (writes: CallWrite[]) => Promise<Set<string>>, maxBatch = 64) {
  const queue: Waiting[] = [];
  let flushing = false;

  function takeBatch(): Waiting[] {
    const batch: Waiting[] = [];
    const sids = new Set<string>();
    for (let i = 0; i < queue.length && batch.length < maxBatch; ) {
      const sid = callSidOf(queue[i]!.write);
      if (sids.has(sid)) {
        i++;
        continue;
      }
      sids.add(sid);
      batch.push(queue.splice(i, 1)[0]!);
    }
    return batch;
  }

  async function run(batch: Waiting[]): Promise<void> {
    try {
      const applied = await commit(batch.map((w) => w.write));
      for (const w of batch) w.resolve(applied.has(callSidOf(w.write)));
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (batch.length > 1 && ROW_ERROR.test(code)) {
        for (const w of batch) await run([w]);
        return;
      }
      for (const w of batch) w.reject(err);
    }
  }

  async function flush(): Promise<void> {
    if (flushing) return;
    flushing = true;
    try {
      while (queue.length > 0) await run(takeBatch());
    } finally {
      flushing = false;
    }
  }

  return {
    /** True once the write is committed; false when the call's version moved on (or the CallSid existed). */
    write(write: CallWrite): Promise<boolean> {
      return new Promise<boolean>((resolve, reject) => {
        queue.push({ write, resolve, reject });
        void flush();
      });
    },
  };
}

export type WriteBatcher = ReturnType<typeof createWriteBatcher>;
