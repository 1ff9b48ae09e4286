import { at, toArray } from '../../src/machines/chunked.js';
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { conductorMachine, type ConductorEvent, type ConductorInput } from '../../src/machines/conductor.js';
import type { TicketSpec, WorkerProfile } from '../../src/machines/ticket.js';
import type { TicketStatus } from '../../src/protocol/index.js';
import { emitted, sendsToChildren, spawned, stopped, type Action } from '../support/pure.js';

// The conductor is the root actor: XState's pure functions are used as they are.

type Snapshot = SnapshotFrom<typeof conductorMachine>;
type Step = { snapshot: Snapshot; actions: Action[] };

const codegen: WorkerProfile = {
  archetype: 'codegen',
  profile: 'scripted',
  system: 'You write code.',
  tools: ['read_file', 'edit_file', 'task_complete'],
  trust: 'step',
  maxTurns: 6,
};

function spec(id: string, dependencies: string[] = []): TicketSpec {
  return { id, target_file: `${id}.txt`, prompt: `Work on ${id}`, worker_archetype: 'codegen', dependencies };
}

function conductor(tickets: TicketSpec[], maxConcurrency = 4): Step {
  const input: ConductorInput = { trackId: 'track-1', tickets, workers: { codegen }, maxConcurrency };
  const [snapshot, actions] = initialTransition(conductorMachine, input);
  return { snapshot, actions: actions as Action[] };
}

function send(snapshot: Snapshot, event: ConductorEvent): Step {
  const [next, actions] = transition(conductorMachine, snapshot, event);
  return { snapshot: next, actions: actions as Action[] };
}

function sendAll(snapshot: Snapshot, events: ConductorEvent[]): Step & { all: Action[] } {
  let current: Step = { snapshot, actions: [] };
  const all: Action[] = [];
  for (const event of events) {
    current = send(current.snapshot, event);
    all.push(...current.actions);
  }
  return { ...current, all };
}

function changed(
  id: string,
  status: TicketStatus,
  fields: Partial<{ attempts: number; blocked_reason: string | null; summary: string | null; skipped: boolean }> = {},
): ConductorEvent {
  return { type: 'ticket.changed', id, status, attempts: 1, blocked_reason: null, summary: null, skipped: false, ...fields };
}

const ended = (id: string, summary = `${id} done`) => changed(id, 'completed', { summary });
const blocked = (id: string, reason = 'failed: max_turns') => changed(id, 'blocked', { blocked_reason: reason });

/** Ids of the tickets that the actions start (ticket.start sent), in order. */
function starts(actions: Action[]): string[] {
  return sendsToChildren(actions)
    .filter(([, event]) => event.type === 'ticket.start')
    .map(([id]) => id);
}

function spawnedIds(actions: Action[]): string[] {
  return spawned(actions).map((spawn) => spawn.id);
}

function statuses(snapshot: Snapshot): Record<string, TicketStatus> {
  return Object.fromEntries(snapshot.context.specs.map((item, index) => [item.id, at(snapshot.context.tickets, index).status]));
}

const setMode = (mode: 'async' | 'linear') => ({ type: 'conductor.set_mode', mode }) as const;
const setOverride = (override: 'none' | 'step' | 'auto') => ({ type: 'conductor.set_trust_override', override }) as const;
const START = { type: 'conductor.start' } as const;

describe('conductor: its context', () => {
  // XState copies the context on every assign (Object.assign({}, context, update)). In Node 20's V8
  // that copy stays a fast object up to 19 properties and becomes a dictionary past them, and then
  // each assign costs about 20 times as much (0.2 against 4.7 µs) and every read of it is a lookup.
  it('keeps at most 19 fields, so that each assign copies a fast object', () => {
    const { snapshot } = conductor([spec('T1'), spec('T2', ['T1'])]);
    expect(Object.keys(snapshot.context).length).toBeLessThanOrEqual(19);
    const { snapshot: running } = send(snapshot, { type: 'conductor.start' });
    expect(Object.keys(running.context).length).toBeLessThanOrEqual(19);
  });
});

