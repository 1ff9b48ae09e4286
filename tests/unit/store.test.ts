import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RunStore, StoreError, TicketOriginals, type NewRun } from '../../src/store/index.js';
import { decodeSnapshot, PART_KEY, PartEncoder } from '../../src/store/shared-parts.js';
import { tempDir } from '../support/engine-harness.js';

const dirs: string[] = [];
const stores: RunStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function freshPath(): string {
  const dir = tempDir('clutch-store-');
  dirs.push(dir);
  return join(dir, 'nested', 'clutch.db');
}

function open(path = freshPath(), options = {}): RunStore {
  const store = RunStore.open(path, options);
  stores.push(store);
  return store;
}

const run = (id: string, created = 1000): NewRun => ({
  id,
  track_id: 'demo',
  track_title: 'Demo',
  track_path: '/t/track.toml',
  track_hash: 'aa',
  config_path: '/t/agents.toml',
  config_hash: 'bb',
  source_workspace: '/t/workspace',
  run_dir: `/t/runs/${id}`,
  workspace: `/t/runs/${id}/workspace`,
  options: { mode: 'linear' },
  tickets_total: 4,
  created,
});

const parts = (store: RunStore, runId: string) => store.db.prepare('SELECT count(*) FROM snapshot_parts WHERE run_id = ?').pluck().get(runId) as number;

describe('shared snapshot parts', () => {
  it('round-trips a snapshot exactly, an object that carries the reference key included', () => {
    const encoder = new PartEncoder();
    const big = Array.from({ length: 300 }, (_, index) => ({ index, status: 'pending' }));
    const value = { context: { tickets: { size: 300, chunks: [big] }, odd: { [PART_KEY]: 7 }, small: [1, 2, 3] }, status: 'active' };
    const encoded = encoder.encode(value);
    expect(encoded.added.size).toBe(2);
    expect(decodeSnapshot(encoded.json, (id) => encoded.added.get(id))).toEqual(value);
  });

  it('stores an unchanged large value once, and drops a part no snapshot refers to any more', () => {
    const encoder = new PartEncoder();
    const specs = Array.from({ length: 100 }, (_, index) => `T${index}`);
    const first = encoder.encode({ specs, ready: Array.from({ length: 80 }, (_, index) => index) });
    expect(encoder.committed(first)).toEqual([]);
    const second = encoder.encode({ specs, ready: [1] });
    // specs is the same object: no new part; the old ready list is no longer referred to.
    expect(second.added.size).toBe(0);
    expect(encoder.committed(second)).toHaveLength(1);
  });

  it('says plainly when a part is missing', () => {
    expect(() => decodeSnapshot(`{"a":{"${PART_KEY}":3}}`, () => undefined)).toThrow('snapshot part 3 is missing');
  });
});

