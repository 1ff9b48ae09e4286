/**
 * The safety properties of DESIGN §4 and §9, watched on the real engine while a path runs and
 * asserted after every step:
 * - no tool executes in step mode without an approve at pause 1 (approval) (worker snapshots
 *   entering `executing`, the journal's `tool` entries and the files the tools wrote);
 * - pause 2 (review) comes before a result reaches the model (a result that stopped at pause 2
 *   enters the transcript, and any model request, only after an approve at `reviewingResult`);
 * - every tool_use is answered by a tool_result in every transcript sent to the model;
 * - the model sees the tool_use that really ran, and an accepted payload edit is what runs;
 * - an edit changes only its own call;
 * - a call that reached the interrupted pause never runs again without the human's `clutch.rerun`
 *   there: it enters `executing` again only through a rerun, and until one, the run store's
 *   ledger has no result for it and the file its command writes does not exist;
 * - a command that `can()` refuses changes nothing: the engine refuses it, journals nothing and
 *   sends nothing (each check sends the refused ones of a fixed list to every live actor);
 * - the conductor dispatches at once, after a mode switch too: in run.running no ready ticket waits
 *   while it could start;
 * - linear mode never starts a ticket while another one runs (replayed from the journal);
 * - no ticket starts before its dependencies completed (replayed from the journal);
 * - an abort leaves the ticket blocked with a reason;
 * - a skipped ticket is reported as skipped;
 * - no ticket starts before the plan is approved: in a run begun from a request, every ticket
 *   status comes after the plan's approval, and that approval follows the human's plan.approve;
 * - a reviewed ticket completes only on an approve verdict (or a human's): its last verdict, since
 *   the attempt began, approves (a reviewer's, or a verdict the human sent the ticket), unless the
 *   human skipped it;
 * - a QA hint never reaches the model before pause 2 when the qa trust is step: a result turned
 *   into a hint while the qa archetype's trust (under the override) is step stops at pause 2 and
 *   is approved there before it enters the transcript or any request;
 * - an invalid plan edit changes nothing (each check sends one to a planner at plan approval);
 * - no model turn is asked while its budget is spent: at every request that reaches the model (a
 *   QA hint's aside: it is part of the tool cycle), the spend replayed from the journal is below the
 *   configuration's limits with the journaled raises; so none while a worker waits at its budget pause;
 * - the ticket is step_paused while its worker (or its reviewer) is at the budget pause;
 * - a raise that does not lift the budget changes nothing (each check sends one, at the spend, to
 *   every worker at its budget pause), and a raise the engine accepts lifts the budget it answers:
 *   the turn it lets go is not stopped on that same limit again before any turn spent more;
 * - an abort at the budget pause blocks the ticket with the spend as its reason (the stop's reason,
 *   as journaled at the pause).
 * Properties that read one thing are in properties.ts.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { matchesState, type AnyActorRef, type InspectionEvent, type StateValue } from 'xstate';
import type { Engine } from '../actors/engine.js';
import type { JournalEntry } from '../actors/journal.js';
import { at } from '../machines/chunked.js';
import type { ConductorContext } from '../machines/conductor.js';
import { currentCall } from '../machines/transcript.js';
import type { FlatWorkerContext, WorkerContext } from '../machines/worker-types.js';
import { flatWorkerContext } from '../machines/worker-flat.js';
import type { Ticket } from '../protocol/index.js';
import type { RecordedRequest } from './fakes.js';
import { PLAN_LEAD, PLAN_PM } from '../machines/planner.js';
import { plannerKey } from '../protocol/actor-keys.js';
import { reviewerId } from '../machines/ticket.js';
import {
  editedBeyondItsCall,
  editMissingFromTranscript,
  planningProblems,
  ranInputs,
  readyButWaiting,
  requestShowsWhatRan,
  resultIds,
  reviewProblems,
  skipProblems,
  spentBudgets,
  unpairedCalls,
} from './properties.js';

export { unpairedCalls } from './properties.js';

interface WorkerWatch {
  previous: { value: StateValue; context: FlatWorkerContext } | undefined;
  executing: string | null;
  /** Calls let through to runTool (approved at pause 1, or passed by an auto gate). */
  released: Set<string>;
  /** Results that stopped at pause 2, and those of them the human approved. */
  held: Set<string>;
  approved: Set<string>;
  /** Calls that stopped at the interrupted pause, and those of them the human chose to rerun. */
  interrupted: Set<string>;
  reruns: Set<string>;
  /** Calls the human edited and approved in one answer ("Apply edit and approve"). */
  approvedAsEdited: Set<string>;
  /** Results turned into a QA hint (by tool_use id), those of them hinted while the qa trust was step, and those of these seen at pause 2. */
  hints: Set<string>;
  stepHints: Set<string>;
  hintsHeld: Set<string>;
  /** The budget limit a raise just lifted (scope and which limit), until the worker's next snapshot. */
  lifted: { scope: string; reached: string } | null;
}