describe('conductor: regions', () => {
  it('is a parallel machine: mode async, no trust override, run idle; nothing spawned before start', () => {
    const { snapshot, actions } = conductor([spec('T1'), spec('T2', ['T1'])]);
    expect(snapshot.value).toEqual({ mode: 'async', trustOverride: 'none', run: 'idle' });
    expect(actions).toEqual([]);
    expect(snapshot.context).toMatchObject({
      trackId: 'track-1',
      mode: 'async',
      trustOverride: 'none',
      indexOf: { T1: 0, T2: 1 },
      dependents: [[1], []],
      waitingOn: { size: 2, chunks: [[0, 1]] },
      ready: [0],
      active: 0,
      completed: 0,
    });
  });

  it('set_mode switches async ⇄ linear; asking for the current mode is not accepted', () => {
    let { snapshot } = conductor([spec('T1')]);
    expect(snapshot.can(setMode('async'))).toBe(false);
    expect(snapshot.can(setMode('linear'))).toBe(true);
    ({ snapshot } = send(snapshot, setMode('linear')));
    expect(snapshot.value).toMatchObject({ mode: 'linear' });
    expect(snapshot.context.mode).toBe('linear');
    expect(snapshot.can(setMode('linear'))).toBe(false);
    expect(snapshot.can(setMode('async'))).toBe(true);
    ({ snapshot } = send(snapshot, setMode('async')));
    expect(snapshot.value).toMatchObject({ mode: 'async' });
    expect(snapshot.context.mode).toBe('async');
  });

  it('asking for the current mode is not accepted while running either', () => {
    const { snapshot } = send(conductor([spec('T1'), spec('T2')], 1).snapshot, START);
    expect(snapshot.value).toMatchObject({ run: 'running' });
    expect(snapshot.can(setMode('async'))).toBe(false);
    expect(snapshot.can(setMode('linear'))).toBe(true);
    const same = send(snapshot, setMode('async'));
    expect(starts(same.actions)).toEqual([]);
    expect(same.snapshot.context.active).toBe(1);
  });

  it('set_trust_override moves between none, step and auto; the current value is not accepted', () => {
    let { snapshot } = conductor([spec('T1')]);
    expect(snapshot.can(setOverride('none'))).toBe(false);
    for (const [override, refused] of [['step', 'step'], ['auto', 'auto'], ['none', 'none'], ['auto', 'auto'], ['step', 'step']] as const) {
      ({ snapshot } = send(snapshot, setOverride(override)));
      expect(snapshot.value).toMatchObject({ trustOverride: override });
      expect(snapshot.context.trustOverride).toBe(override);
      expect(snapshot.can(setOverride(refused))).toBe(false);
    }
  });

  it('the trust override is relayed to spawned tickets that have not completed, and given to new ones', () => {
    let { snapshot } = sendAll(conductor([spec('T1'), spec('T2'), spec('T3', ['T1'])], 2).snapshot, [START, ended('T1')]);
    // T1 completed; T2 and T3 are running.
    expect(statuses(snapshot)).toEqual({ T1: 'completed', T2: 'running', T3: 'running' });
    const { actions, snapshot: next } = send(snapshot, setOverride('step'));
    expect(sendsToChildren(actions)).toEqual([
      ['T2', { type: 'ticket.trust_override', override: 'step' }],
      ['T3', { type: 'ticket.trust_override', override: 'step' }],
    ]);
    snapshot = next;

    const fresh = sendAll(conductor([spec('A'), spec('B')], 1).snapshot, [setOverride('auto'), START, ended('A')]);
    expect(spawned(fresh.all).map((spawn) => (spawn.input as { trustOverride: string }).trustOverride)).toEqual(['auto', 'auto']);
    expect(snapshot.context.trustOverride).toBe('step');
  });
});

