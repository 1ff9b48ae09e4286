import { createActor, waitFor, type AnyActorRef, type InspectionEvent, type Snapshot } from 'xstate';
import type { ConductorEvent } from '../machines/conductor.js';
import type { TicketEvent } from '../machines/ticket.js';
import { currentCall } from '../machines/transcript.js';
import type { ClutchEvent } from '../machines/worker-types.js';
import { upgradePersisted } from '../machines/worker-flat.js';
import type { ModelClient } from '../models/model-client.js';
import type { BudgetLimits, BudgetStop, ClutchConfig, ExecutionMode, Ticket, TicketStatus, Track, TrustOverride } from '../protocol/index.js';
import type { RunLog } from '../store/index.js';
import { plannerKey, targetKey, ticketKey, workerKey } from '../protocol/actor-keys.js';
import { CommitScheduler } from './commit-scheduler.js';
import { crashPoint } from './crash-points.js';
import { debugStateOf, trackAsItStands, writeDebugStateFile, type DebugState } from './debug-state.js';
import { REVIEW_READ_TOOLS, conductorInput, engineMachine, planningOf, type ConductorActor, type PlannerRef, type TicketRef, type WorkerRef } from './engine-machine.js';
import { memoryArchive, storeArchive, type FinishedArchive, type FinishedTicket } from './finished-archive.js';
import { actorKey, InspectionFanout } from './inspection-fanout.js';
import { wallClockWait, type IoDependencies, type WaitUntil } from './io-actors.js';
import { Journal, type JournalEntry } from './journal.js';
import { ConductorPersister } from './persisted-conductor.js';
import { limitersFromConfig } from './limiters-from-config.js';
import type { RateLimiter } from './rate-limiter.js';
import { RunRecorder } from './run-journal.js';
import { toolContextFor } from './tool-context.js';
import { UsageLedger, type UsageSummary } from './usage.js';
import { Budgets, raiseProblem } from './budgets.js';
import { pauseNow } from './pause-check.js';
import { errorText } from '../protocol/error-text.js';
import { secretsOf } from '../protocol/redact.js';
import type { DiffText, TicketWorkspaces } from './ticket-workspaces.js';
import type { WorkspaceEvent } from './io-actors.js';
import type { Command, CommandTarget } from '../protocol/commands.js';
import { refusalOf } from './command-checks.js';
import { TicketFiles } from './ticket-files.js';
import { TicketOriginals } from '../store/index.js';
import { skeletonsFor, type ToolContext } from '../tools/index.js';
import { PLAN_LEAD, PLAN_PM } from '../machines/planner.js';
import { ticketsOfPlan } from '../machines/conductor.js';
import { reviewerId } from '../machines/ticket.js';
import { checkPlan, planToml } from '../config/check-plan.js';
import type { ProposedTrack } from '../protocol/index.js';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const hashText = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** The ticket a helper agent's key belongs to: `T2@review` and `T2@qa` are T2's. */
export function baseTicketId(key: string): string {
  const at = key.indexOf('@');
  return at > 0 ? key.slice(0, at) : key;
}

export { workerProfiles, type ConductorActor, type TicketRef, type WorkerRef } from './engine-machine.js';

export interface EngineOptions {
  config: ClutchConfig;
  track: Track;
  /** Absolute path of the workspace the tools work in (the run's own copy). */
  workspace: string;
  /**
   * The run begins from this request instead of a track: the planner turns it into tickets (the
   * track given has none yet), and once the human approves the plan it is written to the run
   * folder's track.toml (with the source workspace) and run.
   */
  request?: { text: string; sourceWorkspace?: string };
  /** Where debug_state.json goes (linear mode). */
  runDir?: string;
  /**
   * The run's record in the run store: the journal, the conductor's snapshot (committed with the
   * journal rows that led to it), finished tickets and tool intents. Without it all of that stays in
   * memory and a crash loses the run (tests and model-based paths).
   */
  log?: RunLog;
  /** Least ms between two commits nobody waits for (default COMMIT_INTERVAL_MS, 100 ms; 0: once per turn of the event loop). */
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
  /**
   * Secret values no tool output may carry, in any common encoding (default: the secret-looking
   * variables of this process's environment, the API key among them).
   */
  secrets?: readonly string[];
  /**
   * Worktree isolation: each ticket works in its own git worktree, merged into the run's
   * integration branch when it completes. Without it every ticket works in `workspace` itself.
   */
  workspaces?: TicketWorkspaces;
}

