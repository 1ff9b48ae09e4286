import type { AnyActorRef } from 'xstate';
import type { Engine } from '../actors/engine.js';
import type { JournalEntry } from '../actors/journal.js';
import type { Chunked } from '../machines/chunked.js';
import type { TicketInfo } from '../machines/schedule.js';
import {
  commandKey,
  type ClientMessage,
  type CommandReply,
  type RunsReply,
  type ServerMessage,
  type SessionInfo,
  type SnapshotAtMessage,
  type SnapshotReply,
  type TestPathRunMessage,
  type TestPathsReply,
  type TestRunEvent,
  type TimelineEntry,
} from '../protocol/wire.js';
import { systemClock, type Clock } from './clock.js';
import { MAX_MESSAGE_BYTES, parseClientMessage } from './inbound.js';
import { redact, secretsOf } from './redact.js';
import { listRuns, openRun, type RunHost } from './run-host.js';
import { TestPaths } from './test-paths.js';
import { timelineOf, type Timeline } from './timeline.js';
import { markChangedTickets } from './changed-tickets.js';
import { allKeys, conductorKey, viewOf, workerKey } from './views.js';

/** Past snapshots asked for and not sent yet, per client; more are refused. */
const MAX_PENDING_SNAPSHOTS = 32;

/** One client's socket as the hub sees it. */
export interface HubConnection {
  /** Sends one text frame. */
  send(data: string): void;
  /** Bytes queued but not yet written out. */
  bufferedAmount(): number;
}

export interface HubClient {
  /** Hands the hub one inbound frame; `bytes` is its size on the wire. */
  receive(text: string, bytes: number): void;
  disconnect(): void;
}

export interface HubOptions {
  /** Shortest time between two batches, in milliseconds (default 33: about 30 messages a second). */
  intervalMs?: number;
  clock?: Clock;
  maxMessageBytes?: number;
  /** A client with more than this many bytes unsent is skipped until it drains (default 8 MiB). */
  highWaterBytes?: number;
  /** Journal entries kept for a client that lags behind; older ones are dropped (default 1000). */
  journalBacklog?: number;
  /** Whose secret values never leave in a message (process.env by default). */
  env?: Record<string, string | undefined>;
  /** The inspection timeline to push (the engine's own, timelineOf(engine), by default). */
  timeline?: Timeline;
  /** Timeline entries kept for a client that lags behind; older ones are dropped (default 2000). */
  timelineBacklog?: number;
  /** The inspector's test paths (a new TestPaths, whose thread starts on first use, by default). */
  testPaths?: TestPaths;
  /** The run store's runs, and the switch to another one; without it `runs` and `open_run` are refused. */
  runs?: RunHost;
}

interface ClientState {
  connection: HubConnection;
  seq: number;
  /** Sends the whole state (every view and the journal tail) in its next batch. */
  fresh: boolean;
  keys: Set<string>;
  /** Journal entries, serialized. */
  journal: string[];
  replies: CommandReply[];
  /** Timeline entries by seq, serialized: a repeat replaces its entry. */
  timeline: Map<number, string>;
  snapshots: SnapshotReply[];
  testPaths: TestPathsReply[];
  testRuns: TestRunEvent[];
  runs: RunsReply[];
  /** The id of this client's test path run in progress: one at a time. */
  running: string | null;
}

/**
 * The bus bridge: it watches the actor system through the engine's inspection events, coalesces
 * the views of the actors that changed, and sends each client one batch per interval at most.
 * Commands go to the engine through Engine.command, which refuses what the actor would not accept.
 */
export class Hub {
  readonly engine: Engine;
  readonly session: SessionInfo;
  readonly #interval: number;
  readonly #clock: Clock;
  readonly #maxMessageBytes: number;
  readonly #highWater: number;
  readonly #backlog: number;
  readonly #timelineBacklog: number;
  readonly #timeline: Timeline;
  readonly #testPaths: TestPaths;
  readonly #secrets: readonly string[];
  readonly #runs: RunHost | undefined;
  readonly #clients = new Set<ClientState>();
  readonly #ticketIds: ReadonlySet<string>;
  readonly #unsubscribe: (() => void)[];
  #dirty = new Set<string>();
  #journal: string[] = [];
  #timelineEntries = new Map<number, string>();
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
    this.#backlog = options.journalBacklog ?? 1000;
    this.#timelineBacklog = options.timelineBacklog ?? 2000;
    this.#timeline = options.timeline ?? timelineOf(engine);
    this.#testPaths = options.testPaths ?? new TestPaths();
    this.#secrets = secretsOf(options.env ?? process.env);
    this.#runs = options.runs;
    this.#tickets = engine.conductor.getSnapshot().context.tickets;
    this.#ticketIds = new Set(session.track.tickets.map((ticket) => ticket.id));
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

