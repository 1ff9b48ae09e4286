import { at } from '../machines/chunked.js';
import { createActor, waitFor, type Actor, type AnyActorRef, type InspectionEvent, type Snapshot } from 'xstate';
import { conductorMachine, type ConductorEvent } from '../machines/conductor.js';
import { ticketMachine, type TicketChanged, type TicketEvent, type WorkerProfile } from '../machines/ticket.js';
import { workerMachine } from '../machines/worker.js';
import type { ClutchEvent, WorkerEmitted } from '../machines/worker-types.js';
import type { ModelClient } from '../models/model-client.js';
import type { ClutchConfig, ExecutionMode, Ticket, TicketStatus, Track, TrustOverride } from '../protocol/index.js';
import type { ToolContext } from '../tools/tool.js';
import { callModelLogic, previewToolLogic, runToolLogic, waitUntilLogic, wallClockWait, type IoDependencies, type ModelEvent, type WaitUntil } from './io-actors.js';
import { Journal, type JournalEntry } from './journal.js';
import { debugStateOf, workerEntry, writeDebugStateFile, type DebugState } from './run-record.js';
import { CommitScheduler } from './commit-scheduler.js';
import { crashPoint } from './crash-points.js';
import { persistedConductor } from './persisted-conductor.js';
import { memoryArchive, storeArchive, type FinishedArchive, type FinishedTicket } from './finished-archive.js';
import type { RunLog } from '../store/index.js';
import { rateLimiterLogic } from './rate-limiter-actor.js';
import { limitersFromConfig, type RateLimiter } from './rate-limiter.js';
import { UsageLedger, type UsageSummary } from './usage.js';

export interface EngineOptions {
  config: ClutchConfig;
  track: Track;
  /** Absolute path of the workspace the tools work in (the run's own copy). */
  workspace: string;
  /** Where debug_state.json goes (linear mode). */
  runDir?: string;
  /**
   * The run's record in the run store: the journal, the conductor's snapshot (committed with the
   * journal rows that led to it), finished tickets and tool intents. Without it all of that stays in
   * memory and a crash loses the run (tests and model-based paths).
   */
  log?: RunLog;
  /** Least ms between two commits nobody waits for (default 0: once per turn of the event loop). */
  commitIntervalMs?: number;
  /** Told when a commit to the store fails (the default prints it to stderr). */
  onStoreError?: (error: unknown) => void;
  modelFor: (profile: string) => ModelClient;
  mode?: ExecutionMode;
  trustOverride?: TrustOverride;
  maxConcurrency?: number;
  /** Milliseconds; injected so that tests are deterministic. */
  now?: () => number;
  maxOutputBytes?: number;
  /** Sees every inspection event from the first (the conductor's own creation) on. */
  inspect?: (event: InspectionEvent) => void;
  /** Waits for a model backoff deadline (epoch ms); injected so tests never sleep. */
  waitUntil?: WaitUntil;
  /** A conductor snapshot from getPersistedSnapshot(): the run goes on from there. */
  snapshot?: Snapshot<unknown>;
  /**
   * The rate-limit scheduler of each anthropic profile, shared by all its workers. By default the
   * engine builds one per profile from agents.toml; false turns them off (a replayed run).
   */
  rateLimits?: boolean;
  /** The limits' window in ms (default a minute); benches scale it down. */
  rateLimitWindowMs?: number;
}

export type ConductorActor = Actor<typeof conductorMachine>;
export type TicketRef = ReturnType<typeof createActor<typeof ticketMachine>>;
export type WorkerRef = ReturnType<typeof createActor<typeof workerMachine>>;

export type { FinishedTicket, FinishedArchive };

export interface RunOutcome {
  state: 'done' | 'stalled';
  tickets: Record<string, TicketStatus>;
}

export function workerProfiles(config: ClutchConfig): Record<string, WorkerProfile> {
  return Object.fromEntries(
    Object.entries(config.agents).map(([name, agent]) => [
      name,
      {
        archetype: name,
        profile: agent.model,
        system: agent.system_prompt,
        tools: agent.tools.includes('task_complete') ? agent.tools : [...agent.tools, 'task_complete'],
        trust: agent.trust_level,
        maxTurns: agent.max_turns,
      },
    ]),
  );
}

/** The actor system for one run of a track, with its I/O provided and its journal attached. */
export class Engine {
  readonly conductor: ConductorActor;
  readonly journal: Journal;
  readonly options: EngineOptions;
  readonly #start: number;
  readonly #now: () => number;
  readonly #tickets = new Map<string, TicketRef>();
  readonly #workers = new Map<string, WorkerRef>();
  readonly #finished: FinishedArchive;
  readonly #commits: CommitScheduler | undefined;
  readonly #specs: Map<string, Ticket>;
  readonly #inspectors = new Set<(event: InspectionEvent) => void>();
  readonly #keys = new WeakMap<AnyActorRef, string>();
  readonly #usage: UsageLedger;
  /** One rate-limit scheduler per anthropic profile, shared by every worker using it. */
  readonly limiters: ReadonlyMap<string, RateLimiter>;

