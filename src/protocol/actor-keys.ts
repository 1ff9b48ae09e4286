import type { CommandTarget } from './commands.js';

export type ActorKind = 'conductor' | 'ticket' | 'worker' | 'planner';

/*
 * An actor's key names it on both sides of the socket: 'conductor', 'ticket:ID', or 'worker:ID'
 * (the worker of ticket ID's current attempt). The engine uses the same strings as systemIds.
 */
export const conductorKey = 'conductor';
/** The planner of a run begun from a request (its agents are workers: `worker:@plan`, `worker:@plan-review`). */
export const plannerKey = 'planner';
export const ticketKey = (id: string): string => `ticket:${id}`;
export const workerKey = (id: string): string => `worker:${id}`;

export type ParsedKey = { kind: 'conductor' } | { kind: 'planner' } | { kind: 'ticket' | 'worker'; id: string };

/** What a key names, or undefined for a string that is not an actor key. */
export function parseKey(key: string): ParsedKey | undefined {
  if (key === conductorKey) return { kind: 'conductor' };
  if (key === plannerKey) return { kind: 'planner' };
  const colon = key.indexOf(':');
  const kind = key.slice(0, colon);
  const id = key.slice(colon + 1);
  if (colon < 0 || id.length === 0 || (kind !== 'ticket' && kind !== 'worker')) return undefined;
  return { kind, id };
}

/** The machine behind a key: 'worker:T1' → worker. */
export function kindOfKey(key: string): ActorKind | undefined {
  return parseKey(key)?.kind;
}

/** The key of the actor a command goes to. */
export function targetKey(target: CommandTarget): string {
  return target.kind === 'conductor' ? conductorKey : target.kind === 'planner' ? plannerKey : `${target.kind}:${target.id}`;
}
