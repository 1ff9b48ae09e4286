/**
 * Paths through an abstract model, generated with xstate/graph (`createTestModel`,
 * `getShortestPaths`, `getSimplePaths`, `getPathsFromEvents`), replayed to learn which real
 * transitions each step takes, and narrowed to a set that covers every state node and transition
 * of the real machine's definition.
 */
import { createActor, type AnyStateMachine, type EventObject, type StateValue } from 'xstate';
import { createTestModel, type TestModel, type TestPath, type TraversalOptions } from 'xstate/graph';
import { catalog, keyOfTaken, type Catalog } from './derive.js';
import type { AbstractSnapshot } from './derive.js';

export interface PlannedStep<C, E extends EventObject> {
  /** `xstate.init` for the first step. */
  event: E | { type: 'xstate.init' };
  value: StateValue;
  context: C;
  /** Catalog keys of the transitions the abstract machine took for this event. */
  transitions: string[];
  states: string[];
}

export interface PlannedPath<C, E extends EventObject> {
  name: string;
  source: 'shortest' | 'simple' | 'targeted';
  /** The variant of the abstract model the path runs in (its name), or undefined for the main one. */
  variant?: string;
  test: TestPath<AbstractSnapshot<C>, E>;
  steps: PlannedStep<C, E>[];
}

export interface GenerateOptions<C, E extends EventObject> {
  machine: AnyStateMachine;
  real: AnyStateMachine;
  events: (snapshot: AbstractSnapshot<C>) => E[];
  serialize: (snapshot: AbstractSnapshot<C>) => string;
  /** Bound on the steps a traversal may take (xstate/graph throws beyond it): a guard against a state space that grew. */
  limit: number;
  /** Simple paths over narrower event sets, each up to a target state. */
  simple: Array<{
    events: (snapshot: AbstractSnapshot<C>) => E[];
    toState: (snapshot: AbstractSnapshot<C>) => boolean;
    stopWhen?: (snapshot: AbstractSnapshot<C>) => boolean;
  }>;
  /** Paths the generators do not find on their own, as event sequences. */
  targeted?: E[][];
  /**
   * Where the traversal behind a targeted path stops: xstate/graph tries each of its events in
   * every state it reaches, which can go on for ever (a retry that is always accepted).
   */
  bound?: (snapshot: AbstractSnapshot<C>) => boolean;
  /**
   * The same real machine under another configuration (another abstract initial context: a worker
   * with QA of another trust, a ticket that is reviewed, a run begun from a request), each with
   * the paths asked of it by name. Its paths run like the others and count for the same coverage.
   */
  variants?: Variant<E>[];
  /** How many paths to run at most (the covering ones always run). */
  cap: number;
  /**
   * `edge`: shortest paths keyed by state and incoming event, so that every edge of the abstract
   * graph (self-loops too) ends some path; `state`: one path per state, for larger models.
   */
  shortest: 'edge' | 'state';
}

export interface Variant<E extends EventObject> {
  /** Put before the path's events in its name. */
  name: string;
  /** The abstract model of this configuration (derived from the same real machine). */
  machine: AnyStateMachine;
  targeted: E[][];
}

export function describeEvent(event: EventObject): string {
  const { type, ...payload } = event as EventObject & Record<string, unknown>;
  if (type === 'ticket.changed') return `${String(payload['id'])}:${String(payload['status'])}${payload['skipped'] ? ' (skipped)' : ''}`;
  const short = type.replace(/^xstate\.(done|error)\.actor\.(?:0\.)?(?:[A-Za-z]+\.)*([A-Za-z0-9_-]+)$/, '$1:$2');
  return Object.keys(payload).length ? `${short}${JSON.stringify(payload)}` : short;
}

/** Replays events on the abstract machine, recording each step's value, context and transitions. */
export function replay<C, E extends EventObject>(machine: AnyStateMachine, events: readonly E[]): PlannedStep<C, E>[] {
  let transitions: string[] = [];
  let states = new Set<string>();
  const actor = createActor(machine, {
    inspect: (event) => {
      if (event.type !== '@xstate.microstep') return;
      transitions.push(...event._transitions.map(keyOfTaken));
      for (const node of (event.snapshot as unknown as { _nodes: Array<{ id: string; parent?: unknown }> })._nodes) if (node.parent) states.add(node.id);
    },
  });
  actor.start();
  const steps: PlannedStep<C, E>[] = [];
  const push = (event: PlannedStep<C, E>['event']) => {
    const snapshot = actor.getSnapshot() as AbstractSnapshot<C>;
    for (const node of snapshot._nodes) if (node.parent) states.add(node.id);
    if (snapshot.status === 'error') throw new Error(`the abstract ${machine.id} failed on ${describeEvent(event)}: ${String(snapshot.error)}`);
    steps.push({ event, value: snapshot.value, context: snapshot.context, transitions, states: [...states] });
    transitions = [];
    states = new Set();
  };
  push({ type: 'xstate.init' });
  for (const event of events) {
    actor.send(event);
    push(event);
  }
  actor.stop();
  return steps;
}

function eventsOf<C, E extends EventObject>(path: TestPath<AbstractSnapshot<C>, E>): E[] {
  return path.steps.slice(1).map((step) => step.event);
}

export interface Generated<C, E extends EventObject> {
  model: TestModel<AbstractSnapshot<C>, E, unknown>;
  catalog: Catalog;
  candidates: number;
  paths: PlannedPath<C, E>[];
  /** States and transitions of the real definition that no planned path reaches. */
  uncovered: string[];
  /** Targeted paths left out: a step that takes no transition of the abstract model. */
  invalid: string[];
}