type Target = Parameters<Engine['command']>[0];
type Command = Parameters<Engine['command']>[1];

/** A plan edit no track file check accepts: a cycle, and an archetype the run does not have. */
export const INVALID_PLAN = {
  title: 'An invalid edit',
  tickets: [
    { id: 'X', target_file: 'x.txt', prompt: 'x', worker_archetype: 'codegen', dependencies: ['Y'] },
    { id: 'Y', target_file: 'y.txt', prompt: 'y', worker_archetype: 'no-such-archetype', dependencies: ['X'] },
  ],
};

/** Commands sent to each live actor at every check whenever its snapshot's can() refuses them. */
const PROBES: Record<'conductor' | 'ticket' | 'worker' | 'planner', Command[]> = {
  conductor: [{ type: 'conductor.start' }, { type: 'conductor.request', text: 'probe' }],
  planner: [{ type: 'plan.approve' }, { type: 'plan.retry' }, { type: 'plan.send_back', comment: 'probe' }],
  ticket: [{ type: 'ticket.retry' }, { type: 'ticket.skip' }],
  worker: [
    { type: 'clutch.approve' },
    { type: 'clutch.rerun' },
    { type: 'clutch.use_output' },
    { type: 'clutch.retry_now' },
    { type: 'clutch.abort', reason: 'probe' },
    { type: 'clutch.edit_result', output: 'probe' },
    { type: 'clutch.edit_payload', input: {} },
    { type: 'clutch.edit_message', message: 'probe' },
    { type: 'clutch.raise_budget', max_tokens: 1_000_000_000, max_cost: 1_000_000 },
  ],
};

/** A worker snapshot at its budget pause, as the monitor reads it (a fake engine's snapshots have no value). */
const atBudgetPause = (snapshot: unknown) => (snapshot as { value?: unknown } | undefined)?.value === 'budgetPaused';

/** The monitor's own journal entry for a ticket the conductor starts (sends ticket.start). */
const STARTING = 'starting';

const TOOL_CYCLE = {
  executing: { toolCycle: 'executing' },
  ready: { toolCycle: { awaitingApproval: 'ready' } },
  interrupted: { toolCycle: 'interrupted' },
  reviewing: { toolCycle: 'reviewingResult' },
} as const;

// The oracle's own reading of the trust rule, independent of the machine's.
const isStep = (context: FlatWorkerContext) => (context.trustOverride === 'none' ? context.trust : context.trustOverride) === 'step';
const qaIsStep = (context: FlatWorkerContext) => context.qa !== null && (context.trustOverride === 'none' ? context.qa.trust : context.trustOverride) === 'step';
/** The events whose step leaves a result at pause 2: the tool's end, the interrupted pause's empty output, the QA hint (or its failure). */
const HOLDING = new Set(['xstate.done.actor.tool', 'clutch.use_output', 'xstate.done.actor.qa', 'xstate.error.actor.qa']);

