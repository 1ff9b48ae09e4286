import type { ActorView, BatchMessage, CallName, Reply, TestRunProgress, TimelineEntry } from '../protocol/wire.js';
import { preparedJson, toJson, type Json, type Prepared } from './prepared-json.js';

/** One client's socket as the hub sees it. */
export interface HubConnection {
  /** Sends one text frame. */
  send(data: string): void;
  /** Bytes queued but not yet written out. */
  bufferedAmount(): number;
}

/** What changed for every client since the last flush, serialized once for all of them. */
export interface Changes {
  keys: Iterable<string>;
  journal: readonly Json<unknown>[];
  timeline: ReadonlyMap<number, Json<TimelineEntry>>;
}

/** How much a client that lags behind is kept of each stream; older entries are dropped. */
export interface Backlogs {
  journal: number;
  timeline: number;
}

/**
 * What the hub owes one client: the actors that changed since its last batch, the journal and
 * timeline entries it has not seen, and the replies and progress of its calls. A client that lags
 * behind keeps its keys coalesced, and bounded tails of the rest, until its socket drains.
 */
export class ClientFeed {
  readonly connection: HubConnection;
  /** The id of this client's test path run in progress: one at a time. */
  testRun: string | null = null;
  #seq = 0;
  /** Sends the whole state (every view, the journal and timeline tails) in its next batch. */
  #fresh = true;
  #keys = new Set<string>();
  #journal: Json<unknown>[] = [];
  /** By seq: a repeated event replaces its entry. */
  #timeline = new Map<number, Json<TimelineEntry>>();
  #progress: Json<TestRunProgress>[] = [];
  #replies: Json<Reply>[] = [];
  /** Replies queued per call type, to bound the calls whose answers are big. */
  #owed = new Map<CallName, number>();

  constructor(connection: HubConnection) {
    this.connection = connection;
  }

  reply(type: CallName, reply: Reply): void {
    this.#replies.push(toJson(reply));
    this.#owed.set(type, this.owed(type) + 1);
  }

  progress(event: TestRunProgress): void {
    this.#progress.push(toJson(event));
  }

  /** Replies to calls of this type queued for the next batch. */
  owed(type: CallName): number {
    return this.#owed.get(type) ?? 0;
  }

  /** Takes in one flush's changes; a fresh client takes the whole state instead. */
  catchUp(changes: Changes, whole: () => Changes, backlogs: Backlogs): void {
    if (this.#fresh) {
      this.#fresh = false;
      const all = whole();
      this.#keys = new Set(all.keys);
      this.#journal = [...all.journal];
      this.#timeline = new Map(all.timeline);
      return;
    }
    for (const key of changes.keys) this.#keys.add(key);
    this.#journal.push(...changes.journal);
    if (this.#journal.length > backlogs.journal) this.#journal.splice(0, this.#journal.length - backlogs.journal);
    for (const [seq, entry] of changes.timeline) this.#timeline.set(seq, entry);
    for (const seq of this.#timeline.keys()) {
      if (this.#timeline.size <= backlogs.timeline) break;
      this.#timeline.delete(seq);
    }
  }

  /** Nothing to send. */
  get idle(): boolean {
    return this.#keys.size + this.#journal.length + this.#timeline.size + this.#progress.length + this.#replies.length === 0;
  }

  /**
   * Empties the queues into the next batch. `viewJson` gives each key's view, serialized once per
   * flush for every client, or null when that actor has none any more.
   */
  take(viewJson: (key: string) => Json<ActorView> | null): Json<BatchMessage> {
    const actors: Json<ActorView>[] = [];
    const removed: Json<string>[] = [];
    for (const key of this.#keys) {
      const json = viewJson(key);
      if (json === null) removed.push(toJson(key));
      else actors.push(json);
    }
    this.#seq += 1;
    const batch: Prepared<BatchMessage> = {
      type: 'batch',
      seq: this.#seq,
      actors,
      removed,
      journal: this.#journal,
      timeline: [...this.#timeline.values()],
      test_runs: this.#progress,
      replies: this.#replies,
    };
    this.#keys = new Set();
    this.#journal = [];
    this.#timeline = new Map();
    this.#progress = [];
    this.#replies = [];
    this.#owed = new Map();
    return preparedJson<BatchMessage>(batch);
  }
}
