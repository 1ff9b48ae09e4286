/**
 * Abstract test models derived from the real statecharts.
 *
 * `createTestModel` refuses a machine with `invoke` ("Invocations on test machines are not
 * supported"), and our machines also spawn children, send to their parent and to named children,
 * which a pure traversal cannot do. So the model that `xstate/graph` walks is built here FROM the
 * real machine's definition: the same state nodes (ids, types, initial states) and the same
 * transitions (every `on` entry, every `always`, every invoke done/error edge, in the real order and
 * with the real targets). What changes:
 * - an invoke is dropped; its done/error edges stay, as plain events that a test sends in place of
 *   the actor (`xstate.done.actor.tool`, `xstate.error.actor.0.worker.backoff`, ...);
 * - a guard becomes an abstract guard of the same name, written in the spec, that reads the
 *   abstract context or an explicit payload choice of the event (`{ valid: false }`); no real
 *   guard is reused;
 * - an action becomes its abstract effect on a small abstract context, or nothing when it only
 *   talks to other actors (those are listed, so that a new action is noticed).
 * Because the structure is copied, the copy cannot notice that the real structure is wrong: that
 * is the reviewed tables' job (tests/model/statecharts/*.md, checked by abstract-drift.test.ts),
 * and the abstract guards and effects, written on their own, can still disagree with the real ones.
 */
import { createMachine, enqueueActions, type AnyStateMachine, type AnyStateNode, type EventObject, type MachineSnapshot } from 'xstate';

export type AbstractSnapshot<C> = MachineSnapshot<C & object, EventObject, any, any, any, any, any, any>;

/** What an abstract action does: a context patch, and events raised as the real children would send them. */
export type AbstractEffect<C, E extends EventObject> = (context: C, event: E) => { context?: Partial<C>; raise?: E[] } | void;

export interface AbstractSpec<C, E extends EventObject> {
  context: C;
  /** Abstract guards by the real guard's name; params of `{ type, params }` guards are passed on. */
  guards: Record<string, (context: C, event: E, params: unknown) => boolean>;
  /** Guards written inline in the real machine, by transition key. */
  inlineGuards?: Record<string, (context: C, event: E) => boolean>;
  /** Abstract effects of the real named actions. */
  actions: Record<string, AbstractEffect<C, E>>;
  /** Real named actions with no abstract effect (messages to other actors, journaling). */
  ignoredActions: string[];
  /** Effects of inline real actions: by transition key, or `entry <state id>` for a state's entry. */
  inline?: Record<string, AbstractEffect<C, E>>;
  /** Test bookkeeping that is no part of the real machine: runs first on every transition taken. */
  everyTransition?: AbstractEffect<C, E>;
  /** Test bookkeeping on entry to a state (by id), after the real entry actions. */
  onEntry?: Record<string, AbstractEffect<C, E>>;
  /** Test bookkeeping on one transition (by key), after `everyTransition` and the real actions. */
  onTransition?: Record<string, AbstractEffect<C, E>>;
}

export interface TransitionInfo {
  key: string;
  source: string;
  /** The event type; `always` for eventless transitions. */
  event: string;
  index: number;
  targets: string[];
  guard: string | null;
}

export interface Catalog {
  /** Every state node id except the root (as `getStateNodes` from xstate/graph counts them). */
  states: string[];
  transitions: TransitionInfo[];
  /** Event types each state node itself handles (`on` keys), by state id; the root included. */
  events: Record<string, string[]>;
}

type AnyTransition = {
  eventType: string;
  source: AnyStateNode;
  target?: readonly AnyStateNode[];
  guard?: unknown;
  actions: readonly unknown[];
  reenter: boolean;
};

export function transitionKey(source: string, event: string, index: number): string {
  return `${source} ${event}[${index}]`;
}

function nodesOf(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states as Record<string, AnyStateNode>).flatMap(nodesOf)];
}

function guardName(guard: unknown): string | null {
  if (guard === undefined) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && guard !== null && 'type' in guard) return String((guard as { type: unknown }).type);
  return 'inline';
}