export class Monitor {
  readonly violations: string[] = [];
  readonly #watches = new Map<string, WorkerWatch>();
  readonly #engine: Engine;
  /** The journal, plus the ticket crashes the conductor learns of (the journal has no entry for those). */
  readonly #journal: JournalEntry[] = [];
  readonly #requests: readonly RecordedRequest[];
  /** The folders tools write in: the run's workspace, and each ticket's worktree under worktree isolation. */
  readonly #workspaces: () => string[];
  /** The run's tickets: given, or (a run begun from a request) read from the engine, which has them once the plan is approved. */
  readonly #ticketList: () => readonly Ticket[];
  #requestsChecked = 0;
  /** Aborts at a budget pause: the ticket, the stop's reason, and where in the journal its pause began. */
  readonly #budgetAborts: Array<{ ticket: string; reason: string; from: number }> = [];

  constructor(options: {
    engine: Engine;
    requests: readonly RecordedRequest[];
    workspaces: () => string[];
    tickets: readonly Ticket[] | (() => readonly Ticket[]);
    /** Tells the monitor of each request as it reaches the model (the budget property reads the journal then). */
    onRequest?: (listener: (request: RecordedRequest) => void) => void;
  }) {
    this.#engine = options.engine;
    options.engine.journal.subscribe((entry) => this.#journal.push(entry));
    this.#requests = options.requests;
    this.#workspaces = options.workspaces;
    const tickets = options.tickets;
    this.#ticketList = typeof tickets === 'function' ? tickets : () => tickets;
    options.engine.subscribeInspection((event) => this.#observe(event));
    options.onRequest?.((request) => this.#requested(request));
  }

  /** A request reached the model: its budget must not be spent (a QA hint is part of the tool cycle, not checked). */
  #requested(request: RecordedRequest): void {
    if (request.ticketId.endsWith('@qa')) return;
    if (atBudgetPause(this.#engine.worker(request.ticketId)?.getSnapshot())) {
      this.violations.push(`model request ${this.#requests.length} (${request.ticketId} attempt ${request.attempt}) was asked while its worker waits at its budget pause (no model turn is asked while its budget is spent)`);
    }
    const archetypeOf = (ticket: string) => this.#ticketList().find((candidate) => candidate.id === ticket)?.worker_archetype;
    for (const problem of spentBudgets(this.#journal, this.#engine.options?.config, archetypeOf, request.ticketId)) {
      this.violations.push(`model request ${this.#requests.length} (${request.ticketId} attempt ${request.attempt}) was asked while ${problem} (no model turn is asked while its budget is spent)`);
    }
  }

  #watch(context: FlatWorkerContext): WorkerWatch {
    const key = `${context.ticketId}#${context.attempt}`;
    let watch = this.#watches.get(key);
    if (!watch) {
      watch = {
        previous: undefined,
        executing: null,
        released: new Set(),
        held: new Set(),
        approved: new Set(),
        interrupted: new Set(),
        reruns: new Set(),
        approvedAsEdited: new Set(),
        hints: new Set(),
        stepHints: new Set(),
        hintsHeld: new Set(),
        lifted: null,
      };
      this.#watches.set(key, watch);
    }
    return watch;
  }

  #observe(event: InspectionEvent): void {
    const conductor = event.actorRef === (this.#engine.conductor as AnyActorRef);
    if (event.type === '@xstate.event' && conductor && event.event.type.startsWith('xstate.error.actor.')) {
      const ticket = event.event.type.slice('xstate.error.actor.'.length);
      // The planner's crash is the planning state's to handle; a ticket's blocks it.
      if (ticket !== plannerKey) this.#journal.push({ kind: 'ticket.status', at: this.#engine.elapsed(), ticket, status: 'blocked', attempt: 0, reason: 'its actor crashed' });
      return;
    }
    // The conductor starts a ticket when it sends it ticket.start (it prepares before it reports running).
    if (event.type === '@xstate.event' && event.event.type === 'ticket.start') {
      const key = this.#engine.keyOf(event.actorRef as AnyActorRef);
      if (key?.startsWith('ticket:')) this.#journal.push({ kind: 'ticket.status', at: this.#engine.elapsed(), ticket: key.slice('ticket:'.length), status: STARTING, attempt: 0 });
      return;
    }
    if (event.type !== '@xstate.snapshot') return;
    if (conductor) return this.#observeConductor(event);
    const key = this.#engine.keyOf(event.actorRef as AnyActorRef);
    if (key?.startsWith('worker:')) this.#observeWorker(event);
  }

  #observeConductor(event: InspectionEvent & { type: '@xstate.snapshot' }): void {
    const { value, context } = event.snapshot as unknown as { value: StateValue; context: ConductorContext };
    const statusOf = (id: string) => at(context.tickets, context.indexOf[id]!).status;
    const why = event.event.type === 'conductor.set_mode' ? 'a mode switch dispatches at once' : 'the conductor dispatches at once';
    // Only the tickets the conductor has (a planned run has none before the approval).
    const known = this.#ticketList().filter(({ id }) => context.indexOf[id] !== undefined);
    for (const problem of readyButWaiting(value, context.maxConcurrency, known, statusOf)) this.violations.push(`after ${event.event.type}: ${problem} (${why})`);
  }

  #observeWorker(event: InspectionEvent & { type: '@xstate.snapshot' }): void {
    // The oracle reads the context flat, as views show it (it checks the machine, not its layout).
    const live = event.snapshot as unknown as { value: StateValue; status: string; context: WorkerContext | FlatWorkerContext };
    const snapshot = { value: live.value, status: live.status, context: flatWorkerContext(live.context) };
    const { value, context } = snapshot;
    const watch = this.#watch(context);
    const previous = watch.previous;
    const was = (state: StateValue) => previous !== undefined && matchesState(state, previous.value);
    const where = `${context.ticketId} attempt ${context.attempt}`;
    this.#observeBudget(watch, snapshot, event.event.type, where);
    if (matchesState(TOOL_CYCLE.executing, value)) {
      const call = currentCall(context.messages, context.results, context.review);
      if (call && (watch.executing !== call.id || !was(TOOL_CYCLE.executing))) {
        // Approved at pause 1, or edited and approved in one answer once its new preview was in.
        const approved = (event.event.type === 'clutch.approve' && was(TOOL_CYCLE.ready)) || watch.approvedAsEdited.has(call.id);
        // The human's rerun at the interrupted pause lets the call through again, whatever the trust.
        const rerun = event.event.type === 'clutch.rerun' && was(TOOL_CYCLE.interrupted);
        if (isStep(context) && !approved && !rerun) this.violations.push(`${where}: tool call ${call.id} started in step mode without an approve`);
        if (watch.interrupted.has(call.id) && !rerun) this.violations.push(`${where}: tool call ${call.id} was interrupted, and started again without a clutch.rerun`);
        if (rerun) watch.reruns.add(call.id);
        watch.released.add(call.id);
      }
      watch.executing = call?.id ?? null;
    } else {
      watch.executing = null;
    }
    if (matchesState(TOOL_CYCLE.interrupted, value)) {
      const call = currentCall(context.messages, context.results, context.review);
      if (call) watch.interrupted.add(call.id);
    }
    // A result that stops at pause 2: the tool's, the empty one the human took at the interrupted pause, or a QA hint.
    if (HOLDING.has(event.event.type) && matchesState(TOOL_CYCLE.reviewing, value) && context.review) watch.held.add(context.review.tool_use_id);
    // A QA hint: while the qa trust is step, it must wait at pause 2 whatever the worker's trust.
    if (context.hint && !watch.hints.has(context.hint.tool_use_id)) {
      watch.hints.add(context.hint.tool_use_id);
      if (qaIsStep(context)) watch.stepHints.add(context.hint.tool_use_id);
    }
    if (matchesState(TOOL_CYCLE.reviewing, value) && context.review && watch.stepHints.has(context.review.tool_use_id)) watch.hintsHeld.add(context.review.tool_use_id);
    const cause = event.event as { type: string; approve?: boolean };
    // Pause 2 passed by the human: approve, an edited result approved with it, or a switch to auto
    // that really let it go (a QA hint on step trust stays).
    const releasedByAuto = (cause.type === 'clutch.set_trust' || cause.type === 'worker.trust_override') && !isStep(context) && !matchesState(TOOL_CYCLE.reviewing, value);
    if ((cause.type === 'clutch.approve' || (cause.type === 'clutch.edit_result' && cause.approve === true) || releasedByAuto) && previous?.context.review && was(TOOL_CYCLE.reviewing)) {
      watch.approved.add(previous.context.review.tool_use_id);
    }
    if (cause.type === 'clutch.edit_payload' && cause.approve === true && previous) {
      const call = currentCall(context.messages, context.results, context.review);
      // Only an accepted edit carries its approval; a refused one approves nothing.
      if (call && context.approveEdited === call.id) watch.approvedAsEdited.add(call.id);
    }
    if (event.event.type === 'clutch.edit_payload' && previous) {
      for (const problem of editedBeyondItsCall(previous.context, context)) this.violations.push(`${where}: ${problem} (an edit changes only its own call)`);
      for (const problem of editMissingFromTranscript(previous.context, context)) this.violations.push(`${where}: ${problem} (the model sees the tool_use that really ran)`);
    }
    if (snapshot.status === 'active') {
      const committed = [...context.results.map((result) => result.tool_use_id), ...resultIds(context.messages)];
      for (const id of committed) {
        if (watch.held.has(id) && !watch.approved.has(id)) this.violations.push(`${where}: result of ${id} passed pause 2 without an approve`);
        for (const problem of this.#earlyHint(watch, id)) this.violations.push(`${where}: ${problem}`);
      }
    }
    watch.previous = { value, context };
  }

  /** A raise that lifted a budget, the turn it let go, and an abort at the budget pause. */
  #observeBudget(watch: WorkerWatch, snapshot: { value: StateValue; status: string; context: FlatWorkerContext }, cause: string, where: string): void {
    const { value, context } = snapshot;
    const previous = watch.previous;
    const lifted = watch.lifted;
    watch.lifted = null;
    if (lifted && cause === 'model.over_budget' && context.budget?.scope === lifted.scope && context.budget.reached === lifted.reached) {
      this.violations.push(`${where}: a raise lifted the ${lifted.scope} budget (${lifted.reached}), and the next turn stopped on it again before any turn spent more (a raise the engine accepts lifts the budget it answers)`);
    }
    if (!previous || !atBudgetPause(previous)) return;
    const stop = previous.context.budget;
    if (value === 'prompting' && stop && (cause === 'clutch.raise_budget' || cause === 'worker.budget_raised')) watch.lifted = { scope: stop.scope, reached: stop.reached };
    if (value === 'aborted' && cause === 'clutch.abort') {
      // The stop as the engine journaled it at the pause, not as the worker remembers it. The
      // ticket may have reported itself blocked already (a child's end reaches its parent first).
      const at = this.#journal.findLastIndex((entry) => entry.kind === 'budget.pause' && entry.ticket === context.ticketId && entry.attempt === context.attempt);
      const paused = this.#journal[at];
      const reason = paused?.kind === 'budget.pause' ? paused.reason : stop?.reason;
      if (reason) this.#budgetAborts.push({ ticket: context.ticketId.replace(/@review$/, ''), reason, from: Math.max(0, at) });
      else this.violations.push(`${where}: aborted at a budget pause that has no stop, neither journaled nor in the worker`);
    }
  }

  /** The ticket is step_paused while its worker (or reviewer) waits at its budget pause; an abort there keeps the spend as its reason. */
  #checkBudgets(): void {
    const statusOf = (id: string) => this.#engine.track().tickets.find((ticket) => ticket.id === id)?.status;
    for (const { id } of this.#ticketList()) {
      for (const worker of [id, reviewerId(id)]) {
        if (!atBudgetPause(this.#engine.worker(worker)?.getSnapshot())) continue;
        const status = statusOf(id);
        if (status !== 'step_paused') this.violations.push(`${worker} waits at its budget pause, but ticket ${id} is ${status} (the ticket is step_paused while its worker is at the budget pause)`);
      }
    }
    for (const abort of this.#budgetAborts) {
      const blocked = this.#journal.slice(abort.from).find((entry) => entry.kind === 'ticket.status' && entry.ticket === abort.ticket && entry.status === 'blocked');
      if (blocked?.kind !== 'ticket.status') continue;
      if (!blocked.reason?.includes(`at the budget pause: ${abort.reason}`)) {
        this.violations.push(`${abort.ticket} was aborted at its budget pause (${abort.reason}), but is blocked with ${JSON.stringify(blocked.reason ?? null)} (an abort at the budget pause blocks the ticket with the spend as its reason)`);
      }
    }
  }

  /** A QA hint on step trust that went on without stopping, or without an approve, at pause 2. */
  #earlyHint(watch: WorkerWatch, id: string): string[] {
    if (!watch.stepHints.has(id) || (watch.hintsHeld.has(id) && watch.approved.has(id))) return [];
    const how = watch.hintsHeld.has(id) ? 'without an approve there' : 'without stopping there';
    return [`the QA hint of ${id} went on past pause 2 ${how} (a QA hint never reaches the model before pause 2 when the qa trust is step)`];
  }

  /** Throws when any property failed since the run began. */
  check(): void {
    this.#checkRefusals();
    this.#checkRequests();
    this.#checkTools();
    this.#checkSchedule();
    this.#checkBudgets();
    for (const problem of skipProblems(this.#journal, this.#engine.track())) this.violations.push(`${problem} (a skipped ticket is reported as skipped)`);
    for (const problem of planningProblems(this.#journal)) this.violations.push(`${problem} (no ticket starts before the plan is approved)`);
    const reviewed = (id: string) => {
      const archetype = this.#ticketList().find((ticket) => ticket.id === id)?.worker_archetype;
      return archetype !== undefined && this.#engine.options?.config?.agents[archetype]?.review_by !== undefined;
    };
    for (const problem of reviewProblems(this.#journal, reviewed)) this.violations.push(`${problem} (a reviewed ticket completes only on an approve verdict, or a human's)`);
    if (this.violations.length > 0) throw new Error(`safety properties violated:\n  ${[...new Set(this.violations)].join('\n  ')}`);
  }

  /** A command that can() refuses changes nothing: sent anyway, the engine must refuse it. */
  #checkRefusals(): void {
    const worker = (id: string) => ({ target: { kind: 'worker' as const, id }, kind: 'worker' as const, ref: this.#engine.worker(id) as AnyActorRef | undefined });
    const targets: Array<{ target: Target; kind: keyof typeof PROBES; ref: AnyActorRef | undefined }> = [
      { target: { kind: 'conductor' }, kind: 'conductor', ref: this.#engine.conductor as AnyActorRef },
      // The planner and its agents, while it plans (a FakeEngine of the monitor's own test has none).
      { target: { kind: 'planner' }, kind: 'planner', ref: this.#engine.planner?.() as AnyActorRef | undefined },
      worker(PLAN_PM),
      worker(PLAN_LEAD),
      ...this.#ticketList().flatMap(({ id }) => [
        { target: { kind: 'ticket' as const, id }, kind: 'ticket' as const, ref: this.#engine.ticket(id) as AnyActorRef | undefined },
        worker(id),
        worker(reviewerId(id)),
      ]),
    ];
    for (const { target, kind, ref } of targets) {
      const snapshot = ref?.getSnapshot() as { status: string; can(event: unknown): boolean } | undefined;
      if (!snapshot || snapshot.status !== 'active') continue;
      const name = 'id' in target ? `${target.kind}:${target.id}` : target.kind;
      // At a budget pause: a raise at the spend, which lifts nothing. The engine must refuse it.
      const stop = kind === 'worker' && atBudgetPause(snapshot) ? flatWorkerContext((snapshot as unknown as { context: WorkerContext }).context).budget : undefined;
      const low: Command | undefined = stop ? { type: 'clutch.raise_budget', ...(stop.reached === 'tokens' ? { max_tokens: stop.spent.tokens } : { max_cost: stop.spent.cost_usd ?? 0 }) } : undefined;
      if (low) {
        const journaled = this.#journal.length;
        const accepted = this.#engine.command(target, low);
        if (accepted || ref!.getSnapshot() !== snapshot || this.#journal.length !== journaled) {
          this.violations.push(`${name}: a raise at the spend (${JSON.stringify(low)}) was ${accepted ? 'accepted' : 'refused but changed something'} at the budget pause (a raise that does not lift the budget changes nothing)`);
        }
      }
      for (const command of PROBES[kind]) {
        if (snapshot.can(command)) continue;
        const journaled = this.#journal.length;
        const accepted = this.#engine.command(target, command);
        const changed = ref!.getSnapshot() !== snapshot;
        if (accepted || changed || this.#journal.length !== journaled) {
          this.violations.push(`${name}: ${command.type} is refused by can(), yet the engine ${accepted ? 'accepted it' : 'let it change something'} (a command that can() refuses changes nothing)`);
        }
      }
      // An edit of the plan is checked like a track file: an invalid one is refused even where an edit is accepted.
      if (kind === 'planner') {
        const journaled = this.#journal.length;
        const accepted = this.#engine.command(target, { type: 'plan.edit', track: INVALID_PLAN });
        if (accepted || ref!.getSnapshot() !== snapshot || this.#journal.length !== journaled) {
          this.violations.push(`planner: an invalid plan.edit (a cycle, an unknown archetype) was ${accepted ? 'accepted' : 'refused but changed something'} (an invalid plan edit changes nothing)`);
        }
      }
    }
  }

  #checkRequests(): void {
    const { ran, problems } = ranInputs(this.#journal, this.#engine.options?.log);
    for (const problem of problems) this.violations.push(`${problem} (the model sees the tool_use that really ran)`);
    for (; this.#requestsChecked < this.#requests.length; this.#requestsChecked += 1) {
      const request = this.#requests[this.#requestsChecked]!;
      const where = `model request ${this.#requestsChecked + 1} (${request.ticketId} attempt ${request.attempt})`;
      for (const problem of unpairedCalls(request.messages)) this.violations.push(`${where}: ${problem}`);
      for (const problem of requestShowsWhatRan(request, ran)) this.violations.push(`${where}: ${problem} (the model sees the tool_use that really ran)`);
      const watch = this.#watches.get(`${request.ticketId}#${request.attempt}`);
      for (const id of resultIds(request.messages)) {
        if (watch?.held.has(id) && !watch.approved.has(id)) this.violations.push(`${where}: the model saw the result of ${id} before pause 2 was approved`);
        if (watch) for (const problem of this.#earlyHint(watch, id)) this.violations.push(`${where}: ${problem}`);
      }
    }
  }

  #checkTools(): void {
    const released = new Set([...this.#watches.values()].flatMap((watch) => [...watch.released]));
    const ledger = this.#engine.options?.log;
    for (const [key, watch] of this.#watches) {
      const [ticket, attempt] = key.split('#') as [string, string];
      for (const id of watch.interrupted) {
        if (watch.reruns.has(id)) continue;
        if (ledger?.toolCall({ ticket, attempt: Number(attempt), toolUseId: id })?.result) {
          this.violations.push(`${key}: tool call ${id} was interrupted and has a result in the run store, but the human never chose to rerun it`);
        }
        if (this.#workspaces().some((folder) => existsSync(join(folder, `${id}.txt`)))) this.violations.push(`${key}: tool call ${id} was interrupted, and its command ran without a clutch.rerun`);
      }
    }
    const runs = new Map<string, number>();
    for (const entry of this.#journal) {
      if (entry.kind !== 'tool') continue;
      const key = `${entry.ticket}#${entry.attempt}`;
      runs.set(key, (runs.get(key) ?? 0) + 1);
    }
    for (const [key, count] of runs) {
      const allowed = this.#watches.get(key)?.released.size ?? 0;
      if (count > allowed) this.violations.push(`${key}: the journal has ${count} tool runs but only ${allowed} calls were let through`);
    }
    // Scripted write calls write `<call id>.txt`: a file for a call never let through ran unapproved.
    for (const folder of this.#workspaces()) {
      for (const name of readdirSync(folder)) {
        const id = name.replace(/\.txt$/, '');
        if (name.endsWith('.txt') && !released.has(id)) this.violations.push(`${folder} has ${name}, but call ${id} was never let through`);
      }
    }
  }

  #checkSchedule(): void {
    const status = new Map<string, string>();
    const dependencies = new Map(this.#ticketList().map((ticket) => [ticket.id, ticket.dependencies]));
    let mode = 'async';
    const aborts: Array<{ ticket: string; reviewer: boolean; index: number }> = [];
    this.#journal.forEach((entry, index) => {
      if (entry.kind === 'run.start') mode = entry.mode;
      if (entry.kind === 'command') {
        const event = entry.event as { type: string; mode?: string };
        if (entry.target === 'conductor' && event.type === 'conductor.set_mode' && event.mode) mode = event.mode;
        // The planner's agents have no ticket; a reviewer's abort blocks the ticket it reviews.
        const worker = entry.target.startsWith('worker:') ? entry.target.slice('worker:'.length) : undefined;
        if (worker && !worker.startsWith('@') && event.type === 'clutch.abort') aborts.push({ ticket: worker.replace(/@review$/, ''), reviewer: worker.endsWith('@review'), index });
      }
      if (entry.kind !== 'ticket.status') return;
      const before = status.get(entry.ticket);
      // A start: the conductor's ticket.start, or (where none was seen) running after pending or
      // blocked; a review's request for changes goes on running.
      const start = entry.status === STARTING || (entry.status === 'running' && before !== 'step_paused' && before !== 'running' && before !== STARTING);
      if (start) {
        const others = [...status].filter(([id, value]) => id !== entry.ticket && (value === 'running' || value === 'step_paused' || value === STARTING));
        if (mode === 'linear' && others.length > 0) this.violations.push(`linear mode started ${entry.ticket} while ${others.map(([id]) => id).join(', ')} ran`);
        const open = (dependencies.get(entry.ticket) ?? []).filter((dependency) => status.get(dependency) !== 'completed');
        if (open.length > 0) this.violations.push(`${entry.ticket} started before its dependencies ${open.join(', ')} completed`);
      }
      status.set(entry.ticket, entry.status);
    });
    for (const abort of aborts) {
      // Leaving the pause resumes the ticket first; the status after that must be blocked.
      const next = this.#journal
        .slice(abort.index + 1)
        .find((entry) => entry.kind === 'ticket.status' && entry.ticket === abort.ticket && entry.status !== 'running');
      const why = abort.reviewer ? next?.kind === 'ticket.status' && next.reason?.includes('aborted') : next?.kind === 'ticket.status' && next.reason?.startsWith('aborted');
      if (!next || next.kind !== 'ticket.status' || next.status !== 'blocked' || !why) {
        this.violations.push(`the abort of ${abort.reviewer ? `the reviewer of ${abort.ticket}` : abort.ticket} did not leave it blocked with a reason (next: ${JSON.stringify(next ?? null)})`);
      }
    }
  }
}