export function generate<C, E extends EventObject>(options: GenerateOptions<C, E>): Generated<C, E> {
  const model = createTestModel(options.machine) as unknown as TestModel<AbstractSnapshot<C>, E, unknown>;
  const traversal = (events: GenerateOptions<C, E>['events']): TraversalOptions<AbstractSnapshot<C>, E, unknown> => ({
    events,
    serializeState: options.serialize as never,
    limit: options.limit,
  });
  // Keyed by state and incoming event, the shortest paths reach every edge of the abstract graph,
  // self-loops included, not only every state.
  const byEdge = (snapshot: AbstractSnapshot<C>, event: E | undefined) => `${options.serialize(snapshot)} via ${JSON.stringify(event ?? null)}`;
  // Targeted paths first: a generated path with the same events is the same path, and it must
  // still count as targeted (those always run).
  type Found = { source: PlannedPath<C, E>['source']; test: TestPath<AbstractSnapshot<C>, E>; variant?: Variant<E> };
  const fromEvents = (on: TestModel<AbstractSnapshot<C>, E, unknown>, events: E[]) =>
    on.getPathsFromEvents(events, { serializeState: options.serialize as never, limit: options.limit, ...(options.bound ? { stopWhen: options.bound } : {}) });
  const found: Found[] = [
    ...(options.targeted ?? []).flatMap((events) => fromEvents(model, events).map((test) => ({ source: 'targeted' as const, test }))),
    ...(options.variants ?? []).flatMap((variant) => {
      const other = createTestModel(variant.machine) as unknown as TestModel<AbstractSnapshot<C>, E, unknown>;
      return variant.targeted.flatMap((events) => fromEvents(other, events).map((test) => ({ source: 'targeted' as const, test, variant })));
    }),
    ...model
      .getShortestPaths({ ...traversal(options.events), ...(options.shortest === 'edge' ? { serializeState: byEdge as never } : {}) })
      .map((test) => ({ source: 'shortest' as const, test })),
    ...options.simple.flatMap((simple) =>
      model
        // Without an explicit stopWhen, xstate/graph stops the traversal at every toState match.
        .getSimplePaths({ ...traversal(simple.events), toState: simple.toState, stopWhen: simple.stopWhen ?? (() => false) })
        .map((test) => ({ source: 'simple' as const, test })),
    ),
  ];
  const seen = new Set<string>();
  const candidates: PlannedPath<C, E>[] = [];
  const invalid: string[] = [];
  for (const { source, test, variant } of found) {
    const events = eventsOf(test);
    const name = `${variant ? `[${variant.name}] ` : ''}${events.map(describeEvent).join(' → ') || '(start)'}`;
    if (seen.has(name)) continue;
    seen.add(name);
    const steps = replay<C, E>(variant?.machine ?? options.machine, events);
    // A targeted path is written by hand: an event its state ignores is a mistake in it (or the
    // machine changed under it), not a step. It is left out, and the suite says so.
    const idle = source === 'targeted' ? steps.findIndex((step, index) => index > 0 && step.transitions.length === 0) : -1;
    if (idle > 0) {
      invalid.push(`targeted path "${name}": step ${idle} (${describeEvent(steps[idle]!.event)}) takes no transition of the abstract ${options.machine.id}`);
      continue;
    }
    candidates.push({ name, source, test, steps, ...(variant ? { variant: variant.name } : {}) });
  }
  const definition = catalog(options.real);
  const universe = [...definition.states.map((state) => `state ${state}`), ...definition.transitions.map((transition) => transition.key)];
  const items = new Map(
    candidates.map((path) => [path, [...new Set(path.steps.flatMap((step) => [...step.states.map((state) => `state ${state}`), ...step.transitions]))]]),
  );
  // Targeted paths always run; the generated ones are then chosen for what they add.
  const chosen = candidates.filter((path) => path.source === 'targeted');
  const covered = new Set(chosen.flatMap((path) => items.get(path)!));
  const remaining = candidates.filter((path) => path.source !== 'targeted').sort((a, b) => a.steps.length - b.steps.length || (a.name < b.name ? -1 : 1));
  // Greedy set cover: the path adding the most still-uncovered items, shortest first on a tie.
  for (;;) {
    let best: PlannedPath<C, E> | undefined;
    let gain = 0;
    for (const path of remaining) {
      const added = items.get(path)!.filter((item) => !covered.has(item)).length;
      if (added > gain) [best, gain] = [path, added];
    }
    if (!best) break;
    items.get(best)!.forEach((item) => covered.add(item));
    chosen.push(best);
    remaining.splice(remaining.indexOf(best), 1);
  }
  // More paths for variety, up to the cap: whole runs (ending in a final state) first, each group
  // sampled evenly from short to long.
  const ends = (path: PlannedPath<C, E>) => (path.test.state.status === 'done' ? 0 : 1);
  const groups = [0, 1].map((group) => remaining.filter((path) => ends(path) === group));
  let room = Math.max(0, options.cap - chosen.length);
  for (const group of groups) {
    const take = Math.min(room, group.length);
    const stride = group.length / Math.max(1, take);
    for (let index = 0; index < take; index += 1) chosen.push(group[Math.floor(index * stride)]!);
    room -= take;
  }
  return {
    model,
    catalog: definition,
    candidates: candidates.length,
    paths: chosen,
    uncovered: universe.filter((item) => !covered.has(item)),
    invalid,
  };
}
