import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from 'xstate';
import { agent, call, done, pause, reply, startEngine, statuses, testConfig, ticket, type Harness } from '../support/engine-harness.js';
import type { JournalEntry } from '../../src/actors/journal.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

const writes = (...ids: string[]) =>
  Object.fromEntries(ids.map((id) => [id, [reply(call(`${id}_w`, 'write_file', { path: `${id}.txt`, content: id })), done(`${id}_d`, `did ${id}`)]]));

/** The most tickets running (or paused) at once, replayed from the journal. */
function peakActive(journal: readonly JournalEntry[]): number {
  const state = new Map<string, string>();
  let peak = 0;
  for (const entry of journal) {
    if (entry.kind !== 'ticket.status') continue;
    state.set(entry.ticket, entry.status);
    peak = Math.max(peak, [...state.values()].filter((status) => status === 'running' || status === 'step_paused').length);
  }
  return peak;
}

describe('auto mode', () => {
  it('runs every worker to task_complete without a pause', async () => {
    harness = startEngine({ tickets: [ticket('T1'), ticket('T2')], script: writes('T1', 'T2'), config: testConfig({ trust: 'auto' }) });
    const outcome = await harness.engine.finished();
    expect(outcome).toEqual({ state: 'done', tickets: { T1: 'completed', T2: 'completed' } });
    expect(statuses(harness.journal).some((status) => status.endsWith('step_paused'))).toBe(false);
    expect(readFileSync(join(harness.workspace, 'T2.txt'), 'utf8')).toBe('T2');
    expect(harness.journal.filter((entry) => entry.kind === 'tool')).toHaveLength(2);
  });
});

describe('linear mode', () => {
  it('runs one ticket at a time in track order and writes debug_state.json after each', async () => {
    harness = startEngine({
      tickets: [ticket('T1'), ticket('T2'), ticket('T3')],
      script: writes('T1', 'T2', 'T3'),
      config: testConfig({ trust: 'auto' }),
      mode: 'linear',
    });
    await harness.engine.finished();
    expect(statuses(harness.journal)).toEqual(['T1:running', 'T1:completed', 'T2:running', 'T2:completed', 'T3:running', 'T3:completed']);
    expect(peakActive(harness.journal)).toBe(1);
    const written = harness.journal.flatMap((entry) => (entry.kind === 'debug_state' ? [entry.after_ticket] : []));
    expect(written).toEqual(['T1', 'T2', 'T3']);
    const state = JSON.parse(readFileSync(join(harness.runDir, 'debug_state.json'), 'utf8'));
    expect(state.after_ticket).toBe('T3');
    expect(state.track.tickets.map((t: { status: string }) => t.status)).toEqual(['completed', 'completed', 'completed']);
    expect(state.snapshots.conductor.value).toMatchObject({ mode: 'linear', run: 'done' });
    expect(Object.keys(state.snapshots.finished)).toEqual(['T1', 'T2', 'T3']);
    expect(state.snapshots.finished.T1.worker.context.summary).toBe('did T1');
    expect(state.journal_tail.length).toBeGreaterThan(5);
  });

  it('switching to linear mid-run stops new tickets from joining a running one', async () => {
    harness = startEngine({ tickets: [ticket('T1'), ticket('T2'), ticket('T3')], script: writes('T1', 'T2', 'T3'), maxConcurrency: 1 });
    const { engine } = harness;
    await pause(engine, 'T1', 'approval');
    expect(engine.command({ kind: 'conductor' }, { type: 'conductor.set_mode', mode: 'linear' })).toBe(true);
    expect(engine.command({ kind: 'conductor' }, { type: 'conductor.set_mode', mode: 'linear' })).toBe(false);
    expect(engine.command({ kind: 'conductor' }, { type: 'conductor.set_trust_override', override: 'auto' })).toBe(true);
    engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' });
    await engine.finished();
    expect(peakActive(harness.journal)).toBe(1);
    expect(engine.track().tickets.every((t) => t.status === 'completed')).toBe(true);
  });
});

describe('async mode', () => {
  it('never runs more than max_concurrency tickets, and fills the slot a finished one frees', async () => {
    harness = startEngine({ tickets: ['A', 'B', 'C', 'D', 'E'].map((id) => ticket(id)), script: writes('A', 'B', 'C', 'D', 'E'), maxConcurrency: 2 });
    const { engine } = harness;
    await pause(engine, 'A', 'approval');
    await pause(engine, 'B', 'approval');
    expect(engine.track().tickets.map((t) => t.status)).toEqual(['step_paused', 'step_paused', 'pending', 'pending', 'pending']);
    engine.command({ kind: 'worker', id: 'A' }, { type: 'clutch.abort' });
    await pause(engine, 'C', 'approval');
    expect(engine.track().tickets.map((t) => t.status)).toEqual(['blocked', 'step_paused', 'step_paused', 'pending', 'pending']);
    engine.command({ kind: 'conductor' }, { type: 'conductor.set_trust_override', override: 'auto' });
    engine.command({ kind: 'worker', id: 'B' }, { type: 'clutch.approve' });
    engine.command({ kind: 'worker', id: 'C' }, { type: 'clutch.approve' });
    const outcome = await engine.finished();
    expect(outcome.tickets).toEqual({ A: 'blocked', B: 'completed', C: 'completed', D: 'completed', E: 'completed' });
    expect(peakActive(harness.journal)).toBe(2);
  });

  it('runs independent tickets at the same time', async () => {
    harness = startEngine({ tickets: [ticket('T1'), ticket('T2')], script: writes('T1', 'T2') });
    await pause(harness.engine, 'T1', 'approval');
    await pause(harness.engine, 'T2', 'approval');
    expect(peakActive(harness.journal)).toBe(2);
  });
});

