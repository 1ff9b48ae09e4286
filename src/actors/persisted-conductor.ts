import type { AnyActorRef, Snapshot } from 'xstate';

const EMPTY = Object.freeze({});

interface Logic {
  getPersistedSnapshot(snapshot: unknown, options?: unknown): Record<string, unknown>;
}

interface ChildJson {
  snapshot: unknown;
  src: unknown;
  systemId: unknown;
  syncSnapshot: unknown;
}

interface Entry {
  /** The persisted snapshot last built for this actor snapshot. */
  persisted: Record<string, unknown>;
  /** Its children as they were persisted, to tell whether one has changed since. */
  children: Record<string, ChildJson>;
}

const logicOf = (actor: AnyActorRef): Logic => (actor as unknown as { logic: Logic }).logic;
const childrenOf = (snapshot: unknown): Record<string, AnyActorRef> | undefined =>
  (snapshot as { children?: Record<string, AnyActorRef> }).children;
const isMachineSnapshot = (snapshot: unknown): boolean => typeof snapshot === 'object' && snapshot !== null && 'machine' in snapshot && '_nodes' in snapshot;

/**
 * `conductor.getPersistedSnapshot()`, built so that a commit costs what changed since the last one.
 *
 * - XState visits every object of the conductor's context looking for actor references to replace,
 *   and at 10k tickets that context holds some 60k objects. The conductor's context never holds an
 *   actor reference (its children are spawned with spawnChild, never assigned), so it goes in as it is.
 * - Snapshots are immutable: an actor whose snapshot is the same object as at the last commit, and
 *   whose children are unchanged too, persists as the very object it did then. Only the actors that
 *   moved (a handful of the live tickets and workers) are persisted again.
 * - Each ticket's persisted snapshot is marked (`parts`) as a part of its own for the store's
 *   encoder, so an unchanged ticket costs a reference, not a walk and a write.
 *
 * A test checks that the result equals getPersistedSnapshot() wherever a run can be.
 */
export class ConductorPersister {
  readonly #entries = new WeakMap<object, Entry>();
  readonly #leaves = new WeakMap<object, unknown>();
  /** Persisted ticket snapshots: the store writes each as a part, once. */
  readonly parts = new WeakSet<object>();

  persist(conductor: AnyActorRef): Snapshot<unknown> {
    const snapshot = conductor.getSnapshot() as { context: unknown };
    const persisted = this.#machine(conductor, { ...snapshot, context: EMPTY }, snapshot, true);
    return { ...persisted, context: snapshot.context } as unknown as Snapshot<unknown>;
  }

  #actor(actor: AnyActorRef, top: boolean): unknown {
    const snapshot = actor.getSnapshot() as object;
    if (isMachineSnapshot(snapshot)) return this.#machine(actor, snapshot, snapshot, top);
    // Promise and callback actors: their logic persists a snapshot that changes with it.
    let persisted = this.#leaves.get(snapshot);
    if (persisted === undefined) {
      persisted = actor.getPersistedSnapshot();
      this.#leaves.set(snapshot, persisted);
    }
    return persisted;
  }

  /** `given` is what the logic persists (the conductor's with an empty context); `key` its identity. */
  #machine(actor: AnyActorRef, given: object, key: object, top: boolean): Record<string, unknown> {
    let entry = this.#entries.get(key);
    const children: Record<string, ChildJson> = {};
    let changed = entry === undefined;
    const live = childrenOf(key) ?? {};
    for (const id in live) {
      const child = live[id]!;
      const json = this.#actor(child, false);
      const fields = child as unknown as { src: unknown; systemId: unknown; _syncSnapshot: unknown };
      const before = entry?.children[id];
      if (before !== undefined && before.snapshot === json && before.syncSnapshot === fields._syncSnapshot) children[id] = before;
      else {
        changed = true;
        children[id] = { snapshot: json, src: fields.src, systemId: fields.systemId, syncSnapshot: fields._syncSnapshot };
        if (top && typeof json === 'object' && json !== null) this.parts.add(json);
      }
    }
    if (entry !== undefined && Object.keys(entry.children).length !== Object.keys(children).length) changed = true;
    if (!changed) return entry!.persisted;
    const shell = entry?.persisted ?? logicOf(actor).getPersistedSnapshot({ ...given, children: EMPTY });
    entry = { persisted: { ...shell, children }, children };
    this.#entries.set(key, entry);
    return entry.persisted;
  }
}

/** A one-off `getPersistedSnapshot()` of the conductor (no cache kept between calls). */
export function persistedConductor(conductor: AnyActorRef): Snapshot<unknown> {
  return new ConductorPersister().persist(conductor);
}
