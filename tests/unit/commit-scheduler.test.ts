import { describe, expect, it } from 'vitest';
import { CommitScheduler } from '../../src/actors/commit-scheduler.js';
import type { Progress, RunLog } from '../../src/store/index.js';

function fakeLog(fail: () => boolean = () => false) {
  const commits: { snapshot: unknown; progress?: Progress }[] = [];
  let staged = 0;
  const log = {
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
    const scheduler = new CommitScheduler({ log: log as unknown as RunLog, snapshot: () => state, progress: () => ({ status: 'running', completed: state }), onError: () => {} });
    for (state = 1; state <= 5; state += 1) scheduler.markDirty();
    expect(commits).toEqual([]);
    await nextTurn();
    expect(commits).toEqual([{ snapshot: 6, progress: { status: 'running', completed: 6 } }]);
    await nextTurn();
    expect(commits).toHaveLength(1);
  });

  it('commitNow writes at once and the burst it ends is not written twice', async () => {
    const { log, commits } = fakeLog();
    const scheduler = new CommitScheduler({ log: log as unknown as RunLog, snapshot: () => 'now', progress: () => ({ status: 'running', completed: 0 }), onError: () => {} });
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
    const scheduler = new CommitScheduler({ log: log as unknown as RunLog, snapshot: () => 1, progress: () => ({ status: 'running', completed: 0 }), onError: (error) => errors.push(error) });
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
    const scheduler = new CommitScheduler({ log: log as unknown as RunLog, snapshot: () => 'last', progress: () => ({ status: 'done', completed: 1 }), onError: () => {} });
    log.stage();
    scheduler.stop();
    expect(commits).toEqual([{ snapshot: 'last', progress: { status: 'done', completed: 1 } }]);
    scheduler.markDirty();
    scheduler.commitNow();
    await nextTurn();
    expect(commits).toHaveLength(1);
  });
});