  /** A new client: `hello` now, then the whole state in its first batch. */
  connect(connection: HubConnection): HubClient {
    const client: ClientState = { connection, seq: 0, fresh: true, keys: new Set(), journal: [], replies: [], timeline: new Map(), snapshots: [], testPaths: [], testRuns: [], runs: [], running: null };
    this.#clients.add(client);
    this.#send(client, { type: 'hello', session: this.session });
    this.#schedule();
    return {
      receive: (text, bytes) => this.#receive(client, text, bytes),
      disconnect: () => {
        this.#clients.delete(client);
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

  #mark(key: string): void {
    if (this.#clients.size === 0) return;
    this.#dirty.add(key);
    // The ticket's view and its worker's change together (a new attempt, a pause).
    if (key.startsWith('ticket:')) this.#dirty.add(workerKey(key.slice('ticket:'.length)));
    this.#schedule();
  }

  #record(entry: JournalEntry): void {
    // A client that connects later gets the journal tail instead.
    if (this.#clients.size === 0) return;
    this.#journal.push(JSON.stringify(entry));
    // Usage lives in the conductor's view; a finished model turn changes it.
    if (entry.kind === 'model.turn') this.#mark(conductorKey);
    this.#schedule();
  }

  #recordTimeline(entry: TimelineEntry): void {
    if (this.#clients.size === 0) return;
    this.#timelineEntries.set(entry.seq, JSON.stringify(entry));
    this.#schedule();
  }

  #receive(client: ClientState, text: string, bytes: number): void {
    if (this.#closed || !this.#clients.has(client)) return;
    const inbound = parseClientMessage(text, bytes, this.#maxMessageBytes);
    if (!inbound.ok) {
      if (inbound.id !== undefined) this.#reply(client, { id: inbound.id, ok: false, error: inbound.error });
      else this.#send(client, { type: 'error', error: inbound.error });
      return;
    }
    if (inbound.message.type === 'snapshot_at') {
      // Answers wait for the next batch; a client that asks faster than it reads gets refusals, not memory.
      const { id } = inbound.message;
      client.snapshots.push(
        client.snapshots.length < MAX_PENDING_SNAPSHOTS ? this.#snapshotAt(inbound.message) : { id, ok: false, error: 'too many snapshot requests at once' },
      );
      this.#schedule();
      return;
    }
    if (inbound.message.type === 'test_paths') {
      const { id, machine } = inbound.message;
      // Generated off the event loop; the answer goes out in whichever batch follows it.
      void this.#testPaths.list(machine).then((list) => {
        client.testPaths.push(list.ok ? { id, ok: true, machine, paths: list.paths, candidates: list.candidates } : { id, ok: false, machine, error: list.error });
        this.#schedule();
      });
      return;
    }
    if (inbound.message.type === 'test_path_run') {
      this.#runTestPath(client, inbound.message);
      return;
    }
    if (inbound.message.type === 'runs') {
      client.runs.push(listRuns(this.#runs, inbound.message.id, this.session.run_id));
      this.#schedule();
      return;
    }
    if (inbound.message.type === 'open_run') {
      // The reply goes out before the switch: the switch closes this client's socket.
      openRun(this.#runs, inbound.message, this.session.run_id, {
        reply: (reply) => this.#reply(client, reply),
        beforeSwitch: () => this.flushNow(),
      });
      return;
    }
    this.#reply(client, this.#command(inbound.message));
  }

  #runTestPath(client: ClientState, { id, machine, path }: TestPathRunMessage): void {
    if (client.running !== null) {
      client.testRuns.push({ id, kind: 'refused', error: `a test path run (${client.running}) is in progress; wait for it to finish` });
      this.#schedule();
      return;
    }
    client.running = id;
    // Steps stream through the batches, so a fast run still sends at most one message an interval.
    this.#testPaths.run(machine, path, (event) => {
      if (event.kind === 'finished' || event.kind === 'refused') client.running = null;
      client.testRuns.push({ id, ...event } as TestRunEvent);
      this.#schedule();
    });
  }

  /** Sends what is owed to every client now, whatever the interval (before their sockets close). */
  flushNow(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#flush();
  }