export type { FinishedTicket, FinishedArchive };

/** A command as the engine takes it: the socket's and the CLI's, or a machine event (tests, drivers). */
export type EngineCommand = Command | ConductorEvent | TicketEvent | ClutchEvent;

export type CommandOutcome = { ok: true } | { ok: false; error: string };

export interface RunOutcome {
  state: 'done' | 'stalled';
  tickets: Record<string, TicketStatus>;
}

/** The actor system for one run of a track, with its I/O provided and its journal attached. */
export class Engine {
  readonly conductor: ConductorActor;
  readonly journal: Journal;
  readonly options: EngineOptions;
  readonly #start: number;
  readonly #now: () => number;
  readonly #finished: FinishedArchive;
  readonly #files: TicketFiles;
  readonly #recorder: RunRecorder;
  readonly #fanout = new InspectionFanout();
  readonly #commits: CommitScheduler | undefined;
  #specs: Map<string, Ticket>;
  /** The track: the one given, or (a run begun from a request) the plan once the human approved it. */
  #track: Track;
  readonly #usage: UsageLedger;
  /** Each ticket's and the run's token budgets, with the raises given at budget pauses. */
  readonly #budgets: Budgets;
  /** What a key's tool calls may touch: a ticket's, or its reviewer's in the ticket's workspace. */
  readonly #toolContext: (key: string) => ToolContext;
  /** One rate-limit scheduler per anthropic profile, shared by every worker using it. */
  readonly limiters: ReadonlyMap<string, RateLimiter>;

