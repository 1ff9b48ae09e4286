import type { AnyActorRef, InspectionEvent } from 'xstate';
import { parseKey } from '../protocol/actor-keys.js';

type Listener = (event: InspectionEvent) => void;

/** Every inspection event of the actor system, handed to each listener (the hub, the timeline, the inspector). */
export class InspectionFanout {
  readonly #listeners = new Set<Listener>();

  add(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: InspectionEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}

/**
 * The key of a conductor, ticket or worker actor: its systemId (conductor, ticket:ID, worker:ID).
 * Read from the options, which hold it from construction on; `systemId` is set a little later.
 */
export function actorKey(ref: AnyActorRef): string | undefined {
  const systemId = (ref as { options?: { systemId?: unknown } }).options?.systemId;
  return typeof systemId === 'string' && parseKey(systemId) !== undefined ? systemId : undefined;
}
