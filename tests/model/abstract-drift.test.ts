import { describe, expect, it } from 'vitest';
import { assign, createMachine, fromPromise, setup, type AnyStateMachine } from 'xstate';
import { createTestModel } from 'xstate/graph';
import { conductorMachine } from '../../src/machines/conductor.js';
import { ticketMachine } from '../../src/machines/ticket.js';
import { workerMachine } from '../../src/machines/worker.js';
import { abstractConductor } from '../../src/testing/conductor.js';
import { catalog, deriveAbstractMachine, type Catalog } from '../../src/testing/derive.js';
import { abstractTicket } from '../../src/testing/ticket.js';
import { abstractWorker } from '../../src/testing/worker.js';

/** What must agree between a real machine and its abstract model: states, handled events, transitions. */
function shape(definition: Catalog) {
  return {
    states: [...definition.states].sort(),
    events: definition.events,
    transitions: definition.transitions.map(({ key, targets, guard }) => ({ key, targets, guard })),
  };
}

const pairs: Array<[string, AnyStateMachine, AnyStateMachine]> = [
  ['worker', workerMachine, abstractWorker],
  ['ticket', ticketMachine, abstractTicket],
  ['conductor', conductorMachine, abstractConductor],
];

describe('abstract models against the real statecharts', () => {
  it('createTestModel refuses the real worker, which invokes its I/O actors', () => {
    expect(() => createTestModel(workerMachine)).toThrow(/Invocations on test machines are not supported/);
  });

  it.each(pairs)('the abstract %s has no invoke, so createTestModel takes it', (_name, _real, abstract) => {
    expect(() => createTestModel(abstract)).not.toThrow();
  });

  it.each(pairs)('the abstract %s has the real state ids, handled event types and transitions', (_name, real, abstract) => {
    expect(shape(catalog(abstract))).toEqual(shape(catalog(real)));
  });

  it('the comparison sees a drift: a state, an event or a target that differs', () => {
    const real = createMachine({ id: 'm', initial: 'a', states: { a: { on: { GO: 'b' } }, b: {} } });
    const moved = createMachine({ id: 'm', initial: 'a', states: { a: { on: { GO: 'a' } }, b: {} } });
    const renamed = createMachine({ id: 'm', initial: 'a', states: { a: { on: { GONE: 'b' } }, b: {} } });
    const grown = createMachine({ id: 'm', initial: 'a', states: { a: { on: { GO: 'b' } }, b: {}, c: {} } });
    for (const other of [moved, renamed, grown]) expect(shape(catalog(other))).not.toEqual(shape(catalog(real)));
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
