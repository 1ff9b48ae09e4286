import { describe, expect, it } from 'vitest';
import { assign, createMachine, fromPromise, setup, type AnyStateMachine } from 'xstate';
import { createTestModel } from 'xstate/graph';
import { conductorMachine } from '../../src/machines/conductor.js';
import { plannerMachine } from '../../src/machines/planner.js';
import { ticketMachine } from '../../src/machines/ticket.js';
import { workerMachine } from '../../src/machines/worker.js';
import { abstractConductor } from '../../src/testing/conductor.js';
import { catalog, deriveAbstractMachine, type Catalog } from '../../src/testing/derive.js';
import { abstractPlanner } from '../../src/testing/planner.js';
import { abstractTicket } from '../../src/testing/ticket.js';
import { abstractWorker } from '../../src/testing/worker.js';
import { drift, parseStatechart, readStatechart, statechartOf } from './statecharts.js';

const machines: Array<[string, AnyStateMachine, AnyStateMachine]> = [
  ['worker', workerMachine, abstractWorker],
  ['ticket', ticketMachine, abstractTicket],
  ['conductor', conductorMachine, abstractConductor],
  ['planner', plannerMachine, abstractPlanner],
];

/** A deep copy of a machine config, its functions (actions, guards, expressions) shared. */
function copyConfig<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyConfig) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, copyConfig(item)])) as T;
  return value;
}

type Config = { states?: Record<string, Config>; on?: Record<string, unknown>; always?: unknown; target?: unknown; [key: string]: unknown };

/** The worker built again from a copy of its definition, changed by `change`. */
function changedWorker(change: (config: Config) => void): AnyStateMachine {
  const config = copyConfig(workerMachine.config) as Config;
  change(config);
  return createMachine(config as never, workerMachine.implementations as never) as unknown as AnyStateMachine;
}

/** Every `target` string in a config, rewritten. */
function retargetAll(config: unknown, rewrite: (target: string) => string): void {
  if (Array.isArray(config)) return config.forEach((item) => retargetAll(item, rewrite));
  if (!config || typeof config !== 'object') return;
  const node = config as Record<string, unknown>;
  if (typeof node['target'] === 'string') node['target'] = rewrite(node['target']);
  Object.values(node).forEach((item) => retargetAll(item, rewrite));
}

describe('each real statechart against its reviewed table (tests/model/statecharts/*.md)', () => {
  it.each(machines)('the %s machine has exactly the states and transitions of its table', (name, real) => {
    const problems = drift(statechartOf(real), readStatechart(name));
    expect(problems, `the ${name} machine drifted from tests/model/statecharts/${name}.md:\n  ${problems.join('\n  ')}\n`).toEqual([]);
  });

  /** The problems a change of the worker adds to those of the real worker (none, unless it drifted). */
  const added = (changed: AnyStateMachine) => {
    const table = readStatechart('worker');
    const known = new Set(drift(statechartOf(workerMachine), table));
    return drift(statechartOf(changed), table).filter((problem) => !known.has(problem));
  };

  it('fails when a state is renamed: reviewingResult becomes checkingResult', () => {
    const renamed = changedWorker((config) => {
      const cycle = config.states!['toolCycle']!.states!;
      if (!cycle['reviewingResult']) throw new Error('the worker has no toolCycle.reviewingResult to rename (see the drift above)');
      cycle['checkingResult'] = cycle['reviewingResult'];
      delete cycle['reviewingResult'];
      retargetAll(config, (target) => (target === 'reviewingResult' ? 'checkingResult' : target));
    });
    const problems = added(renamed);
    expect(problems).toContain('state toolCycle.reviewingResult: in the table, missing from the machine');
    expect(problems).toContain('state toolCycle.checkingResult: in the machine, missing from the table');
    expect(problems).toContain('on toolCycle.reviewGate always: the table says [isStep] → toolCycle.reviewingResult | → toolCycle.nextCall; the machine has [isStep] → toolCycle.checkingResult | → toolCycle.nextCall');
    expect(problems).toContain('on toolCycle.reviewingResult clutch.approve: the table says → toolCycle.nextCall; the machine has nothing');
    expect(problems.some((problem) => problem.startsWith('on toolCycle.checkingResult clutch.approve: the table says nothing; the machine has →'))).toBe(true);
  });

  it('fails when a target changes: approve at pause 2 goes to resultsReady', () => {
    const retargeted = changedWorker((config) => {
      const approve = config.states!['toolCycle']!.states!['reviewingResult']?.on?.['clutch.approve'] as Config | undefined;
      if (!approve) throw new Error('the worker has no approve at toolCycle.reviewingResult to retarget (see the drift above)');
      approve.target = '#worker.resultsReady';
    });
    const problems = drift(statechartOf(retargeted), readStatechart('worker'));
    expect(problems).toContain('on toolCycle.reviewingResult clutch.approve: the table says → toolCycle.nextCall; the machine has → resultsReady');
    // Nothing else differs.
    expect(added(retargeted).every((problem) => problem.startsWith('on toolCycle.reviewingResult clutch.approve:'))).toBe(true);
  });

  it('fails when a guard, a branch, or a state kind differs from the table', () => {
    const table = parseStatechart(`
## States
| state | kind | initial |
|---|---|---|
| (root) | compound | a |
| a | atomic | |
| b | final | |
## Transitions
| state | event | guard | target |
|---|---|---|---|
| a | GO | ok | b |
| a | GO | | — |
`);
    const agrees = createMachine({ id: 'm', initial: 'a', states: { a: { on: { GO: [{ guard: 'ok', target: 'b' }, { actions: () => {} }] } }, b: { type: 'final' } } });
    expect(drift(statechartOf(agrees), table)).toEqual([]);
    const unguarded = createMachine({ id: 'm', initial: 'a', states: { a: { on: { GO: 'b' } }, b: { type: 'final' } } });
    expect(drift(statechartOf(unguarded), table)).toEqual(['on a GO: the table says [ok] → b | → —; the machine has → b']);
    const notFinal = createMachine({ id: 'm', initial: 'a', states: { a: { on: { GO: [{ guard: 'ok', target: 'b' }, { actions: () => {} }] } }, b: {} } });
    expect(drift(statechartOf(notFinal), table)).toEqual(['state b: the table says final, the machine has atomic']);
  });
});

