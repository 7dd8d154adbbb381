import { describe, expect, it } from 'vitest';
import { createGroupCommit } from '../src/shared/groupCommit.js';

/** Group commit on its own (the webhooks' writes and the recording checks use it with the database). */

function recorder(delayMs = 0) {
  const groups: number[][] = [];
  const commit = async (items: number[]) => {
    groups.push(items);
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    return items.map((n) => n * 10);
  };
  return { groups, commit };
}

describe('group commit', () => {
  it('without linger, an item goes at once and those arriving meanwhile go together next', async () => {
    const { groups, commit } = recorder(20);
    const add = createGroupCommit({ commit, maxInFlight: 1 });
    const results = await Promise.all([1, 2, 3, 4].map((n) => add(n)));
    expect(results).toEqual([10, 20, 30, 40]);
    expect(groups).toEqual([[1], [2, 3, 4]]);
  });

  it('with linger, items arriving within it share one commit, made when the linger ends', async () => {
    const { groups, commit } = recorder();
    const add = createGroupCommit({ commit, lingerMs: 100 });
    const started = Date.now();
    const first = add(1);
    await new Promise((r) => setTimeout(r, 30));
    const later = [add(2), add(3)];
    expect(groups).toEqual([]);
    expect(await Promise.all([first, ...later])).toEqual([10, 20, 30]);
    expect(groups).toEqual([[1, 2, 3]]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
  });

  it('a full group does not wait for the linger', async () => {
    const { groups, commit } = recorder();
    const add = createGroupCommit({ commit, lingerMs: 60_000, maxGroup: 3 });
    expect(await Promise.all([1, 2, 3].map((n) => add(n)))).toEqual([10, 20, 30]);
    expect(groups).toEqual([[1, 2, 3]]);
  });

  it('flush commits what lingers now and waits for the groups in flight', async () => {
    const { groups, commit } = recorder(20);
    const add = createGroupCommit({ commit, lingerMs: 60_000 });
    const pending = [add(1), add(2)];
    const started = Date.now();
    await add.flush();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(groups).toEqual([[1, 2]]);
    expect(await Promise.all(pending)).toEqual([10, 20]);
    await add.flush(); // nothing waiting: returns at once
  });

  it('flush settles a failed group too (its items are rejected, not left waiting)', async () => {
    const add = createGroupCommit<number, number>({ commit: async () => Promise.reject(new Error('database gone')), lingerMs: 60_000 });
    const pending = add(1);
    const settled = pending.catch((err: Error) => err.message);
    await add.flush();
    expect(await settled).toBe('database gone');
  });
});