  constructor(options: EngineOptions) {
    this.options = options;
    this.#now = options.now ?? Date.now;
    this.#start = this.#now();
    this.#specs = new Map(options.track.tickets.map((ticket) => [ticket.id, ticket]));
    const log = options.log;
    this.journal = log
      ? new Journal({ sink: log, tail: log.tail(200) as JournalEntry[], count: log.journalCount })
      : new Journal();
    this.#finished = log ? storeArchive(log) : memoryArchive();
    this.limiters =
      options.rateLimits === false
        ? new Map()
        : limitersFromConfig(options.config, { now: this.#now, wait: options.waitUntil ?? wallClockWait, windowMs: options.rateLimitWindowMs });
    this.#usage = new UsageLedger(options.config, (ticketId) => {
      const archetype = this.#specs.get(ticketId)?.worker_archetype;
      return (archetype && options.config.agents[archetype]?.tier) || 0;
    });
    // A resumed run counts the tokens it spent before the crash, from its journal.
    if (log && options.snapshot) {
      for (const entry of log.journalOfKind('model.turn') as IterableIterator<Extract<JournalEntry, { kind: 'model.turn' }>>) {
        this.#usage.add(entry.ticket, entry.profile, { input_tokens: entry.input_tokens, output_tokens: entry.output_tokens });
      }
    }
    const deps: IoDependencies = {
      modelFor: options.modelFor,
      toolContextFor: (ticketId) => this.#toolContext(ticketId),
      onModelEvent: (event) => this.#modelEvent(event),
      ...(log ? { ledger: log } : {}),
    };
    const machine = conductorMachine.provide({
      actors: {
        ticket: ticketMachine.provide({
          actors: {
            worker: workerMachine.provide({
              actors: {
                callModel: callModelLogic(deps),
                runTool: runToolLogic(deps),
                previewTool: previewToolLogic(deps),
                waitUntil: waitUntilLogic(options.waitUntil ?? wallClockWait),
              },
            }),
          },
        }),
        rateLimiter: rateLimiterLogic(this.limiters),
      },
    });
    const execution = options.config.execution;
    this.conductor = createActor(machine, {
      systemId: 'conductor',
      input: {
        trackId: options.track.id,
        tickets: options.track.tickets.map(({ id, target_file, prompt, worker_archetype, dependencies }) => ({
          id,
          target_file,
          prompt,
          worker_archetype,
          dependencies,
        })),
        workers: workerProfiles(options.config),
        maxConcurrency: options.maxConcurrency ?? execution.max_concurrency,
        rateLimiters: [...this.limiters.keys()],
      },
      inspect: (event) => this.#inspect(event),
      ...(options.snapshot ? { snapshot: options.snapshot } : {}),
    });
    this.#commits = log
      ? new CommitScheduler({
          log,
          snapshot: () => persistedConductor(this.conductor),
          progress: () => {
            const snapshot = this.conductor.getSnapshot();
            const run = snapshot.value.run;
            return { status: run === 'done' || run === 'stalled' ? run : 'running', completed: snapshot.context.completed };
          },
          ...(options.commitIntervalMs !== undefined ? { intervalMs: options.commitIntervalMs } : {}),
          onError: options.onStoreError ?? ((error) => process.stderr.write(`clutch: could not save the run: ${error instanceof Error ? error.message : String(error)}\n`)),
        })
      : undefined;
    if (options.snapshot) this.#watchRestoredWorkers();
    // Emitted events run inside the transition, before the new snapshot is set, so the file is
    // written by the snapshot observer that follows: it then holds the state after the ticket.
    let ended: string | undefined;
    this.conductor.on('conductor.ticket_ended', (event) => {
      if (event.mode === 'linear') ended = event.id;
    });
    this.conductor.subscribe({
      next: () => {
        if (ended === undefined) return;
        const path = this.writeDebugState(ended);
        if (path) this.journal.append({ kind: 'debug_state', at: this.elapsed(), after_ticket: ended, path });
        ended = undefined;
      },
      error: () => {},
    });
  }

  /** Milliseconds since the engine was created, on the injected clock. */
  elapsed(): number {
    return this.#now() - this.#start;
  }

