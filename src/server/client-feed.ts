import type { ActorView, BatchMessage, CallName, Reply, TestRunProgress, TimelineEntry } from '../protocol/wire.js';
import { preparedJson, toJson, type Json, type Prepared } from './prepared-json.js';

/** One client's socket as the hub sees it. */
export interface HubConnection {
  /** Sends one text frame. */
  send(data: string): void;
  /** Bytes queued but not yet written out. */
  bufferedAmount(): number;
  /**
   * Stops reading the client's frames until resume(): the hub's backpressure on a client that
   * calls faster than its replies go out. A connection that cannot pause refuses the excess instead.
   */
  pause?(): void;
  resume?(): void;
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

/** Error messages queued for one client; past it they are counted, and the count is sent instead. */
export const MAX_QUEUED_ERRORS = 32;
/** A reply bigger than this is replaced by a refusal that says so (the batch budget is larger). */
export const MAX_REPLY_BYTES = 8 * 1024 * 1024;

/**
 * What the hub owes one client: the actors that changed since its last batch, the journal and
 * timeline entries it has not seen, the replies and progress of its calls, and the errors of
 * messages too broken to reply to. A client that lags behind keeps its keys coalesced, and bounded
 * tails of the rest, until its socket drains. Every queue is bounded: by the actors, by the
 * backlogs, by the calls in flight (which the hub caps), and by MAX_QUEUED_ERRORS.
 */
export class ClientFeed {
  readonly connection: HubConnection;
  /** The id of this client's test path run in progress: one at a time. */
  testRun: string | null = null;
  /** Whether the hub stopped reading this client's frames (see HubConnection.pause). */
  paused = false;
  #seq = 0;
  /** Sends the whole state (every view, the journal and timeline tails) in its next batch. */
  #fresh = true;
  #keys = new Set<string>();
  #journal: Json<unknown>[] = [];
  /** By seq: a repeated event replaces its entry. */
  #timeline = new Map<number, Json<TimelineEntry>>();
  #progress: Json<TestRunProgress>[] = [];
  #replies: { type: CallName; json: Json<Reply> }[] = [];
  #replyBytes = 0;
  /** Calls taken and not answered on the wire yet (in flight, or their reply queued), per type. */
  #pending = new Map<CallName, number>();
  #pendingTotal = 0;
  #errors: string[] = [];
  #errorsShed = 0;

  constructor(connection: HubConnection) {
    this.connection = connection;
  }

  /** After a new hello (the run's track changed: a plan was approved): the whole state again, from batch 1. */
  restart(): void {
    this.#fresh = true;
    this.#seq = 0;
  }

  /** A call was taken: it counts against the bounds until its reply is sent. */
  begin(type: CallName): void {
    this.#pending.set(type, this.pending(type) + 1);
    this.#pendingTotal += 1;
  }

  /** Queues the reply of a call begun; one too big to send goes as a refusal that says so. */
  reply(type: CallName, reply: Reply): void {
    let json = toJson(reply);
    if (json.length > MAX_REPLY_BYTES) {
      json = toJson<Reply>({ id: reply.id, ok: false, error: `the answer is too large to send (${json.length} bytes; the limit is ${MAX_REPLY_BYTES})` });
    }
    this.#replies.push({ type, json });
    this.#replyBytes += json.length;
  }

  progress(event: TestRunProgress): void {
    this.#progress.push(toJson(event));
  }

  /** An error that is no reply's (a message without an id): sent before the next batch. */
  error(text: string): void {
    if (this.#errors.length < MAX_QUEUED_ERRORS) this.#errors.push(text);
    else this.#errorsShed += 1;
  }

  /** Calls of this type taken and not answered on the wire yet. */
  pending(type: CallName): number {
    return this.#pending.get(type) ?? 0;
  }

  /** Calls of every type taken and not answered on the wire yet, and errors not sent. */
  get backlog(): number {
    return this.#pendingTotal + this.#errors.length;
  }

  /** How much is queued, for tests and benches. */
  sizes(): { keys: number; journal: number; timeline: number; progress: number; replies: number; replyBytes: number; pending: number; errors: number } {
    return {
      keys: this.#keys.size,
      journal: this.#journal.length,
      timeline: this.#timeline.size,
      progress: this.#progress.length,
      replies: this.#replies.length,
      replyBytes: this.#replyBytes,
      pending: this.#pendingTotal,
      errors: this.#errors.length,
    };
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
    return this.#keys.size + this.#journal.length + this.#timeline.size + this.#progress.length + this.#replies.length + this.#errors.length + this.#errorsShed === 0;
  }

  /** The error messages owed, in order, then one that counts those past MAX_QUEUED_ERRORS. */
  takeErrors(): string[] {
    const errors = this.#errors;
    if (this.#errorsShed > 0) errors.push(`${this.#errorsShed} more messages were refused as above; send one message at a time and read the replies`);
    this.#errors = [];
    this.#errorsShed = 0;
    return errors;
  }

  /**
   * Empties the queues into the next batch, up to about `maxBytes`: what does not fit stays queued
   * for the next one, in order (views, removed keys, journal, timeline, progress, replies), so a
   * reply never overtakes the views its call changed. The first item always goes, however big, so
   * that a batch always makes progress. `viewJson` gives each key's view, serialized once per flush
   * for every client, or null when that actor has none any more.
   */
  take(viewJson: (key: string) => Json<ActorView> | null, maxBytes = Infinity): { batch: Json<BatchMessage>; more: boolean } {
    let size = 0;
    let full = false;
    const fits = (json: string): boolean => {
      if (full) return false;
      if (size > 0 && size + json.length > maxBytes) {
        full = true;
        return false;
      }
      size += json.length + 1;
      return true;
    };
    const actors: Json<ActorView>[] = [];
    const removed: Json<string>[] = [];
    for (const key of this.#keys) {
      const json = viewJson(key);
      const item = json ?? toJson(key);
      if (!fits(item)) break;
      this.#keys.delete(key);
      if (json === null) removed.push(toJson(key));
      else actors.push(json);
    }
    const journal = this.#takeFrom(this.#journal, fits);
    const timeline: Json<TimelineEntry>[] = [];
    for (const [seq, entry] of this.#timeline) {
      if (!fits(entry)) break;
      this.#timeline.delete(seq);
      timeline.push(entry);
    }
    const progress = this.#takeFrom(this.#progress, fits);
    let replyCount = 0;
    while (replyCount < this.#replies.length && fits(this.#replies[replyCount]!.json)) replyCount += 1;
    const replies = this.#replies.splice(0, replyCount);
    for (const { type, json } of replies) {
      this.#pending.set(type, this.pending(type) - 1);
      this.#pendingTotal -= 1;
      this.#replyBytes -= json.length;
    }
    this.#seq += 1;
    const batch: Prepared<BatchMessage> = {
      type: 'batch',
      seq: this.#seq,
      actors,
      removed,
      journal,
      timeline,
      test_runs: progress,
      replies: replies.map((reply) => reply.json),
    };
    return { batch: preparedJson<BatchMessage>(batch), more: full };
  }

  #takeFrom<T extends string>(queue: T[], fits: (json: string) => boolean): T[] {
    let count = 0;
    while (count < queue.length && fits(queue[count]!)) count += 1;
    return queue.splice(0, count);
  }
}