describe('conductor: dispatch in async mode', () => {
  it('conductor.start spawns and starts ready tickets up to max_concurrency, in track order', () => {
    const { snapshot, actions } = send(conductor([spec('T1'), spec('T2'), spec('T3'), spec('T4')], 2).snapshot, START);
    expect(snapshot.value).toMatchObject({ run: 'running' });
    expect(spawned(actions)).toEqual([
      { id: 'T1', src: 'ticket', systemId: 'ticket:T1', input: { ticket: spec('T1'), worker: codegen, trustOverride: 'none' } },
      { id: 'T2', src: 'ticket', systemId: 'ticket:T2', input: { ticket: spec('T2'), worker: codegen, trustOverride: 'none' } },
    ]);
    expect(starts(actions)).toEqual(['T1', 'T2']);
    expect(Object.keys(snapshot.children).sort()).toEqual(['T1', 'T2']);
    expect(snapshot.context.active).toBe(2);
    expect(snapshot.context.ready).toEqual([2, 3]);
    expect(statuses(snapshot)).toEqual({ T1: 'running', T2: 'running', T3: 'pending', T4: 'pending' });
    expect(at(snapshot.context.tickets, 0)).toMatchObject({ spawned: true });
    expect(at(snapshot.context.tickets, 2)).toMatchObject({ spawned: false });
  });

  it('the running report of a started ticket changes nothing; step_paused still counts as active', () => {
    const started = send(conductor([spec('T1'), spec('T2'), spec('T3')], 2).snapshot, START).snapshot;
    const { snapshot, all } = sendAll(started, [changed('T1', 'running'), changed('T2', 'running'), changed('T1', 'step_paused')]);
    expect(starts(all)).toEqual([]);
    expect(snapshot.context.active).toBe(2);
    expect(statuses(snapshot)).toEqual({ T1: 'step_paused', T2: 'running', T3: 'pending' });
    const resumed = send(snapshot, changed('T1', 'running'));
    expect(resumed.snapshot.context.active).toBe(2);
    expect(starts(resumed.actions)).toEqual([]);
  });

  it('a ticket end frees a slot: the next ready ticket starts, the ended one is stopped and journaled', () => {
    const started = send(conductor([spec('T1'), spec('T2'), spec('T3')], 2).snapshot, START).snapshot;
    const { snapshot, actions } = send(started, ended('T1', 'wrote T1'));
    expect(stopped(actions)).toEqual(['T1']);
    expect(spawnedIds(actions)).toEqual(['T3']);
    expect(starts(actions)).toEqual(['T3']);
    expect(emitted(actions)).toEqual([{ type: 'conductor.ticket_ended', id: 'T1', status: 'completed', mode: 'async' }]);
    expect(at(snapshot.context.tickets, 0)).toMatchObject({
      status: 'completed',
      attempts: 1,
      blocked_reason: null,
      summary: 'wrote T1',
      skipped: false,
      spawned: true,
    });
    expect(snapshot.context).toMatchObject({ active: 2, completed: 1, ready: [] });
    expect(Object.keys(snapshot.children).sort()).toEqual(['T2', 'T3']);
  });

  it('a diamond: T4 starts only after both T2 and T3 completed', () => {
    const track = [spec('T1'), spec('T2', ['T1']), spec('T3', ['T1']), spec('T4', ['T2', 'T3'])];
    let step: Step = send(conductor(track).snapshot, START);
    expect(starts(step.actions)).toEqual(['T1']);

    step = send(step.snapshot, ended('T1'));
    expect(starts(step.actions)).toEqual(['T2', 'T3']);
    expect(toArray(step.snapshot.context.waitingOn)).toEqual([0, 0, 0, 2]);

    step = send(step.snapshot, ended('T2'));
    expect(starts(step.actions)).toEqual([]);
    expect(at(step.snapshot.context.waitingOn, 3)).toBe(1);
    expect(statuses(step.snapshot).T4).toBe('pending');
    expect(step.snapshot.value).toMatchObject({ run: 'running' });

    step = send(step.snapshot, ended('T3'));
    expect(starts(step.actions)).toEqual(['T4']);
    expect(at(step.snapshot.context.waitingOn, 3)).toBe(0);

    step = send(step.snapshot, ended('T4'));
    expect(step.snapshot.value).toEqual({ mode: 'async', trustOverride: 'none', run: 'done' });
    expect(step.snapshot.context.completed).toBe(4);
  });

  it('when every ticket completed the run is done', () => {
    const { snapshot } = sendAll(conductor([spec('T1'), spec('T2')]).snapshot, [START, ended('T2'), ended('T1')]);
    expect(snapshot.value).toMatchObject({ run: 'done' });
    expect(snapshot.context).toMatchObject({ active: 0, completed: 2, ready: [] });
    expect(snapshot.can(START)).toBe(false);
  });

  it('an empty track is done at once', () => {
    const { snapshot, actions } = send(conductor([]).snapshot, START);
    expect(snapshot.value).toMatchObject({ run: 'done' });
    expect(actions).toEqual([]);
  });

  it('reports about unknown tickets are ignored', () => {
    const started = send(conductor([spec('T1'), spec('T2')], 1).snapshot, START).snapshot;
    const { snapshot, actions } = send(started, ended('T9'));
    expect(snapshot.context.tickets).toEqual(started.context.tickets);
    expect(actions).toEqual([]);
  });
});