  start(): void {
    if (this.options.snapshot) {
      // Restored: mode, override and run state are in the snapshot; in-flight I/O actors rerun.
      this.conductor.start();
      this.journal.append({ kind: 'run.resume', at: this.elapsed(), track: this.options.track.id, ...(this.options.log ? { run: this.options.log.runId } : {}) });
      this.#commits?.commitNow();
      return;
    }
    const mode = this.options.mode ?? this.options.config.execution.mode;
    const override = this.options.trustOverride ?? this.options.config.execution.trust_override;
    this.conductor.start();
    this.conductor.send({ type: 'conductor.set_mode', mode });
    this.conductor.send({ type: 'conductor.set_trust_override', override });
    this.journal.append({ kind: 'run.start', at: this.elapsed(), track: this.options.track.id, mode, trust_override: override });
    this.conductor.send({ type: 'conductor.start' });
    this.#commits?.commitNow();
  }

  async finished(): Promise<RunOutcome> {
    const snapshot = await waitFor(
      this.conductor,
      (state) => state.matches({ run: 'done' }) || state.matches({ run: 'stalled' }),
      { timeout: Infinity },
    );
    const tickets = Object.fromEntries(this.track().tickets.map((ticket) => [ticket.id, ticket.status]));
    this.journal.append({ kind: 'usage', at: this.elapsed(), ...this.usage() });
    this.journal.append({ kind: 'run.end', at: this.elapsed(), tickets });
    this.#commits?.commitNow();
    return { state: snapshot.matches({ run: 'done' }) ? 'done' : 'stalled', tickets };
  }

  /** Stops the actors; with a store, the last changes are committed first and the run let go. */
  async stop(): Promise<void> {
    this.#commits?.stop();
    this.conductor.stop();
    this.options.log?.release();
  }

  /** Commits made to the run store so far (0 without one). */
  get commits(): number {
    return this.#commits?.commits ?? 0;
  }

  /** Commits to the store now what is staged (no-op without a store). */
  commit(): void {
    this.#commits?.commitNow();
  }

  /** The track as it stands now: statuses, reasons, attempts and summaries from the conductor. */
  track(): Track {
    const context = this.conductor.getSnapshot().context;
    const run = this.conductor.getSnapshot().value.run;
    return {
      ...this.options.track,
      status: run === 'idle' ? 'pending' : run,
      tickets: this.options.track.tickets.map((ticket, index) => {
        const info = at(context.tickets, index);
        return {
          ...ticket,
          status: info.status,
          attempts: info.attempts,
          ...(info.blocked_reason ? { blocked_reason: info.blocked_reason } : {}),
          ...(info.summary ? { summary: info.summary } : {}),
          ...(info.skipped ? { skipped: true } : {}),
        };
      }),
    };
  }

  /** Tokens used so far per ticket (all attempts) and per tier, with a cost estimate. */
  usage(): UsageSummary {
    return this.#usage.summary(this.options.track.tickets.map((ticket) => ticket.id));
  }