  constructor(options: EngineOptions) {
    this.options = options;
    this.#now = options.now ?? Date.now;
    this.#start = this.#now();
    this.#track = options.track;
    this.#specs = new Map(options.track.tickets.map((ticket) => [ticket.id, ticket]));
    const log = options.log;
    this.journal = log
      ? new Journal({ sink: log, tail: log.tail(200) as JournalEntry[], count: log.journalCount })
      : new Journal();
    this.#finished = log ? storeArchive(log) : memoryArchive();
    this.#files = new TicketFiles(options.workspace, log ? new TicketOriginals(log.store, log.runId) : undefined);
    this.limiters =
      options.rateLimits === false
        ? new Map()
        : limitersFromConfig(options.config, { now: this.#now, wait: options.waitUntil ?? wallClockWait, windowMs: options.rateLimitWindowMs });
    this.#usage = new UsageLedger(options.config, (key) => {
      const archetype = this.#archetypeOf(key);
      return (archetype && options.config.agents[archetype]?.tier) || 0;
    });
    this.#budgets = new Budgets(options.config, this.#usage, (ticketId) => this.#specs.get(ticketId)?.worker_archetype);
    this.#recorder = new RunRecorder(this.journal, this.#usage, this.#finished, () => this.elapsed());
    if (log && options.snapshot) this.#recorder.restoreUsage(log, this.#budgets);
    const secrets = options.secrets ?? secretsOf(process.env);
    this.#toolContext = (key) => {
      // A ticket's reviewer reads the ticket's own worktree, with its own archetype's settings.
      const ticketId = baseTicketId(key);
      const workspaces = options.workspaces;
      const own = workspaces ? { workspace: workspaces.pathFor(ticketId), readOnly: workspaces.readOnlyFor(ticketId) } : {};
      const archetype = this.#archetypeOf(key);
      if (key === PLAN_PM || key === PLAN_LEAD) {
        // The planner's agents read the run's workspace (the integration branch) and check proposals.
        const planner = { id: key, target_file: '.', prompt: '', worker_archetype: archetype ?? '', status: 'running' as const, dependencies: [] };
        const context = toolContextFor({ ...options, secrets }, planner);
        const own = key === PLAN_PM ? 'propose_track' : 'revise_track';
        return { ...context, enabledTools: [...(context.enabledTools ?? []), own], checkTrack: (proposal: unknown) => this.checkPlan(proposal) };
      }
      const spec = this.#specs.get(ticketId);
      const context = toolContextFor({ ...options, secrets, ...own }, spec && archetype ? { ...spec, worker_archetype: archetype } : spec);
      // A reviewer answers with one of the two verdicts (and nothing that writes).
      return key.endsWith('@review') ? { ...context, enabledTools: [...(context.enabledTools ?? []).filter((tool) => REVIEW_READ_TOOLS.has(tool)), 'approve_change', 'request_changes'] } : context;
    };
    const deps: IoDependencies = {
      modelFor: options.modelFor,
      toolContextFor: this.#toolContext,
      briefingFor: (ticketId) => this.#briefing(ticketId),
      reviewDiff: (ticketId) => this.#reviewDiff(ticketId),
      onQaHint: (event) => this.#recorder.qaHint(event),
      onModelEvent: (event) => this.#recorder.model(event),
      // The planner's agents (`@plan`, `@plan-review`) answer to the run's budget only.
      budgetCheck: (key) => this.#budgets.check(key.startsWith('@') ? '' : baseTicketId(key)),
      ...(log ? { ledger: log } : {}),
      // In a worktree, what an attempt changed is its branch: nothing to keep aside for a retry.
      ...(options.workspaces
        ? { workspaces: options.workspaces, onWorkspaceEvent: (event: WorkspaceEvent) => this.#workspaceEvent(event) }
        : { beforeWrite: (ticketId: string, path: string, created?: boolean) => this.#files.beforeWrite(ticketId, path, created) }),
    };
    const machine = engineMachine(deps, this.limiters, options.waitUntil ?? wallClockWait);
    this.conductor = createActor(machine, {
      systemId: 'conductor',
      input: conductorInput(options.track, options.config, options.maxConcurrency ?? options.config.execution.max_concurrency, this.limiters, options.workspaces !== undefined),
      inspect: (event) => this.#inspect(event),
      // A run made before the worker's context was grouped resumes with it grouped.
      ...(options.snapshot ? { snapshot: upgradePersisted(options.snapshot) } : {}),
    });
    const persister = new ConductorPersister();
    this.#commits = log
      ? new CommitScheduler({
          log,
          snapshot: () => persister.persist(this.conductor),
          parts: persister.parts,
          progress: () => {
            const snapshot = this.conductor.getSnapshot();
            const run = snapshot.value.run;
            return { status: run === 'done' || run === 'stalled' ? run : 'running', completed: snapshot.context.completed };
          },
          ...(options.commitIntervalMs !== undefined ? { intervalMs: options.commitIntervalMs } : {}),
          onError: options.onStoreError ?? ((error) => process.stderr.write(`clutch: could not save the run: ${errorText(error)}\n`)),
        })
      : undefined;
    // Emitted events run inside the transition, before the new snapshot is set, so the file is
    // written by the snapshot observer that follows: it then holds the state after the ticket.
    let ended: string | undefined;
    this.conductor.on('conductor.ticket_ended', (event) => {
      if (event.mode === 'linear') ended = event.id;
    });
    // Inside the transition, before the plan's first tickets start: they find their specs.
    this.conductor.on('conductor.plan_approved', (event) => this.#planApproved(event.proposal));
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
      this.journal.append({ kind: 'run.resume', at: this.elapsed(), track: this.#track.id, ...(this.options.log ? { run: this.options.log.runId } : {}) });
      this.#commits?.commitNow();
      return;
    }
    const mode = this.options.mode ?? this.options.config.execution.mode;
    const override = this.options.trustOverride ?? this.options.config.execution.trust_override;
    this.conductor.start();
    this.conductor.send({ type: 'conductor.set_mode', mode });
    this.conductor.send({ type: 'conductor.set_trust_override', override });
    const request = this.options.request;
    this.journal.append({ kind: 'run.start', at: this.elapsed(), track: this.#track.id, mode, trust_override: override, ...(request ? { request: request.text } : {}) });
    // A run begun from a request plans it first; its tickets start once the human approves the plan.
    this.conductor.send(request ? { type: 'conductor.request', text: request.text } : { type: 'conductor.start' });
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
    const snapshot = this.conductor.getSnapshot();
    return trackAsItStands(this.#track, snapshot.value.run, snapshot.context.tickets);
  }

  /** Tokens used so far per ticket (all attempts) and per tier, with a cost estimate. */
  usage(): UsageSummary {
    return this.#usage.summary(this.#track.tickets.map((ticket) => ticket.id));
  }

  /** The ticket's actor while it lives (found through the actor system). */
  ticket(id: string): TicketRef | undefined {
    return this.conductor.system.get(ticketKey(id)) as TicketRef | undefined;
  }

  /** Every problem a proposed or edited plan has as a track file (none: it can be approved). */
  checkPlan(proposal: unknown): string[] {
    const checked = checkPlan(proposal, { config: this.options.config, workspace: this.options.workspace, trackId: this.#track.id });
    return checked.ok ? [] : checked.problems;
  }

  /** Whether the run's track has this ticket (a planned run has its tickets once the plan is approved). */
  hasTicket(id: string): boolean {
    return this.#specs.has(id);
  }

  /** Whether an id names a ticket, one of its helper agents (`T2@review`, `T2@qa`) or the planner's agents. */
  knows(id: string): boolean {
    return id === PLAN_PM || id === PLAN_LEAD || this.#specs.has(baseTicketId(id));
  }

  /** The planner of a run begun from a request, while it plans. */
  planner(): PlannerRef | undefined {
    const planner = this.conductor.system.get(plannerKey) as PlannerRef | undefined;
    return planner && planner.getSnapshot().status === 'active' ? planner : undefined;
  }

  /** The worker of a ticket's current attempt, while it runs. */
  worker(id: string): WorkerRef | undefined {
    const worker = this.conductor.system.get(workerKey(id)) as WorkerRef | undefined;
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
  command(target: CommandTarget, event: EngineCommand, meta: { requestId?: string } = {}): boolean {
    return this.send(target, event, meta).ok;
  }

  /**
   * command(), saying why when it refuses: the actor does not accept the event now, or a pause
   * command names another pause than the one its worker is at (a stale click, another tab).
   */
  send(target: CommandTarget, event: EngineCommand, meta: { requestId?: string } = {}): CommandOutcome {
    const ref: AnyActorRef | undefined =
      target.kind === 'conductor'
        ? this.conductor
        : target.kind === 'planner'
          ? this.planner()
          : target.kind === 'ticket'
            ? this.ticket(target.id)
            : this.worker(target.id);
    const refused = (why: string): CommandOutcome => ({ ok: false, error: `${targetKey(target)} ${why}` });
    if (!ref) return refused(`does not accept ${event.type} now`);
    const refusal = refusalOf(ref, target, event, this.#files, (plan) => this.checkPlan(plan));
    if (refusal) return refused(refusal);
    const budget = event.type === 'clutch.raise_budget' ? (ref as WorkerRef).getSnapshot().context.budget.stop : null;
    if (event.type === 'clutch.raise_budget') {
      const problem = budget ? raiseProblem(budget, event) : 'is not at a budget pause';
      if (problem) return refused(`refuses clutch.raise_budget: ${problem}; nothing changed`);
    }
    this.journal.append({
      kind: 'command',
      at: this.elapsed(),
      target: targetKey(target),
      event,
      ...(meta.requestId !== undefined ? { request_id: meta.requestId } : {}),
    });
    if (event.type === 'clutch.rerun') this.#grantRerun(ref);
    if (event.type === 'ticket.retry' && target.kind === 'ticket') {
      const choice = (event as { files?: 'restore' | 'keep' }).files;
      const files = choice ? this.#files.settle(target.id, choice) : [];
      if (choice && files.length > 0) this.journal.append({ kind: 'ticket.files', at: this.elapsed(), ticket: target.id, choice, files });
    }
    if (budget && event.type === 'clutch.raise_budget') this.#raiseBudget(budget, event, ref);
    ref.send(event);
    crashPoint('command.applied', event.type);
    this.#commits?.commitNow();
    return { ok: true };
  }

  /**
   * A raise given at a budget pause: journaled (a resumed run restores it), applied, and, for the
   * run's budget, passed to every other worker that waits on it.
   */
  #raiseBudget(stop: BudgetStop, event: { max_tokens?: number; max_cost?: number }, answered: AnyActorRef): void {
    const limits = { ...(event.max_tokens !== undefined ? { max_tokens: event.max_tokens } : {}), ...(event.max_cost !== undefined ? { max_cost: event.max_cost } : {}) };
    this.#budgets.raise(stop.scope, stop.ticket, limits);
    this.journal.append({ kind: 'budget.raised', at: this.elapsed(), ticket: stop.ticket, scope: stop.scope, limits });
    if (stop.scope !== 'run') return;
    const ids = [...this.#track.tickets.flatMap((ticket) => [ticket.id, reviewerId(ticket.id)]), PLAN_PM, PLAN_LEAD];
    for (const worker of ids.map((id) => this.worker(id))) {
      if (!worker || worker === answered) continue;
      if (pauseNow(worker.getSnapshot())?.kind === 'budget' && worker.getSnapshot().context.budget.stop?.scope === 'run') worker.send({ type: 'worker.budget_raised' });
    }
  }

  /** What a ticket has spent and may spend: its budget, for views and the CLI. */
  budgetOf(ticketId: string): { spent: { tokens: number; cost_usd: number | null }; limits: BudgetLimits } {
    return { spent: this.#usage.spend(ticketId), limits: this.#budgets.limitsOf(ticketId) };
  }

  /** The budgets in force: the run's cost limit, and the limits of every ticket that has one. */
  budgets(): { run: { max_cost?: number }; tickets: Record<string, BudgetLimits> } {
    const max = this.#budgets.runLimit();
    const tickets: Record<string, BudgetLimits> = {};
    for (const ticket of this.#track.tickets) {
      const limits = this.#budgets.limitsOf(ticket.id);
      if (limits.max_tokens !== undefined || limits.max_cost !== undefined) tickets[ticket.id] = limits;
    }
    return { run: max !== undefined ? { max_cost: max } : {}, tickets };
  }

  /** The run's spend and its cost limit. */
  runBudget(): { spent: { tokens: number; cost_usd: number | null }; max_cost?: number } {
    const max = this.#budgets.runLimit();
    return { spent: this.#usage.spend(), ...(max !== undefined ? { max_cost: max } : {}) };
  }

  /** The workspace files the ticket's attempts changed with the file tools (what a retry restores or keeps). */
  changedFiles(ticketId: string): string[] {
    return this.#files.changed(ticketId);
  }

  /** The approved plan is the run's track now: its specs, its track.toml in the run folder, the store's record. */
  #planApproved(proposal: ProposedTrack): void {
    const tickets: Ticket[] = ticketsOfPlan(proposal).map((spec) => ({ ...spec, status: 'pending' }));
    this.#track = { ...this.#track, title: proposal.title, description: proposal.description ?? '', tickets };
    this.#specs = new Map(tickets.map((ticket) => [ticket.id, ticket]));
    let path: string | undefined;
    const runDir = this.options.runDir;
    if (runDir) {
      const source = this.options.request?.sourceWorkspace;
      const header =
        `# Planned by Clutch from the request:\n${(this.options.request?.text ?? '').split('\n').map((line) => `#   ${line}`).join('\n')}\n` +
        `# Approved by the human. \`clutch run\` accepts this file as it is.\n\n`;
      const text = planToml(proposal, this.#track.id, header).replace(/^\[track\]\n/m, `[track]\n${source ? `workspace = ${JSON.stringify(source)}\n` : ''}`);
      path = join(runDir, 'track.toml');
      writeFileSync(path, text);
      this.#track.source = path;
    }
    this.journal.append({ kind: 'plan.approved', at: this.elapsed(), tickets: tickets.length, title: proposal.title, ...(path ? { path } : {}) });
    if (path) this.options.log?.store.planApproved(this.options.log.runId, { track_path: path, track_hash: hashText(readFileSync(path)), track_title: proposal.title, tickets_total: tickets.length });
  }

  /** The archetype behind a key: a ticket's own, or its reviewer's (`T2@review`) or QA's (`T2@qa`), or the planner's agents'. */
  #archetypeOf(key: string): string | undefined {
    if (key === PLAN_PM || key === PLAN_LEAD) {
      const planning = planningOf(this.options.config);
      return (key === PLAN_PM ? planning?.pm : planning?.lead) ?? undefined;
    }
    const ticketId = baseTicketId(key);
    const archetype = this.#specs.get(ticketId)?.worker_archetype;
    if (!archetype || key === ticketId) return archetype;
    const agent = this.options.config.agents[archetype];
    if (key.endsWith('@review')) return agent?.review_by;
    if (key.endsWith('@qa')) return agent?.qa_by;
    return undefined;
  }

  /** The skeletons of the files the ticket's dependencies target, read in the ticket's own workspace. */
  async #briefing(ticketId: string): Promise<string | null> {
    const spec = this.#specs.get(ticketId);
    if (!spec || spec.dependencies.length === 0) return null;
    const files = [...new Set(spec.dependencies.map((id) => this.#specs.get(id)?.target_file).filter((file): file is string => Boolean(file)))];
    if (files.length === 0) return null;
    const context = this.#toolContext(ticketId);
    return skeletonsFor(context, files);
  }

  /** The ticket's change as its reviewer sees it: its branch against its base, or (shared) the files it changed. */
  async #reviewDiff(ticketId: string): Promise<string> {
    const workspaces = this.options.workspaces;
    if (!workspaces) {
      const files = this.#files.changed(ticketId);
      return (
        'Under shared isolation there is no diff of this ticket alone (other tickets work in the same folder). ' +
        (files.length > 0 ? `The files its worker changed: ${files.join(', ')}. Read them with read_file.` : 'Its worker changed no file with the file tools.')
      );
    }
    const diff = await workspaces.ticketDiff(ticketId);
    if (!diff || diff.patch.trim() === '') return '(the change is empty: the worker changed no file)';
    const cap = 48 * 1024;
    const patch = diff.patch.length > cap ? `${diff.patch.slice(0, cap)}\n[... the diff goes on: ${diff.patch.length - cap} more characters; read the files for the rest ...]` : diff.patch;
    return `Files: ${diff.files.map((file) => `${file.status} ${file.path}`).join(', ')}${diff.truncated ? ' (the diff was cut)' : ''}\n\n${patch}`;
  }

  /** The journal's record of a worktree made or a branch merged. */
  #workspaceEvent(event: WorkspaceEvent): void {
    const at = this.elapsed();
    if (event.type === 'prepared') {
      this.journal.append({ kind: 'worktree.ready', at, ticket: event.ticketId, attempt: event.attempt, path: event.path, base: event.base, created: event.created });
    } else if (event.type === 'merged') {
      this.journal.append({ kind: 'worktree.merged', at, ticket: event.ticketId, attempt: event.attempt, commit: event.commit, already: event.alreadyMerged });
    } else {
      this.journal.append({ kind: 'worktree.conflict', at, ticket: event.ticketId, attempt: event.attempt, files: event.files });
    }
  }

  /** "worktree" when each ticket has its own git worktree, else "shared". */
  get isolation(): 'worktree' | 'shared' {
    return this.options.workspaces ? 'worktree' : 'shared';
  }

  /** A ticket's change: its branch (and what is not committed yet) against the commit it started from. */
  async ticketDiff(ticketId: string): Promise<DiffText | undefined> {
    return this.options.workspaces?.ticketDiff(ticketId);
  }

  /** The run's whole change: the integration branch against the starting state. */
  async runDiff(): Promise<DiffText | undefined> {
    return this.options.workspaces?.runDiff();
  }

  /** Re-run at the interrupted pause: the grant the call's next run may use once (see runToolOnce). */
  #grantRerun(worker: AnyActorRef): void {
    const context = (worker as WorkerRef).getSnapshot().context;
    const call = currentCall(context.messages, context.results, context.review);
    if (call) this.options.log?.grantRerun({ ticket: context.settings.ticketId, attempt: context.settings.attempt, toolUseId: call.id });
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

  /** Whether this snapshot is the conductor's as its run ends (done or stalled): committed at once. */
  #runEnded(event: Extract<InspectionEvent, { type: '@xstate.snapshot' }>): boolean {
    if (event.actorRef !== this.conductor) return false;
    const run = (event.snapshot as { value?: { run?: unknown } }).value?.run;
    return run === 'done' || run === 'stalled';
  }

  #inspect(event: InspectionEvent): void {
    this.#recorder.inspect(event);
    // Any actor's new state is something to commit (coalesced: one commit per burst), but for the
    // text a model streams: a restored turn is asked again from the start, so its draft never counts.
    if (event.type === '@xstate.snapshot' && event.event.type !== 'model.delta') this.#commits?.markDirty(this.#runEnded(event));
    this.options.inspect?.(event);
    this.#fanout.emit(event);
  }

  /** Every inspection event of the actor system (snapshots, events, new actors), after the engine's own. */
  subscribeInspection(listener: (event: InspectionEvent) => void): () => void {
    return this.#fanout.add(listener);
  }

  /** 'conductor', 'ticket:ID' or 'worker:ID' for the actors the engine knows; undefined for I/O actors. */
  keyOf(ref: AnyActorRef): string | undefined {
    return actorKey(ref);
  }
}
