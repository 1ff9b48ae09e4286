import type { AnyActorRef } from 'xstate';
import type { Engine } from '../actors/engine.js';
import type { JournalEntry } from '../actors/journal.js';
import type { Chunked } from '../machines/chunked.js';
import type { TicketInfo } from '../machines/schedule.js';
import { conductorKey, parseKey, workerKey, type ActorView, type ServerMessage, type SessionInfo, type TimelineEntry } from '../protocol/wire.js';
import { markChangedTickets } from './changed-tickets.js';
import { ClientFeed, type Changes, type HubConnection } from './client-feed.js';
import { systemClock, type Clock } from './clock.js';
import type { ClientQueues, HubOptions } from './hub-options.js';
import { answerCall, refuseExcess, type CallContext } from './hub-calls.js';
import { MAX_MESSAGE_BYTES, parseClientMessage } from './inbound.js';
import { toJson, type Json } from './prepared-json.js';
import { redact, secretsOf } from './redact.js';
import { errorText } from '../protocol/error-text.js';
import { TestPaths } from './test-paths.js';
import { timelineOf, type Timeline } from './timeline.js';
import { allKeys, viewOf } from './views.js';

export type { HubConnection } from './client-feed.js';

export interface HubClient {
  /** Hands the hub one inbound frame; `bytes` is its size on the wire. */
  receive(text: string, bytes: number): void;
  disconnect(): void;
}

export type { ClientQueues, HubOptions } from './hub-options.js';


/**
 * The bus bridge: it watches the actor system through the engine's inspection events, coalesces
 * the views of the actors that changed, and sends each client one batch per interval at most.
 * Calls are answered in hub-calls.ts; commands go to the engine through Engine.command, which
 * refuses what the actor would not accept.
 */
export class Hub {
  readonly engine: Engine;
  readonly session: SessionInfo;
  readonly #interval: number;
  readonly #clock: Clock;
  readonly #maxMessageBytes: number;
  readonly #highWater: number;
  readonly #maxBatch: number;
  readonly #maxBacklog: number;
  readonly #backlogs: { journal: number; timeline: number };
  readonly #timeline: Timeline;
  readonly #testPaths: TestPaths;
  readonly #secrets: readonly string[];
  readonly #calls: CallContext;
  readonly #clients = new Set<ClientFeed>();
  readonly #unsubscribe: (() => void)[];
  #dirty = new Set<string>();
  #journal: Json<JournalEntry>[] = [];
  #timelineEntries = new Map<number, Json<TimelineEntry>>();
  #timer: unknown;
  #lastFlush = -Infinity;
  #tickets: Chunked<TicketInfo>;
  #flushes = 0;
  #closed = false;

