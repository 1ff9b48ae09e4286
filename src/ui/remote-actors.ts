import type { ActorView } from '../protocol/wire.js';
import { Store } from './store.js';

/** What a component reads for one actor key: its latest view, or null while it has none. */
export interface RemoteSnapshot<Context = unknown> {
  key: string;
  view: ActorView<Context> | null;
}

/** The actor views the server pushed, one store per actor key ('conductor', 'ticket:T1', ...). */
export class RemoteActors {
  readonly #refs = new Map<string, Store<RemoteSnapshot>>();
  /** The keys that currently have a view, sorted, for lists over every worker (the inbox). */
  readonly keys = new Store<readonly string[]>([]);
  #stale: Set<string> | null = null;

  /** The store of one key; it exists before its first view arrives, so components can wait on it. */
  ref<Context = unknown>(key: string): Store<RemoteSnapshot<Context>> {
    let ref = this.#refs.get(key);
    if (!ref) {
      ref = new Store<RemoteSnapshot>({ key, view: null });
      this.#refs.set(key, ref);
    }
    return ref as Store<RemoteSnapshot<Context>>;
  }

  view<Context = unknown>(key: string): ActorView<Context> | null {
    return this.ref<Context>(key).getSnapshot().view;
  }

  /**
   * After a (re)connection the server sends everything again. Views it no longer sends in the
   * first batch are left over from before (a restarted server), and go.
   */
  expectFullBatch(): void {
    this.#stale = new Set(this.keys.getSnapshot());
  }

  apply(actors: readonly ActorView[], removed: readonly string[]): void {
    const stale = this.#stale;
    this.#stale = null;
    for (const view of actors) {
      stale?.delete(view.key);
      this.ref(view.key).set({ key: view.key, view });
    }
    const gone = [...removed, ...(stale ?? [])];
    for (const key of gone) this.#refs.get(key)?.set({ key, view: null });
    const present = [...this.#refs.entries()].filter(([, ref]) => ref.getSnapshot().view !== null).map(([key]) => key);
    present.sort();
    const before = this.keys.getSnapshot();
    if (present.length !== before.length || present.some((key, index) => key !== before[index])) this.keys.set(present);
  }
}