describe('conductor: dispatch in linear mode', () => {
  it('starts only the first ready ticket in track order, and the next only when it ends', () => {
    // A depends on B, so B is the first ready ticket although A comes first in the track.
    const track = [spec('A', ['B']), spec('B'), spec('C')];
    let step: Step = sendAll(conductor(track).snapshot, [setMode('linear'), START]);
    expect(starts(step.actions)).toEqual(['B']);
    expect(step.snapshot.context.active).toBe(1);

    const reports = sendAll(step.snapshot, [changed('B', 'running'), changed('B', 'step_paused')]);
    expect(starts(reports.all)).toEqual([]);
    step = reports;

    step = send(step.snapshot, ended('B'));
    expect(starts(step.actions)).toEqual(['A']);
    expect(emitted(step.actions)).toEqual([{ type: 'conductor.ticket_ended', id: 'B', status: 'completed', mode: 'linear' }]);

    step = send(step.snapshot, ended('A'));
    expect(starts(step.actions)).toEqual(['C']);
    step = send(step.snapshot, ended('C'));
    expect(step.snapshot.value).toEqual({ mode: 'linear', trustOverride: 'none', run: 'done' });
  });

  it('never has two tickets active, whatever max_concurrency says', () => {
    const track = [spec('T1'), spec('T2'), spec('T3')];
    const first = sendAll(conductor(track, 10).snapshot, [setMode('linear'), START]);
    expect(starts(first.all)).toEqual(['T1']);
    const order: string[] = [...starts(first.all)];
    let step: Step = first;
    for (const id of ['T1', 'T2', 'T3']) {
      step = send(step.snapshot, ended(id));
      order.push(...starts(step.actions));
      expect(step.snapshot.context.active).toBeLessThanOrEqual(1);
    }
    expect(order).toEqual(['T1', 'T2', 'T3']);
  });

  it('a blocked ticket does not stop the line: the next ready ticket starts', () => {
    const step = sendAll(conductor([spec('T1'), spec('T2')]).snapshot, [setMode('linear'), START, blocked('T1')]);
    expect(starts(step.actions)).toEqual(['T2']);
    expect(emitted(step.actions)).toEqual([{ type: 'conductor.ticket_ended', id: 'T1', status: 'blocked', mode: 'linear' }]);
    expect(step.snapshot.value).toMatchObject({ run: 'running' });
  });

  it('switching to async mid-run starts the other ready tickets at once', () => {
    const running = sendAll(conductor([spec('T1'), spec('T2'), spec('T3')], 2).snapshot, [setMode('linear'), START]).snapshot;
    expect(running.context.active).toBe(1);
    const { snapshot, actions } = send(running, setMode('async'));
    expect(snapshot.value).toMatchObject({ mode: 'async', run: 'running' });
    expect(starts(actions)).toEqual(['T2']);
    expect(snapshot.context.active).toBe(2);
  });

  it('switching to linear mid-run starts nothing until every running ticket ended', () => {
    const running = send(conductor([spec('T1'), spec('T2'), spec('T3')], 2).snapshot, START).snapshot;
    let step: Step = send(running, setMode('linear'));
    expect(starts(step.actions)).toEqual([]);
    step = send(step.snapshot, ended('T1'));
    expect(starts(step.actions)).toEqual([]);
    step = send(step.snapshot, ended('T2'));
    expect(starts(step.actions)).toEqual(['T3']);
  });
});

