import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';

/**
 * A machine's definition as a plain graph to draw: every state node, and every transition as an
 * edge. Pure: it reads the machine's state nodes and nothing else.
 *
 * `machine.definition` lists the `on`, invoke and `after` transitions but not the eventless
 * (`always`) ones, so this walks `machine.root` and reads `node.transitions` and `node.always`.
 */

export type StateKind = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

export interface StateGraphNode {
  /** The machine id and the state's path, e.g. 'worker.toolCycle.nextCall' (the state node's own id unless it sets one). */
  id: string;
  /** Its key in its parent, e.g. 'nextCall' (the machine id for the root). */
  key: string;
  parent: string | null;
  kind: StateKind;
  /** A child of a parallel state: one region of it. */
  region: boolean;
  /** The child a compound state enters first. */
  initial: string | null;
  children: string[];
  /** The logic each of its invocations runs ('runTool'). */
  invokes: string[];
  depth: number;
  /** Compact view: how many sub-states are folded into this box (its children are not drawn). */
  folded?: number;
  /** Compact view: not active, so its rows (invocations, handlers in place) are left out. */
  quiet?: boolean;
}

export type EdgeKind = 'event' | 'always' | 'done' | 'error' | 'after' | 'state-done';

export interface StateGraphEdge {
  /** Unique in the graph. */
  id: string;
  source: string;
  /** Null for a transition that changes no state (it only runs actions): drawn inside its source. */
  target: string | null;
  kind: EdgeKind;
  /** The event descriptor as the machine has it ('' for always). */
  event: string;
  /** The guard as written ('callIsTaskComplete', 'toMode(linear)'), 'else' for the fallback after guarded ones. */
  guard: string | null;
  /** The event as shown: 'clutch.approve', 'always', 'done: runTool', 'error: callModel'. */
  name: string;
  /** The name and the guard: 'clutch.approve [callIsTaskComplete]', 'always [hasCall]'. */
  label: string;
  /** The candidate's place among the transitions of its source for the same event (first match wins). */
  order: number;
  /** Compact view: not a way out of the current state, so drawn without its label. */
  quiet?: boolean;
}

export interface StatechartGraph {
  /** The machine id. */
  machine: string;
  root: string;
  nodes: StateGraphNode[];
  edges: StateGraphEdge[];
}

const DONE_ACTOR = 'xstate.done.actor.';
const ERROR_ACTOR = 'xstate.error.actor.';
const DONE_STATE = 'xstate.done.state.';
const AFTER = 'xstate.after.';

function srcName(src: unknown): string {
  if (typeof src === 'string') return src;
  if (src && typeof src === 'object' && 'id' in src && typeof src.id === 'string') return src.id;
  return 'inline';
}

/** The invoked logic behind an actor id, when this state invokes it; else the id (a spawned child). */
function actorName(node: AnyStateNode, actorId: string): string {
  const invoked = node.invoke.find((definition) => definition.id === actorId);
  return invoked ? srcName(invoked.src) : actorId;
}

export function guardLabel(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    // An inline guard is an anonymous function (named after the `guard` property it sits in).
    return guard.name && guard.name !== 'guard' ? guard.name : 'inline guard';
  }
  if (typeof guard === 'object' && 'type' in guard && typeof guard.type === 'string') {
    const params = 'params' in guard ? guard.params : undefined;
    if (params === undefined || typeof params === 'function') return guard.type;
    return `${guard.type}(${typeof params === 'string' ? params : JSON.stringify(params)})`;
  }
  return 'guard';
}

function describeEvent(node: AnyStateNode, event: string): { kind: EdgeKind; name: string } {
  if (event === '') return { kind: 'always', name: 'always' };
  if (event.startsWith(DONE_ACTOR)) return { kind: 'done', name: `done: ${actorName(node, event.slice(DONE_ACTOR.length))}` };
  if (event.startsWith(ERROR_ACTOR)) return { kind: 'error', name: `error: ${actorName(node, event.slice(ERROR_ACTOR.length))}` };
  if (event.startsWith(DONE_STATE)) return { kind: 'state-done', name: 'done' };
  if (event.startsWith(AFTER)) {
    // xstate.after.DELAY.STATE_ID
    const delay = event.slice(AFTER.length).split('.')[0] ?? '';
    return { kind: 'after', name: /^\d+$/.test(delay) ? `after ${delay} ms` : `after ${delay}` };
  }
  return { kind: 'event', name: event };
}

/** Ids by path, so that a state value maps onto them even where a state sets its own `id`. */
function idOf(node: AnyStateNode): string {
  return [node.machine.id, ...node.path].join('.');
}

function edgesOf(node: AnyStateNode, event: string, candidates: readonly AnyTransitionDefinition[]): StateGraphEdge[] {
  const { kind, name } = describeEvent(node, event);
  const edges: StateGraphEdge[] = [];
  candidates.forEach((transition, order) => {
    let guard = guardLabel(transition.guard);
    // Candidates are tried in order; an unguarded one after guarded ones is the fallback.
    if (guard === null && order > 0 && candidates.slice(0, order).some((earlier) => earlier.guard !== undefined)) guard = 'else';
    const label = guard ? `${name} [${guard}]` : name;
    const targets = transition.target && transition.target.length > 0 ? transition.target.map(idOf) : [null];
    targets.forEach((target, index) => {
      edges.push({
        id: `${idOf(node)}|${event || 'always'}|${order}${targets.length > 1 ? `|${index}` : ''}`,
        source: idOf(node),
        target,
        kind,
        event,
        guard,
        name,
        label,
        order,
      });
    });
  });
  return edges;
}

export function statechartGraph(machine: AnyStateMachine): StatechartGraph {
  const nodes: StateGraphNode[] = [];
  const edges: StateGraphEdge[] = [];
  const visit = (node: AnyStateNode, depth: number): void => {
    const children = Object.values(node.states) as AnyStateNode[];
    const first = node.type === 'compound' ? node.initial.target[0] : undefined;
    nodes.push({
      id: idOf(node),
      key: node.parent ? node.key : machine.id,
      parent: node.parent ? idOf(node.parent) : null,
      kind: node.type,
      region: node.parent?.type === 'parallel',
      initial: first ? idOf(first) : null,
      children: children.map(idOf),
      invokes: node.invoke.map((definition) => srcName(definition.src)),
      depth,
    });
    for (const [event, candidates] of node.transitions) edges.push(...edgesOf(node, event, candidates));
    if (node.always) edges.push(...edgesOf(node, '', node.always));
    for (const child of children) visit(child, depth + 1);
  };
  visit(machine.root, 0);
  return { machine: machine.id, root: idOf(machine.root), nodes, edges };
}

/**
 * The ids of every state node a state value makes active: each active leaf and all its ancestors,
 * every region of a parallel state on its own. 'prompting' → worker, worker.prompting.
 */
export function activeStateIds(machineId: string, value: unknown): Set<string> {
  const active = new Set<string>([machineId]);
  const walk = (prefix: string, part: unknown): void => {
    if (typeof part === 'string') {
      active.add(`${prefix}.${part}`);
      return;
    }
    if (!part || typeof part !== 'object') return;
    for (const [key, inner] of Object.entries(part)) {
      active.add(`${prefix}.${key}`);
      walk(`${prefix}.${key}`, inner);
    }
  };
  walk(machineId, value);
  return active;
}
