import { describe, expect, it, vi } from 'vitest';
import { COMMIT_INTERVAL_MS, CommitScheduler } from '../../src/actors/commit-scheduler.js';
import type { Progress, RunLog } from '../../src/store/index.js';

function fakeLog(fail: () => boolean = () => false) {
  const commits: { snapshot: unknown; progress?: Progress }[] = [];
  let staged = 0;
  const log = {
    open: true,
    get dirty() {
      return staged > 0;
    },
    stage() {
      staged += 1;
    },
    commit(snapshot: unknown, progress?: Progress) {
      if (fail()) throw new Error('disk full');
      commits.push({ snapshot, ...(progress ? { progress } : {}) });
      staged = 0;
    },
  };
  return { log, commits };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('CommitScheduler', () => {
  it('coalesces a burst of changes into one commit after it, with the state as it is then', async () => {
    const { log, commits } = fakeLog();
    let state = 0;
    const scheduler = new CommitScheduler({ log: log as unknown as RunLog, snapshot: () => state, progress: () => ({ status: 'running', completed: state }), intervalMs: 0, onError: () => {} });
    for (state = 1; state <= 5; state += 1) scheduler.markDirty();
    expect(commits).toEqual([]);
    await nextTurn();
    expect(commits).toEqual([{ snapshot: 6, progress: { status: 'running', completed: 6 } }]);
    await nextTurn();
    expect(commits).toHaveLength(1);
  });

  it('commitNow writes at once and the burst it ends is not written twice', async () => {
    const { log, commits } = fakeLog();
    const scheduler = new CommitScheduler({ log: log as unknown as RunLog, snapshot: () => 'now', progress: () => ({ status: 'running', completed: 0 }), intervalMs: 0, onError: () => {} });
    scheduler.markDirty();
    scheduler.commitNow();
    expect(commits).toHaveLength(1);
    await nextTurn();
    expect(commits).toHaveLength(1);
    expect(scheduler.commits).toBe(1);
  });

  it('a failed commit is reported and thrown to a waiting command; the next change tries again', async () => {
    let failing = true;
    const { log, commits } = fakeLog(() => failing);
    const errors: unknown[] = [];
    const scheduler = new CommitScheduler({ log: log as unknown as RunLog, snapshot: () => 1, progress: () => ({ status: 'running', completed: 0 }), intervalMs: 0, onError: (error) => errors.push(error) });
    expect(() => scheduler.commitNow()).toThrow('disk full');
    scheduler.markDirty();
    await nextTurn();
    expect(errors).toHaveLength(2);
    failing = false;
    scheduler.markDirty();
    await nextTurn();
    expect(commits).toHaveLength(1);
  });

  it('stop writes what is staged, then nothing more', async () => {
    const { log, commits } = fakeLog();
    const scheduler = new CommitScheduler({ log: log as unknown as RunLog, snapshot: () => 'last', progress: () => ({ status: 'done', completed: 1 }), intervalMs: 0, onError: () => {} });
    log.stage();
    scheduler.stop();
    expect(commits).toEqual([{ snapshot: 'last', progress: { status: 'done', completed: 1 } }]);
    scheduler.markDirty();
    scheduler.commitNow();
    await nextTurn();
    expect(commits).toHaveLength(1);
  });

  it('a busy run commits at most every COMMIT_INTERVAL_MS; the first change after a quiet spell and the run\'s end at once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'] });
    try {
      const { log, commits } = fakeLog();
      let state = 0;
      const scheduler = new CommitScheduler({ log: log as unknown as RunLog, snapshot: () => state, progress: () => ({ status: 'running', completed: 0 }), onError: () => {} });
      const written = () => commits.map((commit) => commit.snapshot);
      state = 1;
      scheduler.markDirty();
      await vi.advanceTimersByTimeAsync(0);
      expect(written()).toEqual([1]);
      state = 2;
      scheduler.markDirty();
      await vi.advanceTimersByTimeAsync(COMMIT_INTERVAL_MS / 2);
      expect(written()).toEqual([1]);
      await vi.advanceTimersByTimeAsync(COMMIT_INTERVAL_MS / 2);
      expect(written()).toEqual([1, 2]);
      // The run ends within the interval: that commit does not wait.
      state = 3;
      scheduler.markDirty();
      scheduler.markDirty(true);
      await vi.advanceTimersByTimeAsync(0);
      expect(written()).toEqual([1, 2, 3]);
      await vi.advanceTimersByTimeAsync(COMMIT_INTERVAL_MS * 5);
      expect(written()).toEqual([1, 2, 3]);
      // After a quiet spell the next change commits in the next turn of the loop.
      state = 4;
      scheduler.markDirty();
      await vi.advanceTimersByTimeAsync(0);
      expect(written()).toEqual([1, 2, 3, 4]);
      // A store its owner closed meanwhile takes nothing, and no error is reported.
      state = 5;
      scheduler.markDirty();
      log.open = false;
      await vi.advanceTimersByTimeAsync(COMMIT_INTERVAL_MS);
      expect(written()).toEqual([1, 2, 3, 4]);
    } finally {
      vi.useRealTimers();
    }
  });
});