describe('dependencies', () => {
  it('starts no ticket before its dependencies completed (a diamond)', async () => {
    const tickets = [ticket('T1'), ticket('T2', ['T1']), ticket('T3', ['T1']), ticket('T4', ['T2', 'T3'])];
    harness = startEngine({ tickets, script: writes('T1', 'T2', 'T3', 'T4'), config: testConfig({ trust: 'auto' }) });
    await harness.engine.finished();
    const order = statuses(harness.journal);
    const at = (status: string) => order.indexOf(status);
    expect(at('T2:running')).toBeGreaterThan(at('T1:completed'));
    expect(at('T3:running')).toBeGreaterThan(at('T1:completed'));
    expect(at('T4:running')).toBeGreaterThan(at('T2:completed'));
    expect(at('T4:running')).toBeGreaterThan(at('T3:completed'));
  });
});

describe('blocked tickets', () => {
  it('blocks on an exhausted script, and a retry runs a new attempt to completion', async () => {
    harness = startEngine({
      tickets: [ticket('T1'), ticket('T2', ['T1'])],
      script: {
        T1: { attempts: [[reply(call('w1', 'write_file', { path: 'T1.txt', content: 'first' }))], [reply(call('w2', 'write_file', { path: 'T1.txt', content: 'second' })), done('d2')]] },
        ...writes('T2'),
      },
      config: testConfig({ trust: 'auto' }),
    });
    const { engine } = harness;
    const stalled = await engine.finished();
    expect(stalled.state).toBe('stalled');
    expect(engine.track().tickets[0]!.blocked_reason).toMatch(/script exhausted/);
    expect(engine.track().tickets[1]!.status).toBe('pending');
    // The first attempt wrote T1.txt: the retry says what becomes of it (kept here).
    expect(engine.command({ kind: 'ticket', id: 'T1' }, { type: 'ticket.retry' })).toBe(false);
    expect(engine.command({ kind: 'ticket', id: 'T1' }, { type: 'ticket.retry', files: 'keep' })).toBe(true);
    await waitFor(engine.conductor, (state) => state.matches({ run: 'done' }));
    expect(engine.track().tickets.map((t) => [t.status, t.attempts])).toEqual([['completed', 2], ['completed', 1]]);
    expect(readFileSync(join(harness.workspace, 'T1.txt'), 'utf8')).toBe('second');
    expect(statuses(harness.journal).slice(0, 4)).toEqual(['T1:running', 'T1:blocked', 'T1:pending', 'T1:running']);
  });

  it('a skipped ticket counts as completed for its dependents and is marked skipped', async () => {
    harness = startEngine({
      tickets: [ticket('T1'), ticket('T2', ['T1'])],
      script: { T1: [], ...writes('T2') },
      config: testConfig({ trust: 'auto' }),
    });
    const { engine } = harness;
    await engine.finished();
    expect(engine.command({ kind: 'ticket', id: 'T1' }, { type: 'ticket.skip' })).toBe(true);
    await waitFor(engine.conductor, (state) => state.matches({ run: 'done' }));
    expect(engine.track().tickets[0]).toMatchObject({ status: 'completed', skipped: true });
    expect(engine.track().tickets[1]).toMatchObject({ status: 'completed' });
    expect(existsSync(join(harness.workspace, 'T2.txt'))).toBe(true);
  });
});

describe('trust', () => {
  it('the override auto runs step agents without pausing', async () => {
    harness = startEngine({ tickets: [ticket('T1')], script: writes('T1'), trustOverride: 'auto' });
    expect((await harness.engine.finished()).tickets).toEqual({ T1: 'completed' });
    expect(statuses(harness.journal)).toEqual(['T1:running', 'T1:completed']);
  });

  it('the override step pauses auto agents, and back to none restores their own trust', async () => {
    harness = startEngine({
      tickets: [ticket('T1')],
      script: { T1: [reply(call('a', 'write_file', { path: 'a.txt', content: 'a' })), reply(call('b', 'write_file', { path: 'b.txt', content: 'b' })), done('c')] },
      config: testConfig({ agents: { codegen: agent('auto') } }),
      trustOverride: 'step',
    });
    const { engine } = harness;
    await pause(engine, 'T1', 'approval');
    engine.command({ kind: 'conductor' }, { type: 'conductor.set_trust_override', override: 'none' });
    // Already paused: its own trust is auto now, so the switch releases the pause, and it runs on.
    expect(engine.worker('T1')!.getSnapshot().matches({ toolCycle: 'awaitingApproval' })).toBe(false);
    expect((await engine.finished()).tickets).toEqual({ T1: 'completed' });
    expect(existsSync(join(harness.workspace, 'b.txt'))).toBe(true);
  });

  it('set_trust auto mid-run releases the waiting pause and every later gate', async () => {
    harness = startEngine({
      tickets: [ticket('T1')],
      script: { T1: [reply(call('a', 'write_file', { path: 'a.txt', content: 'a' })), reply(call('b', 'write_file', { path: 'b.txt', content: 'b' })), done('c')] },
    });
    const { engine } = harness;
    const worker = await pause(engine, 'T1', 'approval');
    expect(engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.set_trust', trust: 'auto' })).toBe(true);
    expect(worker.getSnapshot().matches({ toolCycle: 'awaitingApproval' })).toBe(false);
    expect((await engine.finished()).tickets).toEqual({ T1: 'completed' });
    // The waiting pause 1, pause 2 of the first call and every later gate were passed in auto.
    expect(statuses(harness.journal)).toEqual(['T1:running', 'T1:step_paused', 'T1:running', 'T1:completed']);
  });
});