/** What must agree between a real machine and its abstract model: states, handled events, transitions. */
function shape(definition: Catalog) {
  return {
    states: [...definition.states].sort(),
    events: definition.events,
    transitions: definition.transitions.map(({ key, targets, guard }) => ({ key, targets, guard })),
  };
}

describe('abstract models against the real statecharts', () => {
  it('createTestModel refuses the real worker, which invokes its I/O actors', () => {
    expect(() => createTestModel(workerMachine)).toThrow(/Invocations on test machines are not supported/);
  });

  it.each(machines)('the abstract %s has no invoke, so createTestModel takes it', (_name, _real, abstract) => {
    expect(() => createTestModel(abstract)).not.toThrow();
  });

  it.each(machines)('the abstract %s has the real state ids, handled event types and transitions', (_name, real, abstract) => {
    expect(shape(catalog(abstract))).toEqual(shape(catalog(real)));
  });

  describe('derivation', () => {
    const real = setup({
      types: { context: {} as { n: number }, events: {} as { type: 'go'; ok: boolean } | { type: 'reset' } },
      actors: { work: fromPromise(async () => 1) },
      guards: { ok: ({ event }) => event.type === 'go' && event.ok },
      actions: { bump: assign({ n: ({ context }) => context.n + 1 }), log: () => {} },
    }).createMachine({
      id: 'real',
      context: { n: 0 },
      initial: 'idle',
      states: {
        idle: { on: { go: [{ guard: 'ok', target: 'busy', actions: 'bump' }, { actions: 'log' }] } },
        busy: { invoke: { src: 'work', onDone: 'idle', onError: 'failed' }, on: { reset: 'idle' } },
        failed: { type: 'final' },
      },
    });
    const spec = {
      context: { n: 0 },
      guards: { ok: (_context: { n: number }, event: { type: string; ok?: boolean }) => event.ok === true },
      actions: { bump: (context: { n: number }) => ({ context: { n: context.n + 1 } }) },
      ignoredActions: ['log'],
    };

    it('keeps the invoke done/error edges as events and drops the invoke', () => {
      const abstract = deriveAbstractMachine(real, spec);
      expect(shape(catalog(abstract))).toEqual(shape(catalog(real)));
      expect(catalog(abstract).events['real.busy']).toEqual(['reset', 'xstate.done.actor.0.real.busy', 'xstate.error.actor.0.real.busy']);
      expect(() => createTestModel(abstract)).not.toThrow();
    });

    it('refuses a spec that misses a guard or an action of the real machine, or names one it lacks', () => {
      expect(() => deriveAbstractMachine(real, { ...spec, guards: {} })).toThrow(/real guard "ok"/);
      expect(() => deriveAbstractMachine(real, { ...spec, ignoredActions: [] })).toThrow(/real action "log"/);
      expect(() => deriveAbstractMachine(real, { ...spec, actions: { ...spec.actions, gone: () => undefined } })).toThrow(/"gone" is not an action/);
      expect(() => deriveAbstractMachine(real, { ...spec, onEntry: { 'real.nowhere': () => undefined } })).toThrow(/names no state/);
    });
  });
});