  #modelEvent(event: ModelEvent): void {
    const base = { at: this.elapsed(), ticket: event.ticketId, attempt: event.attempt, profile: event.profile };
    if (event.type === 'turn') {
      this.#usage.add(event.ticketId, event.profile, event.usage);
      this.journal.append({ kind: 'model.turn', ...base, stop_reason: event.stop_reason, ...event.usage });
    } else {
      this.journal.append({ kind: 'model.retry', ...base, reason: event.reason, retry_at: event.retry_at });
    }
  }

  ticket(id: string): TicketRef | undefined {
    return this.#tickets.get(id);
  }

  /** The worker of a ticket's current attempt, while it runs. */
  worker(id: string): WorkerRef | undefined {
    const worker = this.#workers.get(id);
    return worker && worker.getSnapshot().status === 'active' ? worker : undefined;
  }

  finishedSnapshots(): FinishedArchive {
    return this.#finished;
  }

  /**
   * Sends a human command; returns false (and changes nothing) when the actor would not accept it.
   * With a store, true means the command's journal row is committed, with the snapshot it led to:
   * only then may it be acknowledged. A failed commit throws.
   */
  command(
    target: { kind: 'conductor' } | { kind: 'ticket' | 'worker'; id: string },
    event: ConductorEvent | TicketEvent | ClutchEvent,
    meta: { requestId?: string } = {},
  ): boolean {
    const ref: AnyActorRef | undefined =
      target.kind === 'conductor' ? this.conductor : target.kind === 'ticket' ? this.ticket(target.id) : this.worker(target.id);
    if (!ref) return false;
    const snapshot = ref.getSnapshot() as { can(event: unknown): boolean; status: string };
    if (snapshot.status !== 'active' || !snapshot.can(event)) return false;
    this.journal.append({
      kind: 'command',
      at: this.elapsed(),
      target: 'id' in target ? `${target.kind}:${target.id}` : target.kind,
      event,
      ...(meta.requestId !== undefined ? { request_id: meta.requestId } : {}),
    });
    ref.send(event);
    crashPoint('command.applied', event.type);
    this.#commits?.commitNow();
    return true;
  }

  /** The debug snapshot linear mode writes after each ticket: the track, every actor, the journal tail. */
  debugState(afterTicket?: string): DebugState {
    return debugStateOf(this, this.#finished, afterTicket);
  }

  writeDebugState(afterTicket?: string): string | undefined {
    const runDir = this.options.runDir;
    if (!runDir) return undefined;
    return writeDebugStateFile(runDir, this.options.config.execution.debug_state_path, this.debugState(afterTicket));
  }

  #toolContext(ticketId: string): ToolContext {
    const archetype = this.#specs.get(ticketId)?.worker_archetype;
    const agent = archetype ? this.options.config.agents[archetype] : undefined;
    return {
      workspace: this.options.workspace,
      allowedCommands: agent?.allowed_commands ?? [],
      enabledTools: agent ? [...new Set([...agent.tools, 'task_complete'])] : [],
      commandTimeoutMs: (agent?.command_timeout_s ?? 60) * 1000,
      maxOutputBytes: this.options.maxOutputBytes ?? 64 * 1024,
    };
  }

  #inspect(event: InspectionEvent): void {
    // Status changes are journaled as the tickets report them to the conductor: that is causal
    // order, where snapshot observers of nested actors fire after the sends they caused.
    if (event.type === '@xstate.event' && event.event.type === 'ticket.changed') {
      const change = event.event as TicketChanged;
      this.journal.append({
        kind: 'ticket.status',
        at: this.elapsed(),
        ticket: change.id,
        status: change.status,
        attempt: change.attempts,
        ...(change.status === 'blocked' && change.blocked_reason ? { reason: change.blocked_reason } : {}),
        ...(change.status === 'completed' && change.summary ? { summary: change.summary } : {}),
      });
    }
    // Any actor's new state is something to commit (coalesced: one commit per burst), but for the
    // text a model streams: a restored turn is asked again from the start, so its draft never counts.
    if (event.type === '@xstate.snapshot' && event.event.type !== 'model.delta') this.#commits?.markDirty();
    if (event.type === '@xstate.actor') {
      // `src` is the setup() key the actor was spawned from; the worker's input names its ticket.
      const ref = event.actorRef as AnyActorRef & { src?: unknown; options?: { input?: { ticketId?: string } } };
      if (ref.src === 'ticket') this.#watchTicket(ref as unknown as TicketRef);
      else if (ref.src === 'worker' && ref.options?.input?.ticketId) this.#watchWorker(ref.options.input.ticketId, ref as unknown as WorkerRef);
    }
    this.options.inspect?.(event);
    for (const listener of this.#inspectors) listener(event);
  }

  /** Every inspection event of the actor system (snapshots, events, new actors), after the engine's own. */
  subscribeInspection(listener: (event: InspectionEvent) => void): () => void {
    this.#inspectors.add(listener);
    return () => this.#inspectors.delete(listener);
  }

  /** 'conductor', 'ticket:ID' or 'worker:ID' for the actors the engine knows; undefined for I/O actors. */
  keyOf(ref: AnyActorRef): string | undefined {
    if (ref === (this.conductor as AnyActorRef)) return 'conductor';
    return this.#keys.get(ref);
  }

  /** Restored workers carry no input naming their ticket; find them under their tickets instead. */
  #watchRestoredWorkers(): void {
    for (const [id, ticket] of this.#tickets) {
      const worker = ticket.getSnapshot().children['worker'] as WorkerRef | undefined;
      if (worker && this.#workers.get(id) !== worker) this.#watchWorker(id, worker);
    }
  }

  #watchTicket(ticket: TicketRef): void {
    const id = ticket.id;
    this.#tickets.set(id, ticket);
    this.#keys.set(ticket as unknown as AnyActorRef, `ticket:${id}`);
    ticket.subscribe({
      next: (snapshot) => {
        if (snapshot.status === 'done') {
          this.#finished.set(id, { ticket: ticket.getPersistedSnapshot() });
          this.#tickets.delete(id);
          this.#workers.delete(id);
        }
      },
      error: () => {},
    });
  }

  #watchWorker(ticketId: string, worker: WorkerRef): void {
    this.#workers.set(ticketId, worker);
    this.#keys.set(worker as unknown as AnyActorRef, `worker:${ticketId}`);
    worker.on('*', (event: WorkerEmitted) => this.journal.append(workerEntry(event, this.elapsed())));
    // Keep the last snapshot of a worker that ended, however it ended, for the UI and debug_state.
    const archive = () => this.#finished.set(ticketId, { worker: worker.getPersistedSnapshot() });
    worker.subscribe({
      next: (snapshot) => {
        if (snapshot.status === 'done') archive();
      },
      error: archive,
    });
  }
}
