import type { AnyActorRef, InspectionEvent } from 'xstate';
import type { Engine } from '../actors/engine.js';
import { kindOfKey, ticketKey, type ActorKind, type PastSnapshot, type TimelineEntry } from '../protocol/wire.js';
import { Ring } from './ring.js';
import { projectContext } from './views.js';

/** What the timeline needs from the engine: its inspection events, actor keys and run clock. */
export type InspectionSource = Pick<Engine, 'subscribeInspection' | 'keyOf' | 'elapsed'>;

export interface TimelineOptions {
  /** Entries kept per actor (default 200). */
  perActor?: number;
  /** Finished actors whose entries are kept, the most recently finished (default 50). */
  finishedActors?: number;
  /**
   * Actors kept in all (default 300): past it, the one whose last event is oldest goes, live or not
   * (a huge track of blocked tickets would otherwise keep one ring per ticket).
   */
  maxActors?: number;
}

interface Stored {
  entry: TimelineEntry;
  kind: ActorKind;
  valueJson: string;
  /** The snapshot's context as it was: contexts are immutable, so this costs a reference. Projected on request. */
  context: unknown;
}

type Listener = (entry: TimelineEntry) => void;

const timelines = new WeakMap<InspectionSource, Timeline>();

/**
 * The engine's timeline, started on first use: createSession asks for it before the engine starts,
 * so the run's first events are in it; the server then finds the same one.
 */
export function timelineOf(engine: InspectionSource, options?: TimelineOptions): Timeline {
  let timeline = timelines.get(engine);
  if (!timeline) {
    timeline = new Timeline(engine, options);
    timelines.set(engine, timeline);
  }
  return timeline;
}

/**
 * Every event the conductor, the tickets and the workers process, from XState's inspection API,
 * with the snapshot each left behind: a bounded ring per actor, and a bounded number of finished
 * actors, so memory stays flat however long the run.
 */
export class Timeline {
  readonly perActor: number;
  readonly finishedActors: number;
  readonly maxActors: number;
  readonly #source: InspectionSource;
  /** By actor key, the actor with the most recent event last. */
  readonly #rings = new Map<string, Ring<Stored>>();
  /** Finished actor keys, oldest finish first. */
  readonly #finished = new Set<string>();
  /** Who sent each event in flight: `@xstate.event` comes at send time, the snapshot after processing. */
  readonly #senders = new WeakMap<object, AnyActorRef | undefined>();
  readonly #listeners = new Set<Listener>();
  readonly #unsubscribe: () => void;
  #seq = 0;

  constructor(source: InspectionSource, options: TimelineOptions = {}) {
    this.#source = source;
    this.perActor = options.perActor ?? 200;
    this.finishedActors = options.finishedActors ?? 50;
    this.maxActors = Math.max(1, options.maxActors ?? 300);
    this.#unsubscribe = source.subscribeInspection((event) => this.#inspect(event));
  }

  /** Called with each new entry, and again (same seq) when a repeat updates it. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#unsubscribe();
    this.#listeners.clear();
  }

  /** Every entry kept, in the order the events were processed. */
  tail(): TimelineEntry[] {
    const entries: TimelineEntry[] = [];
    for (const ring of this.#rings.values()) for (const stored of ring.toArray()) entries.push(stored.entry);
    return entries.sort((a, b) => a.seq - b.seq);
  }

  entries(actor: string): TimelineEntry[] {
    return this.#rings.get(actor)?.toArray().map((stored) => stored.entry) ?? [];
  }

  /** The snapshot one entry left its actor in, with its context projected as views are; undefined once dropped. */
  snapshotAt(actor: string, seq: number): PastSnapshot | undefined {
    const ring = this.#rings.get(actor);
    if (!ring) return undefined;
    // Entries are in seq order: a binary search.
    let low = 0;
    let high = ring.size - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const stored = ring.at(middle)!;
      if (stored.entry.seq === seq) {
        const { entry } = stored;
        return { actor, seq, status: entry.status, value: entry.value, context: projectContext(stored.kind, stored.context) };
      }
      if (stored.entry.seq < seq) low = middle + 1;
      else high = middle - 1;
    }
    return undefined;
  }

