import type { TimelineEntry } from '../protocol/wire.js';
import { RunClock } from './run-clock.js';
import { Store } from './store.js';

/**
 * The inspection timeline as the server pushed it: one store of entries per actor key, oldest
 * first, bounded like the server's own (a repeat updates its entry, same seq).
 */
export class TimelineLog {
  readonly perActor: number;
  readonly maxActors: number;
  /** Stores stay once made (a component may hold one); only their entries are dropped. */
  readonly #refs = new Map<string, Store<readonly TimelineEntry[]>>();
  /** Actors with entries, the most recently updated last. */
  readonly #recent = new Set<string>();
  /** Replaced on every change, for views over all actors at once (an object: @xstate/react reads snapshots as objects). */
  readonly version = new Store<{ changes: number }>({ changes: 0 });
  /** The engine's clock as its entries show it (they come from the engine serving now). */
  readonly clock = new RunClock();
  #replaceNext = false;

  constructor(options: { perActor?: number; maxActors?: number } = {}) {
    this.perActor = options.perActor ?? 200;
    this.maxActors = options.maxActors ?? 300;
  }

  ref(actor: string): Store<readonly TimelineEntry[]> {
    let ref = this.#refs.get(actor);
    if (!ref) {
      ref = new Store<readonly TimelineEntry[]>([]);
      this.#refs.set(actor, ref);
    }
    return ref;
  }

  entries(actor: string): readonly TimelineEntry[] {
    return this.#refs.get(actor)?.getSnapshot() ?? [];
  }

  /** Every actor's entries merged, in the order the events were processed. */
  all(): TimelineEntry[] {
    return [...this.#refs.values()].flatMap((ref) => ref.getSnapshot()).sort((a, b) => a.seq - b.seq);
  }

  /** After a (re)connection the first batch carries the server's whole tail: it replaces what is here. */
  expectFullBatch(): void {
    this.#replaceNext = true;
  }

  apply(entries: readonly TimelineEntry[] | undefined, local: number = Date.now()): void {
    const replace = this.#replaceNext;
    this.#replaceNext = false;
    if (replace) this.clock.reset();
    if (!entries) return;
    for (const entry of entries) this.clock.observe(entry.at, local);
    if (!replace && entries.length === 0) return;
    const byActor = new Map<string, TimelineEntry[]>();
    for (const entry of entries) {
      let list = byActor.get(entry.actor);
      if (!list) {
        list = replace ? [] : [...this.entries(entry.actor)];
        byActor.set(entry.actor, list);
      }
      const last = list.at(-1);
      if (last && last.seq === entry.seq) list[list.length - 1] = entry;
      else if (!last || last.seq < entry.seq) list.push(entry);
      else {
        const index = list.findIndex((kept) => kept.seq >= entry.seq);
        if (list[index]?.seq === entry.seq) list[index] = entry;
        else list.splice(index, 0, entry);
      }
    }
    if (replace) {
      for (const [actor, ref] of this.#refs) if (!byActor.has(actor)) ref.set([]);
      this.#recent.clear();
    }
    for (const [actor, list] of byActor) {
      this.ref(actor).set(list.length > this.perActor ? list.slice(list.length - this.perActor) : list);
      this.#recent.delete(actor);
      this.#recent.add(actor);
    }
    // The actor quiet the longest goes first.
    for (const actor of this.#recent) {
      if (this.#recent.size <= this.maxActors) break;
      this.#recent.delete(actor);
      this.#refs.get(actor)?.set([]);
    }
    this.version.set({ changes: this.version.getSnapshot().changes + 1 });
  }
}
