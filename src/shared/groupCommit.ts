type Waiting<T, R> = { item: T; resolve: (result: R) => void; reject: (err: unknown) => void };

export type GroupCommitOptions<T, R> = {
  /** Commits the items together; one result per item, in order. */
  commit: (items: T[]) => Promise<R[]>;
  /** Items with the same key are never in flight together (the later one waits for the next group). */
  keyOf?: (item: T) => string;
  /** An error that belongs to some item rather than to all: the group is retried an item at a time. */
  isItemError?: (err: unknown) => boolean;
  maxGroup?: number;
  maxInFlight?: number;
  /**
   * A group in flight longer than this (a row lock, a connection gone quiet) no longer counts
   * against maxInFlight: the other items go on in a statement of their own instead of waiting
   * behind it past their webhook's deadline. Its keys stay in flight.
   */
  stallMs?: number;
  /**
   * Items wait up to this long for others to join their group (0: none). For work that is not
   * waited on and runs later anyway (a check scheduled minutes ahead): many items, one statement.
   */
  lingerMs?: number;
};

/** Adds an item; resolves with its result once its group is committed. */
export type GroupCommit<T, R> = ((item: T) => Promise<R>) & {
  /** Commits what is waiting now (a lingering group too) and waits for every group in flight. */
  flush(): Promise<void>;
};

/**
 * Group commit: an item goes to the database at once when fewer than `maxInFlight` groups are
 * being committed; the items that arrive meanwhile wait and go together in the next group. A quiet
 * service pays no delay; a busy one makes one statement and one WAL flush for many items.
 */
export function createGroupCommit<T, R>(options: GroupCommitOptions<T, R>): GroupCommit<T, R> {
  const { commit, keyOf, isItemError } = options;
  const maxGroup = options.maxGroup ?? 64;
  const maxInFlight = options.maxInFlight ?? 2;
  const stallMs = options.stallMs ?? 500;
  const lingerMs = options.lingerMs ?? 0;
  const queue: Waiting<T, R>[] = [];
  const keysInFlight = new Set<string>();
  const groupsInFlight = new Set<Promise<void>>();
  let inFlight = 0;
  let lingering: ReturnType<typeof setTimeout> | undefined;

  function takeGroup(): Waiting<T, R>[] {
    const group: Waiting<T, R>[] = [];
    for (let i = 0; i < queue.length && group.length < maxGroup; ) {
      const key = keyOf?.(queue[i]!.item);
      if (key !== undefined) {
        if (keysInFlight.has(key)) {
          i++;
          continue;
        }
        keysInFlight.add(key);
      }
      group.push(queue.splice(i, 1)[0]!);
    }
    return group;
  }

  async function commitOrSplit(group: Waiting<T, R>[]): Promise<void> {
    try {
      const results = await commit(group.map((w) => w.item));
      group.forEach((w, i) => w.resolve(results[i]!));
    } catch (err) {
      if (group.length > 1 && isItemError?.(err)) {
        for (const w of group) await commitOrSplit([w]);
        return;
      }
      for (const w of group) w.reject(err);
    }
  }

  function pump(now = false): void {
    if (lingerMs > 0 && !now && queue.length > 0 && queue.length < maxGroup) {
      lingering ??= setTimeout(() => {
        lingering = undefined;
        pump(true);
      }, lingerMs);
      lingering.unref?.();
      return;
    }
    clearTimeout(lingering);
    lingering = undefined;
    while (inFlight < maxInFlight && queue.length > 0) {
      const group = takeGroup();
      if (group.length === 0) return; // only items whose key is in flight are waiting
      inFlight++;
      let counted = true;
      const stalled = setTimeout(() => {
        counted = false;
        inFlight--;
        pump();
      }, stallMs);
      stalled.unref?.();
      const committed = commitOrSplit(group).finally(() => {
        clearTimeout(stalled);
        if (counted) inFlight--;
        if (keyOf) for (const w of group) keysInFlight.delete(keyOf(w.item));
        groupsInFlight.delete(committed);
        pump();
      });
      groupsInFlight.add(committed);
    }
  }

  const add = (item: T) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      pump();
    });
  async function flush(): Promise<void> {
    while (queue.length > 0 || groupsInFlight.size > 0) {
      pump(true);
      await Promise.race(groupsInFlight);
    }
  }
  return Object.assign(add, { flush });
}