  #snapshotAt({ id, actor, seq }: SnapshotAtMessage): SnapshotReply {
    const snapshot = this.#timeline.snapshotAt(actor, seq);
    return snapshot ? { id, ok: true, snapshot } : { id, ok: false, error: `the snapshot after event ${seq} of ${actor} is no longer kept` };
  }

  #command({ id, target, command }: ClientMessage): CommandReply {
    const name = target.kind === 'conductor' ? 'conductor' : `${target.kind}:${target.id}`;
    if (target.kind !== 'conductor' && !this.#ticketIds.has(target.id)) {
      return { id, ok: false, error: `there is no ticket ${target.id} in this track` };
    }
    try {
      // True only once the command is committed to the run store: only then is it acknowledged.
      const accepted = this.engine.command(target, command, { requestId: id });
      return accepted ? { id, ok: true } : { id, ok: false, error: `${name} does not accept ${commandKey(command)} now` };
    } catch (error) {
      // A throw here is a Clutch bug; the connection and the engine go on.
      return { id, ok: false, error: `internal error: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  #reply(client: ClientState, reply: CommandReply): void {
    client.replies.push(reply);
    this.#schedule();
  }

  #send(client: ClientState, message: ServerMessage): void {
    this.#write(client, JSON.stringify(message));
  }

  #write(client: ClientState, data: string): void {
    try {
      client.connection.send(redact(data, this.#secrets));
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
    const journal = this.#journal;
    const timeline = this.#timelineEntries;
    this.#dirty = new Set();
    this.#journal = [];
    this.#timelineEntries = new Map();
    if (dirty.has(conductorKey)) {
      // Tickets without an actor take their view from the conductor's record, so follow its changes.
      const tickets = this.engine.conductor.getSnapshot().context.tickets;
      markChangedTickets(this.#tickets, tickets, this.session.track.tickets, dirty);
      this.#tickets = tickets;
    }
    const views = new Map<string, string | null>();
    const viewJson = (key: string): string | null => {
      let json = views.get(key);
      if (json === undefined) {
        const view = viewOf(this.engine, key);
        json = view ? JSON.stringify(view) : null;
        views.set(key, json);
      }
      return json;
    };
    let lagging = false;
    let sent = false;
    for (const client of this.#clients) {
      if (client.fresh) {
        client.fresh = false;
        client.keys = new Set(allKeys(this.engine));
        client.journal = this.engine.journal.tail().map((entry) => JSON.stringify(entry));
        client.timeline = new Map(this.#timeline.tail().map((entry) => [entry.seq, JSON.stringify(entry)]));
      } else {
        for (const key of dirty) client.keys.add(key);
        for (const entry of journal) client.journal.push(entry);
        if (client.journal.length > this.#backlog) client.journal.splice(0, client.journal.length - this.#backlog);
        for (const [seq, entry] of timeline) client.timeline.set(seq, entry);
        for (const seq of client.timeline.keys()) {
          if (client.timeline.size <= this.#timelineBacklog) break;
          client.timeline.delete(seq);
        }
      }
      const tests = client.testPaths.length + client.testRuns.length + client.runs.length;
      if (client.keys.size === 0 && client.journal.length === 0 && client.replies.length === 0 && client.timeline.size === 0 && client.snapshots.length === 0 && tests === 0) {
        continue;
      }
      if (client.connection.bufferedAmount() > this.#highWater) {
        lagging = true;
        continue;
      }
      const actors: string[] = [];
      const removed: string[] = [];
      for (const key of client.keys) {
        const json = viewJson(key);
        if (json === null) removed.push(key);
        else actors.push(json);
      }
      client.seq += 1;
      const batch =
        `{"type":"batch","seq":${client.seq},"actors":[${actors.join(',')}],"removed":${JSON.stringify(removed)},` +
        `"journal":[${client.journal.join(',')}],"replies":${JSON.stringify(client.replies)},` +
        `"timeline":[${[...client.timeline.values()].join(',')}],"snapshots":${JSON.stringify(client.snapshots)}` +
        (client.testPaths.length ? `,"test_paths":${JSON.stringify(client.testPaths)}` : '') +
        (client.testRuns.length ? `,"test_runs":${JSON.stringify(client.testRuns)}` : '') +
        (client.runs.length ? `,"runs":${JSON.stringify(client.runs)}` : '') +
        '}';
      client.keys = new Set();
      client.journal = [];
      client.replies = [];
      client.timeline = new Map();
      client.snapshots = [];
      client.testPaths = [];
      client.testRuns = [];
      client.runs = [];
      // Written after the client's queues are emptied: a command the connection hands back while
      // this batch is being sent gets its reply in the next batch instead of being dropped.
      this.#write(client, batch);
      sent = true;
    }
    if (sent) {
      this.#flushes += 1;
      this.#lastFlush = this.#clock.now();
    }
    // A slow client keeps its coalesced views until its socket drains; look again an interval later.
    if (lagging) this.#schedule(this.#interval);
  }
}