function transitionsOf(node: AnyStateNode): Array<[string, number, AnyTransition]> {
  const listed: Array<[string, number, AnyTransition]> = [];
  for (const [event, list] of node.transitions as Map<string, AnyTransition[]>) {
    list.forEach((transition, index) => listed.push([event, index, transition]));
  }
  ((node.always ?? []) as AnyTransition[]).forEach((transition, index) => listed.push(['always', index, transition]));
  return listed;
}

/** States, transitions and handled events of a machine, read from its definition. */
export function catalog(machine: AnyStateMachine): Catalog {
  const nodes = nodesOf(machine.root);
  const transitions = nodes.flatMap((node) =>
    transitionsOf(node).map(([event, index, transition]) => ({
      key: transitionKey(node.id, event, index),
      source: node.id,
      event,
      index,
      targets: (transition.target ?? []).map((target) => target.id),
      guard: guardName(transition.guard),
    })),
  );
  const events = Object.fromEntries(nodes.map((node) => [node.id, [...(node.transitions as Map<string, unknown>).keys()].sort()]));
  return { states: nodes.slice(1).map((node) => node.id), transitions, events };
}

/** The catalog key of a transition definition taken by a running actor (from `@xstate.microstep`). */
export function keyOfTaken(transition: unknown): string {
  const taken = transition as AnyTransition;
  const source = taken.source;
  const always = (source.always ?? []) as AnyTransition[];
  const alwaysIndex = always.indexOf(taken);
  if (alwaysIndex >= 0) return transitionKey(source.id, 'always', alwaysIndex);
  const list = ((source.transitions as Map<string, AnyTransition[]>).get(taken.eventType) ?? []) as AnyTransition[];
  const index = list.indexOf(taken);
  if (index < 0) throw new Error(`transition ${taken.eventType} of ${source.id} is not in its state's definition`);
  return transitionKey(source.id, taken.eventType, index);
}

function actionName(action: unknown): string | null {
  if (typeof action === 'string') return action;
  if (typeof action === 'object' && action !== null && 'type' in action) return String((action as { type: unknown }).type);
  return null;
}

/**
 * Builds the abstract machine. Throws when the spec and the real machine disagree: a guard or named
 * action without an abstract counterpart, or a spec entry that names nothing in the real machine.
 */
