import type { ActorKind } from '../../protocol/wire.js';
import { machines } from './machines.js';
import { statechartGraph } from './statechart-graph.js';

const names = new Map<ActorKind, Map<string, string>>();

/**
 * An event type as the diagram labels it: 'xstate.done.actor.tool' → 'done: runTool' (the invoked
 * logic), so the timeline and the edges read alike. Other types are shown as they are.
 */
export function eventName(kind: ActorKind, type: string): string {
  let byType = names.get(kind);
  if (!byType) {
    byType = new Map(statechartGraph(machines[kind]).edges.filter((edge) => edge.event !== '').map((edge) => [edge.event, edge.name]));
    names.set(kind, byType);
  }
  const known = byType.get(type);
  if (known) return known;
  if (type.startsWith('xstate.done.actor.')) return `done: ${type.slice('xstate.done.actor.'.length)}`;
  if (type.startsWith('xstate.error.actor.')) return `error: ${type.slice('xstate.error.actor.'.length)}`;
  return type;
}