describe('the run store', () => {
  it('creates its folder, lists runs newest first with progress, and keeps the options', () => {
    const store = open();
    store.createRun(run('r1', 1000));
    const log = store.createRun(run('r2', 2000));
    log.commit({ value: 1 }, { status: 'running', completed: 2 });
    expect(store.runs().map((summary) => [summary.id, summary.completed, summary.total])).toEqual([
      ['r2', 2, 4],
      ['r1', 0, 4],
    ]);
    expect(store.run('r1')?.options).toEqual({ mode: 'linear' });
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('commits journal rows with the snapshot they led to; a new handle goes on numbering after them', () => {
    const store = open();
    const log = store.createRun(run('r1'));
    log.append({ kind: 'a' });
    log.append({ kind: 'b' });
    expect(log.tail(10)).toEqual([]);
    log.commit({ at: 'b' });
    log.append({ kind: 'c' });
    const again = store.openRun('r1');
    expect(again.journalCount).toBe(2);
    expect(again.tail(10)).toEqual([{ kind: 'a' }, { kind: 'b' }]);
    expect(again.snapshot()).toEqual({ at: 'b' });
    again.append({ kind: 'd' });
    again.commit({ at: 'd' });
    expect([...again.journal()].map((entry) => (entry as { kind: string }).kind)).toEqual(['a', 'b', 'd']);
  });

  it('keeps the snapshot small on disk across commits: parts no snapshot needs are deleted', () => {
    const store = open();
    const log = store.createRun(run('r1'));
    const specs = Array.from({ length: 200 }, (_, index) => ({ id: `T${index}` }));
    for (let step = 0; step < 20; step += 1) {
      log.commit({ specs, chunk: Array.from({ length: 64 }, () => step) });
    }
    expect(parts(store, 'r1')).toBe(2);
    expect(store.openRun('r1').snapshot()).toMatchObject({ chunk: Array.from({ length: 64 }, () => 19) });
  });

  it('keeps finished snapshots in the store, staged until the next commit', () => {
    const store = open();
    const log = store.createRun(run('r1'));
    log.stageFinished('T1', { worker: { status: 'done' } });
    expect(log.finished('T1')).toEqual({ worker: { status: 'done' } });
    expect(log.hasFinishedWorker('T1')).toBe(true);
    log.commit();
    log.stageFinished('T1', { ticket: { status: 'done', value: 'completed' } });
    log.commit();
    const again = store.openRun('r1');
    expect(again.finished('T1')).toEqual({ worker: { status: 'done' }, ticket: { status: 'done', value: 'completed' } });
    expect(again.hasFinishedWorker('T1')).toBe(true);
    expect(again.finished('T2')).toBeUndefined();
  });

  it('records a tool intent before and its result after', () => {
    const store = open();
    const log = store.createRun(run('r1'));
    const key = { ticket: 'T1', attempt: 1, toolUseId: 'toolu_1' };
    expect(log.toolCall(key)).toBeUndefined();
    log.recordIntent(key, 'run_command', { argv: ['node', 'x.js'] }, null);
    expect(log.toolCall(key)).toEqual({ tool: 'run_command', input: { argv: ['node', 'x.js'] }, effect: null, result: null, process: null, rerunGranted: false });
    log.recordProcess(key, { pid: 4242, start: '99' });
    expect(log.toolCall(key)?.process).toEqual({ pid: 4242, start: '99' });
    log.recordResult(key, { content: 'ok', is_error: false });
    expect(log.toolCall(key)?.result).toEqual({ content: 'ok', is_error: false });
    expect(log.toolCall({ ...key, attempt: 2 })).toBeUndefined();
  });

  it('commits the tool writes asked for in one turn together, each alone in failing, and answers each once committed', async () => {
    const path = freshPath();
    const store = open(path);
    const log = store.createRun(run('r1'));
    const key = (id: string) => ({ ticket: 'T1', attempt: 1, toolUseId: id });
    const seen: boolean[] = [];
    const writes = [
      log.durably(() => {
        seen.push(store.db.inTransaction);
        log.recordIntent(key('a'), 'write_file', { path: 'a.txt' }, null);
      }),
      log.durably(() => {
        log.recordIntent(key('b'), 'write_file', { path: 'b.txt' }, null);
        throw new Error('this one fails');
      }),
      log.durably(() => log.recordIntent(key('c'), 'write_file', { path: 'c.txt' }, null)),
    ];
    // Nothing is written before the group commit, in a later turn of the event loop.
    expect(log.toolCall(key('a'))).toBeUndefined();
    const outcomes = await Promise.allSettled(writes);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(seen).toEqual([true]);
    // Committed: another connection reads them. The failed work's caller was told; the statement
    // it ran before it threw is kept (each statement is atomic), and the others are unharmed.
    const other = new Database(path, { readonly: true });
    try {
      const ids = other.prepare('SELECT tool_use_id FROM tool_calls ORDER BY tool_use_id').pluck().all();
      expect(ids).toEqual(['a', 'b', 'c']);
    } finally {
      other.close();
    }
    expect(log.toolCall(key('c'))?.tool).toBe('write_file');
  });

  it('a group commit that cannot commit fails every write in it, and nothing is remembered as written', async () => {
    const store = open();
    const log = store.createRun(run('r1'));
    const key = { ticket: 'T1', attempt: 1, toolUseId: 'x' };
    const write = log.durably(() => log.recordIntent(key, 'write_file', {}, null));
    store.close();
    await expect(write).rejects.toThrow(StoreError);
  });

  it('remembers a kept original only once its transaction commits, and finds the kept ones when the run is opened again', () => {
    const path = freshPath();
    const store = open(path);
    store.createRun(run('r1'));
    const originals = new TicketOriginals(store, 'r1');
    expect(() =>
      store.transaction(() => {
        originals.record('T1', 'a.txt', null);
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    expect(originals.has('T1', 'a.txt')).toBe(false);
    expect(originals.paths('T1')).toEqual([]);
    store.transaction(() => originals.record('T1', 'b.txt', Buffer.from('before')));
    expect(originals.has('T1', 'b.txt')).toBe(true);
    store.close();
    const again = new TicketOriginals(open(path), 'r1');
    expect(again.has('T1', 'b.txt')).toBe(true);
    expect(again.original('T1', 'b.txt')).toEqual(Buffer.from('before'));
    again.forget('T1');
    expect(again.has('T1', 'b.txt')).toBe(false);
  });

  it('shows a run whose process died as interrupted, and lets another process take it over', () => {
    const store = open();
    store.createRun(run('r1'));
    expect(store.runs()[0]!.status).toBe('running');
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    store.db.prepare('UPDATE runs SET owner_pid = ? WHERE id = ?').run(dead, 'r1');
    expect(store.runs()[0]!.status).toBe('interrupted');
    expect(() => store.openRun('r1')).not.toThrow();
    expect(store.run('r1')?.owner_pid).toBe(process.pid);
  });

  it('refuses a run that another live process has open, and an unknown run', () => {
    const store = open();
    store.createRun(run('r1'));
    store.db.prepare('UPDATE runs SET owner_pid = ? WHERE id = ?').run(process.ppid, 'r1');
    expect(() => store.openRun('r1')).toThrow(new RegExp(`open in another Clutch process \\(pid ${process.ppid}\\)`));
    expect(() => store.openRun('nope')).toThrow(/there is no run "nope".*clutch runs/);
    store.db.prepare('UPDATE runs SET owner_pid = ? WHERE id = ?').run(process.pid, 'r1');
    store.openRun('r1').release();
    expect(store.run('r1')?.owner_pid).toBeNull();
  });
});

describe('a store that cannot be used', () => {
  it('a file that is not a database: a clear error naming it, and the file left as it was', () => {
    const path = freshPath();
    open(path).close();
    writeFileSync(path, 'this is not SQLite at all, just some text that happens to be here\n'.repeat(100));
    const before = readFileSync(path);
    const error = (() => {
      try {
        RunStore.open(path);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toMatch(/not a readable Clutch run store.*Nothing was changed/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('a store locked by another process: a clear error, after the busy timeout', () => {
    const path = freshPath();
    open(path).close();
    const other = new Database(path);
    other.exec('BEGIN EXCLUSIVE');
    try {
      expect(() => RunStore.open(path, { busyTimeoutMs: 50 })).toThrow(/locked by another process/);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
  });

  it('a version 1 store is migrated in place: its runs stay, tool calls gain the process and rerun grant columns', () => {
    const path = freshPath();
    open(path).close();
    const old = new Database(path);
    old.exec('ALTER TABLE tool_calls DROP COLUMN process; ALTER TABLE tool_calls DROP COLUMN rerun_granted');
    old.pragma('user_version = 1');
    old.prepare("INSERT INTO runs (id, track_id, track_title, track_path, track_hash, config_path, config_hash, source_workspace, run_dir, workspace, options, status, tickets_total, created, updated) VALUES ('old', 't', 't', 't', '', 'c', '', 'w', 'r', 'w', '{}', 'done', 1, 1, 1)").run();
    old.close();
    const store = open(path);
    expect(store.db.pragma('user_version', { simple: true })).toBe(3);
    expect(store.run('old')?.status).toBe('done');
    const log = store.openRun('old');
    log.recordIntent({ ticket: 'T1', attempt: 1, toolUseId: 'x' }, 'run_command', {}, null);
    log.recordProcess({ ticket: 'T1', attempt: 1, toolUseId: 'x' }, { pid: 1, start: null });
    expect(log.toolCall({ ticket: 'T1', attempt: 1, toolUseId: 'x' })?.process).toEqual({ pid: 1, start: null });
  });

  it('a store from a newer Clutch is refused, not migrated', () => {
    const path = freshPath();
    open(path).close();
    const other = new Database(path);
    other.pragma('user_version = 99');
    other.close();
    expect(() => RunStore.open(path)).toThrow(/written by a newer version of Clutch/);
  });

  it('a missing store is not created by a command that only reads', () => {
    expect(() => RunStore.open(freshPath(), { mustExist: true })).toThrow(/there is no run store here yet/);
  });
});
