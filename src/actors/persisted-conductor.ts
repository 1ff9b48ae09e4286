import type { AnyActorRef, Snapshot } from 'xstate';

const EMPTY = Object.freeze({});

/**
 * `conductor.getPersistedSnapshot()`, minus one walk: XState visits every object of the conductor's
 * context looking for actor references to replace, and at 10k tickets that context holds some 60k
 * objects, visited again at every commit. The conductor's context never holds an actor reference
 * (its children are spawned with spawnChild, never assigned), so XState persists the rest of the
 * snapshot (children, history, status) and the context goes in as it is. A test checks that the
 * result equals getPersistedSnapshot() wherever a run can be.
 */
export function persistedConductor(conductor: AnyActorRef): Snapshot<unknown> {
  const snapshot = conductor.getSnapshot() as { context: unknown };
  const logic = (conductor as unknown as { logic: { getPersistedSnapshot(snapshot: unknown): Record<string, unknown> } }).logic;
  const persisted = logic.getPersistedSnapshot({ ...snapshot, context: EMPTY });
  return { ...persisted, context: snapshot.context } as unknown as Snapshot<unknown>;
}