  /** How much is kept, for tests and benches. */
  sizes(): { actors: number; finished: number; entries: number; largest: number } {
    let entries = 0;
    let largest = 0;
    for (const ring of this.#rings.values()) {
      entries += ring.size;
      largest = Math.max(largest, ring.size);
    }
    return { actors: this.#rings.size, finished: this.#finished.size, entries, largest };
  }

  #inspect(event: InspectionEvent): void {
    if (event.type === '@xstate.event') {
      if (typeof event.event === 'object' && event.event !== null) this.#senders.set(event.event, event.sourceRef as AnyActorRef | undefined);
      return;
    }
    if (event.type !== '@xstate.snapshot') return;
    const ref = event.actorRef as AnyActorRef;
    const actor = this.#source.keyOf(ref);
    const kind = actor === undefined ? undefined : kindOfKey(actor);
    if (actor === undefined || kind === undefined) return;
    const snapshot = event.snapshot as { status: string; value?: unknown; context?: unknown };
    const processed = event.event as { type: string; id?: unknown };
    const sender = this.#senders.get(processed);
    let source = this.#sourceOf(sender);
    // The engine keeps ticket.changed's `@xstate.event` to itself (it journals it): the event names its ticket.
    if (source.name === null && sender === undefined && processed.type === 'ticket.changed' && typeof processed.id === 'string') {
      source = { name: ticketKey(processed.id), io: false };
    }
    const value = snapshot.value ?? null;
    const valueJson = JSON.stringify(value);
    const at = this.#source.elapsed();

    const ring = this.#rings.get(actor) ?? new Ring<Stored>(this.perActor);
    this.#rings.delete(actor);
    this.#rings.set(actor, ring);
    const last = ring.last();
    let entry: TimelineEntry;
    // A stream from an invoked actor (the model's deltas) that leaves the state as it was is one entry.
    const repeat = source.io && last?.entry.event === processed.type && last.entry.source === source.name && last.entry.status === snapshot.status && last.valueJson === valueJson;
    if (last && repeat) {
      entry = { ...last.entry, at, repeat: (last.entry.repeat ?? 1) + 1 };
      ring.replaceLast({ entry, kind, valueJson, context: snapshot.context });
    } else {
      this.#seq += 1;
      entry = { seq: this.#seq, at, actor, source: source.name, event: processed.type, status: snapshot.status, value };
      ring.push({ entry, kind, valueJson, context: snapshot.context });
    }
    this.#track(actor, snapshot.status);
    for (const listener of this.#listeners) listener(entry);
  }

  /** Keeps the last `finishedActors` finished ones; a key that comes back (a retried ticket's new worker) is live again. */
  #track(actor: string, status: string): void {
    this.#finished.delete(actor);
    if (status !== 'active') this.#finished.add(actor);
    while (this.#finished.size > this.finishedActors) this.#drop(this.#finished.values().next().value as string);
    while (this.#rings.size > this.maxActors) this.#drop(this.#rings.keys().next().value as string);
  }

  #drop(actor: string): void {
    this.#finished.delete(actor);
    this.#rings.delete(actor);
  }

  #sourceOf(ref: AnyActorRef | undefined): { name: string | null; io: boolean } {
    if (!ref) return { name: null, io: false };
    const key = this.#source.keyOf(ref);
    if (key !== undefined) return { name: key, io: false };
    // An I/O actor (callModel, runTool): named by its parent and the logic it runs.
    const child = ref as AnyActorRef & { _parent?: AnyActorRef; src?: unknown };
    const parent = child._parent ? this.#source.keyOf(child._parent) : undefined;
    const name = typeof child.src === 'string' ? child.src : ref.id;
    return { name: parent ? `${parent} › ${name}` : name, io: true };
  }
}