export function deriveAbstractMachine<C extends object, E extends EventObject>(real: AnyStateMachine, spec: AbstractSpec<C, E>) {
  const used = new Set<string>();
  const realGuards = new Set<string>();
  const realActions = new Set<string>();
  const guards: Record<string, (args: { context: C; event: E }, params: unknown) => boolean> = {};

  const effect = (run: AbstractEffect<C, E>) => ({ context, event }: { context: C; event: E }) => run(context, event);
  const toActions = (actions: readonly unknown[], inlineKey: string): Array<(args: { context: C; event: E }) => unknown> => {
    const result: Array<(args: { context: C; event: E }) => unknown> = [];
    let inlineSeen = false;
    for (const action of actions) {
      const name = actionName(action);
      if (name !== null) {
        realActions.add(name);
        const abstract = spec.actions[name];
        if (abstract) result.push(effect(abstract));
        else if (!spec.ignoredActions.includes(name)) throw new Error(`real action "${name}" has no abstract effect and is not listed as ignored`);
      } else if (!inlineSeen) {
        // One abstract effect stands for all the inline actions of a transition (or an entry, an exit).
        inlineSeen = true;
        const abstract = spec.inline?.[inlineKey];
        if (abstract) {
          used.add(inlineKey);
          result.push(effect(abstract));
        }
      }
    }
    return result;
  };

  const toGuard = (guard: unknown, key: string) => {
    const name = guardName(guard);
    if (name === null) return undefined;
    if (name === 'inline') {
      const abstract = spec.inlineGuards?.[key];
      if (!abstract) throw new Error(`inline guard of ${key} has no abstract guard`);
      used.add(`guard ${key}`);
      return ({ context, event }: { context: C; event: E }) => abstract(context, event);
    }
    realGuards.add(name);
    const abstract = spec.guards[name];
    if (!abstract) throw new Error(`real guard "${name}" (${key}) has no abstract guard`);
    guards[name] = ({ context, event }: { context: C; event: E }, params: unknown) => abstract(context, event, params);
    // Referenced by name, params and all, as in the real definition.
    return typeof guard === 'object' ? guard : name;
  };

  const toTransition = (node: AnyStateNode, event: string, index: number, transition: AnyTransition) => {
    const key = transitionKey(node.id, event, index);
    const actions = toActions(transition.actions, key);
    const every = (args: { context: C; event: E }) => spec.everyTransition?.(args.context, args.event);
    const bookkeeping = spec.onTransition?.[key];
    if (bookkeeping) used.add(`onTransition ${key}`);
    return {
      ...(transition.target ? { target: transition.target.map((target) => `#${target.id}`) } : {}),
      guard: toGuard(transition.guard, key),
      actions: [every, ...actions, ...(bookkeeping ? [effect(bookkeeping)] : [])].map(apply),
      reenter: transition.reenter,
    };
  };

  const toConfig = (node: AnyStateNode): Record<string, unknown> => {
    const on: Record<string, unknown[]> = {};
    const always: unknown[] = [];
    for (const [event, index, transition] of transitionsOf(node)) {
      const converted = toTransition(node, event, index, transition);
      if (event === 'always') always.push(converted);
      else (on[event] ??= []).push(converted);
    }
    const entryKey = `entry ${node.id}`;
    const entry = toActions(node.entry as readonly unknown[], entryKey).map(apply);
    const bookkeeping = spec.onEntry?.[node.id];
    if (bookkeeping) {
      used.add(`onEntry ${node.id}`);
      entry.push(apply(effect(bookkeeping)));
    }
    const exit = toActions(node.exit as readonly unknown[], `exit ${node.id}`).map(apply);
    const children = Object.entries(node.states as Record<string, AnyStateNode>);
    const initial = (node.initial as { target?: readonly AnyStateNode[] } | undefined)?.target?.[0]?.key;
    return {
      ...(node.parent && node.id !== `${node.parent.id}.${node.key}` ? { id: node.id } : {}),
      ...(node.type === 'parallel' || node.type === 'final' ? { type: node.type } : {}),
      ...(node.type === 'compound' && initial ? { initial } : {}),
      ...(entry.length ? { entry } : {}),
      ...(exit.length ? { exit } : {}),
      ...(Object.keys(on).length ? { on } : {}),
      ...(always.length ? { always } : {}),
      ...(children.length ? { states: Object.fromEntries(children.map(([key, child]) => [key, toConfig(child)])) } : {}),
    };
  };

  const config = { ...toConfig(real.root), id: real.id, context: spec.context };
  for (const key of Object.keys(spec.inline ?? {})) if (!used.has(key)) throw new Error(`abstract effect "${key}" matches no inline action of ${real.id}`);
  for (const key of Object.keys(spec.inlineGuards ?? {})) if (!used.has(`guard ${key}`)) throw new Error(`abstract guard "${key}" matches no inline guard of ${real.id}`);
  for (const key of Object.keys(spec.onTransition ?? {})) if (!used.has(`onTransition ${key}`)) throw new Error(`bookkeeping for "${key}" names no transition of ${real.id}`);
  for (const id of Object.keys(spec.onEntry ?? {})) if (!used.has(`onEntry ${id}`)) throw new Error(`bookkeeping for "${id}" names no state of ${real.id}`);
  for (const name of Object.keys(spec.guards)) if (!realGuards.has(name)) throw new Error(`abstract guard "${name}" is not a guard of ${real.id}`);
  for (const name of [...Object.keys(spec.actions), ...spec.ignoredActions]) {
    if (!realActions.has(name)) throw new Error(`abstract action "${name}" is not an action of ${real.id}`);
  }
  return createMachine(config as never, { guards } as never) as unknown as AnyStateMachine;
}

/** An abstract effect as an xstate action: assign its context patch, raise its events. */
function apply<C, E extends EventObject>(run: (args: { context: C; event: E }) => unknown) {
  return enqueueActions(({ context, event, enqueue }) => {
    const result = run({ context: context as C, event: event as E }) as { context?: Partial<C>; raise?: E[] } | undefined;
    if (result?.context) enqueue.assign(result.context as never);
    for (const raised of result?.raise ?? []) enqueue.raise(raised as never);
  });
}