  constructor(engine: Engine, session: SessionInfo, options: HubOptions = {}) {
    this.engine = engine;
    this.session = session;
    this.#interval = options.intervalMs ?? 33;
    this.#clock = options.clock ?? systemClock;
    this.#maxMessageBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    this.#highWater = options.highWaterBytes ?? 8 * 1024 * 1024;
    this.#maxBatch = options.maxBatchBytes ?? 16 * 1024 * 1024;
    this.#maxBacklog = options.maxBacklog ?? 256;
    this.#backlogs = { journal: options.journalBacklog ?? 1000, timeline: options.timelineBacklog ?? 2000 };
    this.#timeline = options.timeline ?? timelineOf(engine);
    this.#testPaths = options.testPaths ?? new TestPaths();
    this.#secrets = secretsOf(options.env ?? process.env);
    this.#calls = {
      engine,
      runId: session.run_id,
      knows: (id) => engine.knows(id),
      timeline: this.#timeline,
      testPaths: this.#testPaths,
      runs: options.runs,
      schedule: () => this.#schedule(),
      flushNow: () => this.flushNow(),
      error: (feed, error) => {
        feed.error(error);
        this.#schedule();
      },
    };
    this.#tickets = engine.conductor.getSnapshot().context.tickets;
    this.#unsubscribe = [
      engine.subscribeInspection((event) => {
        if (event.type !== '@xstate.snapshot') return;
        const key = engine.keyOf(event.actorRef as AnyActorRef);
        if (key !== undefined) this.#mark(key);
      }),
      engine.journal.subscribe((entry) => this.#record(entry)),
      this.#timeline.subscribe((entry) => this.#recordTimeline(entry)),
    ];
  }

  /** Batches sent so far (one flush may reach several clients). */
  get flushes(): number {
    return this.#flushes;
  }

  /** The inspection timeline this hub pushes. */
  get timeline(): Timeline {
    return this.#timeline;
  }

  /** The inspector's generated paths and their runs. */
  get testPaths(): TestPaths {
    return this.#testPaths;
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  /** What each client has queued now, for tests and benches. */
  clientQueues(): ClientQueues[] {
    return [...this.#clients].map((feed) => ({ ...feed.sizes(), paused: feed.paused }));
  }

  /** A new client: `hello` now, then the whole state in its first batch. */
  connect(connection: HubConnection): HubClient {
    const feed = new ClientFeed(connection);
    this.#clients.add(feed);
    this.#send(feed, { type: 'hello', session: this.session });
    this.#schedule();
    return {
      receive: (text, bytes) => this.#receive(feed, text, bytes),
      disconnect: () => {
        this.#clients.delete(feed);
      },
    };
  }

  close(): void {
    this.#closed = true;
    void this.#testPaths.close();
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#clients.clear();
  }

  /** Sends what is owed to every client now, whatever the interval (before their sockets close). */
  flushNow(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#flush();
  }

  #mark(key: string): void {
    if (this.#clients.size === 0) return;
    this.#dirty.add(key);
    // The ticket's view and its worker's change together (a new attempt, a pause).
    const parsed = parseKey(key);
    if (parsed?.kind === 'ticket') this.#dirty.add(workerKey(parsed.id));
    this.#schedule();
  }

  #record(entry: JournalEntry): void {
    // The plan of the run's request is its track now: every client starts again from a new hello.
    if (entry.kind === 'plan.approved') this.#replanned();
    // A client that connects later gets the journal tail instead.
    if (this.#clients.size === 0) return;
    this.#journal.push(toJson(entry));
    // Usage lives in the conductor's view; a finished model turn changes it.
    if (entry.kind === 'model.turn' || entry.kind === 'budget.raised') this.#mark(conductorKey);
    this.#schedule();
  }

  #recordTimeline(entry: TimelineEntry): void {
    if (this.#clients.size === 0) return;
    this.#timelineEntries.set(entry.seq, toJson(entry));
    this.#schedule();
  }

  #replanned(): void {
    const track = this.engine.track();
    this.session.track = {
      id: track.id,
      title: track.title,
      description: track.description,
      tickets: track.tickets.map(({ id, target_file, prompt, worker_archetype, dependencies }) => ({ id, target_file, prompt, worker_archetype, dependencies: [...dependencies] })),
    };
    this.#tickets = this.engine.conductor.getSnapshot().context.tickets;
    for (const feed of this.#clients) {
      feed.restart();
      this.#send(feed, { type: 'hello', session: this.session });
    }
    this.#schedule();
  }

  #receive(feed: ClientFeed, text: string, bytes: number): void {
    if (this.#closed || !this.#clients.has(feed)) return;
    const inbound = parseClientMessage(text, bytes, this.#maxMessageBytes);
    if (inbound.ok) {
      const { message } = inbound;
      feed.begin(message.type);
      if (feed.backlog > this.#maxBacklog * 4) feed.reply(message.type, refuseExcess(message.id, feed.backlog));
      else answerCall(message, feed, this.#calls);
    } else if (inbound.call) {
      // A call too broken to run is still answered under its id.
      feed.begin(inbound.call.type);
      feed.reply(inbound.call.type, { id: inbound.call.id, ok: false, error: inbound.error });
    } else {
      // A message that is no call gets an error; that queue is bounded too.
      feed.error(inbound.error);
    }
    // Backpressure: a client that calls faster than its replies go out is not read until they have.
    if (!feed.paused && feed.backlog >= this.#maxBacklog && feed.connection.pause) {
      feed.paused = true;
      feed.connection.pause();
    }
    this.#schedule();
  }

  #send(feed: ClientFeed, message: ServerMessage): void {
    this.#write(feed, JSON.stringify(message));
  }

  #write(feed: ClientFeed, data: string): void {
    try {
      feed.connection.send(redact(data, this.#secrets));
    } catch {
      // The socket is closing; its close handler disconnects it.
    }
  }

  /** At most one timer: now if the last batch is an interval old, else when it will be. */
  #schedule(atLeast = 0): void {
    if (this.#timer !== undefined || this.#closed) return;
    const wait = Math.max(atLeast, this.#lastFlush + this.#interval - this.#clock.now());
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      // Timers may fire a little early by the clock's reckoning; the interval is a promise.
      if (this.#clock.now() < this.#lastFlush + this.#interval) this.#schedule();
      else this.#flush();
    }, wait);
  }

  #flush(): void {
    if (this.#closed) return;
    const dirty = this.#dirty;
    const changes: Changes = { keys: dirty, journal: this.#journal, timeline: this.#timelineEntries };
    this.#dirty = new Set();
    this.#journal = [];
    this.#timelineEntries = new Map();
    if (dirty.has(conductorKey)) {
      // Tickets without an actor take their view from the conductor's record, so follow its changes.
      const tickets = this.engine.conductor.getSnapshot().context.tickets;
      markChangedTickets(this.#tickets, tickets, this.session.track.tickets, dirty);
      this.#tickets = tickets;
    }
    const whole = (): Changes => ({
      keys: allKeys(this.engine),
      journal: this.engine.journal.tail().map((entry) => toJson(entry)),
      timeline: new Map(this.#timeline.tail().map((entry) => [entry.seq, toJson(entry)])),
    });
    // Each view is serialized once per flush, however many clients it goes to.
    const views = new Map<string, Json<ActorView> | null>();
    const viewJson = (key: string): Json<ActorView> | null => {
      let json = views.get(key);
      if (json === undefined) {
        const view = viewOf(this.engine, key);
        json = view ? toJson(view) : null;
        views.set(key, json);
      }
      return json;
    };
    let again = false;
    let sent = false;
    for (const feed of this.#clients) {
      try {
        feed.catchUp(changes, whole, this.#backlogs);
        if (feed.idle) continue;
        if (feed.connection.bufferedAmount() > this.#highWater) {
          again = true;
          continue;
        }
        for (const error of feed.takeErrors()) this.#send(feed, { type: 'error', error });
        sent = true;
        if (!feed.idle) {
          // Written after the feed is emptied: a call the connection hands back while this batch is
          // being sent gets its reply in the next batch instead of being dropped. What did not fit
          // in this batch goes in the next one.
          const { batch, more } = feed.take(viewJson, this.#maxBatch);
          this.#write(feed, batch);
          if (more) again = true;
        }
        if (feed.paused && feed.backlog < this.#maxBacklog) {
          feed.paused = false;
          feed.connection.resume?.();
        }
      } catch (error) {
        // A Clutch bug building this client's batch: said to it, and the others and the process go on.
        this.#send(feed, { type: 'error', error: `internal error: a batch could not be sent: ${errorText(error)}` });
      }
    }
    if (sent) {
      this.#flushes += 1;
      this.#lastFlush = this.#clock.now();
    }
    // A slow client keeps its coalesced views until its socket drains, and a batch that was full
    // leaves the rest for the next: look again an interval later.
    if (again) this.#schedule(this.#interval);
  }
}