describe('conductor: blocked tickets, stalls, retry and skip', () => {
  it('a blocked ticket with nothing else runnable stalls the run', () => {
    const track = [spec('T1'), spec('T2', ['T1'])];
    const { snapshot, actions } = sendAll(conductor(track).snapshot, [START, blocked('T1', 'aborted: bad plan')]);
    expect(snapshot.value).toMatchObject({ run: 'stalled' });
    expect(at(snapshot.context.tickets, 0)).toMatchObject({ status: 'blocked', blocked_reason: 'aborted: bad plan' });
    expect(snapshot.context).toMatchObject({ active: 0, ready: [], completed: 0 });
    expect(starts(actions)).toEqual([]);
    expect(stopped(actions)).toEqual([]);
  });

  it('a blocked ticket while others still run does not stall', () => {
    const { snapshot } = sendAll(conductor([spec('T1'), spec('T2')]).snapshot, [START, blocked('T1')]);
    expect(snapshot.value).toMatchObject({ run: 'running' });
    expect(snapshot.context.active).toBe(1);
  });

  it('a retry (the ticket reports pending) leaves the stall and starts the same ticket actor again', () => {
    const stalled = sendAll(conductor([spec('T1'), spec('T2', ['T1'])]).snapshot, [START, blocked('T1')]).snapshot;
    expect(stalled.value).toMatchObject({ run: 'stalled' });
    expect(stalled.can(changed('T1', 'pending'))).toBe(true);
    const { snapshot, actions } = send(stalled, changed('T1', 'pending', { attempts: 1, blocked_reason: 'failed: max_turns' }));
    expect(snapshot.value).toMatchObject({ run: 'running' });
    expect(spawnedIds(actions)).toEqual([]);
    expect(starts(actions)).toEqual(['T1']);
    expect(snapshot.context.active).toBe(1);
    expect(statuses(snapshot)).toEqual({ T1: 'running', T2: 'pending' });

    const done = sendAll(snapshot, [changed('T1', 'running', { attempts: 2 }), ended('T1'), ended('T2')]);
    expect(starts(done.all)).toEqual(['T2']);
    expect(done.snapshot.value).toMatchObject({ run: 'done' });
  });

  it('a retry while other tickets run is queued behind the cap', () => {
    const track = [spec('T1'), spec('T2'), spec('T3')];
    let step: Step = sendAll(conductor(track, 2).snapshot, [START, blocked('T1')]);
    expect(starts(step.actions)).toEqual(['T3']);
    step = send(step.snapshot, changed('T1', 'pending'));
    expect(starts(step.actions)).toEqual([]);
    expect(step.snapshot.context.ready).toEqual([0]);
    step = send(step.snapshot, ended('T2'));
    expect(starts(step.actions)).toEqual(['T1']);
  });

  it('a skipped ticket counts as completed: its dependents start', () => {
    const track = [spec('T1'), spec('T2', ['T1']), spec('T3', ['T1'])];
    const stalled = sendAll(conductor(track).snapshot, [START, blocked('T1')]).snapshot;
    expect(stalled.value).toMatchObject({ run: 'stalled' });
    const { snapshot, actions } = send(stalled, changed('T1', 'completed', { skipped: true, blocked_reason: 'failed: max_turns' }));
    expect(snapshot.value).toMatchObject({ run: 'running' });
    expect(at(snapshot.context.tickets, 0)).toMatchObject({ status: 'completed', skipped: true });
    expect(starts(actions)).toEqual(['T2', 'T3']);
    expect(stopped(actions)).toEqual(['T1']);
    expect(emitted(actions)).toEqual([{ type: 'conductor.ticket_ended', id: 'T1', status: 'completed', mode: 'async' }]);
  });

  it('skipping the last blocked ticket finishes the run', () => {
    const { snapshot } = sendAll(conductor([spec('T1'), spec('T2')]).snapshot, [
      START,
      ended('T2'),
      blocked('T1'),
      changed('T1', 'completed', { skipped: true }),
    ]);
    expect(snapshot.value).toMatchObject({ run: 'done' });
    expect(snapshot.context.completed).toBe(2);
  });

  it('a ticket actor that throws is blocked, not the whole run', () => {
    const started = send(conductor([spec('T1'), spec('T2'), spec('T3')], 2).snapshot, START).snapshot;
    const { snapshot, actions } = send(started, { type: 'xstate.error.actor.T1', error: new Error('boom'), actorId: 'T1' });
    expect(snapshot.status).toBe('active');
    expect(at(snapshot.context.tickets, 0)).toMatchObject({ status: 'blocked', blocked_reason: 'internal error: boom' });
    expect(starts(actions)).toEqual(['T3']);
    expect(emitted(actions)).toEqual([{ type: 'conductor.ticket_ended', id: 'T1', status: 'blocked', mode: 'async' }]);
  });

  it('a repeated completed report is counted once', () => {
    const track = [spec('T1'), spec('T2', ['T1']), spec('T3')];
    const once = sendAll(conductor(track, 1).snapshot, [START, ended('T1')]);
    const twice = send(once.snapshot, ended('T1'));
    expect(twice.snapshot.context.completed).toBe(1);
    expect(twice.snapshot.context.waitingOn).toEqual(once.snapshot.context.waitingOn);
    expect(emitted(twice.actions)).toEqual([]);
    expect(starts(twice.actions)).toEqual([]);
  });
});
