/**
 * The safety properties of DESIGN §4 and §9, watched on the real engine while a path runs and
 * asserted after every step:
 * - no tool executes in step mode without an approve (worker snapshots entering `executing`, the
 *   journal's `tool` entries and the files the tools wrote);
 * - pause 2 comes before a result reaches the model (a result that stopped at pause 2 enters the
 *   transcript, and any model request, only after an approve at `reviewingResult`);
 * - every tool_use is answered by a tool_result in every transcript sent to the model;
 * - a call that reached the interrupted pause never runs again without the human's `clutch.rerun`
 *   there: it enters `executing` again only through a rerun, and until one, the run store's
 *   ledger has no result for it and the file its command writes does not exist;
 * - linear mode never starts a ticket while another one runs (replayed from the journal);
 * - no ticket starts before its dependencies completed (replayed from the journal);
 * - an abort leaves the ticket blocked with a reason.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import type { Engine } from '../actors/engine.js';
import type { JournalEntry } from '../actors/journal.js';
import { currentCall } from '../machines/transcript.js';
import type { WorkerContext } from '../machines/worker-types.js';
import type { ModelMessage, Ticket } from '../protocol/index.js';
import type { RecordedRequest } from './fakes.js';

interface WorkerWatch {
  previous: { value: unknown; context: WorkerContext } | undefined;
  executing: string | null;
  /** Calls let through to runTool (approved at pause 1, or passed by an auto gate). */
  released: Set<string>;
  /** Results that stopped at pause 2, and those of them the human approved. */
  held: Set<string>;
  approved: Set<string>;
  /** Calls that stopped at the interrupted pause, and those of them the human chose to rerun. */
  interrupted: Set<string>;
  reruns: Set<string>;
}

const isStep = (context: WorkerContext) => (context.trustOverride === 'none' ? context.trust : context.trustOverride) === 'step';
const matches = (value: unknown, path: string[]) => {
  let cursor: unknown = value;
  for (const [index, key] of path.entries()) {
    if (index === path.length - 1) return cursor === key || (typeof cursor === 'object' && cursor !== null && key in cursor);
    if (typeof cursor !== 'object' || cursor === null) return false;
    cursor = (cursor as Record<string, unknown>)[key];
  }
  return false;
};

function resultIds(messages: readonly ModelMessage[]): string[] {
  return messages.flatMap((message) =>
    message.role === 'user' && Array.isArray(message.content)
      ? message.content.flatMap((block) => (block.type === 'tool_result' ? [block.tool_use_id] : []))
      : [],
  );
}

/** Every tool_use answered in the next message, and nothing answered that was not asked. */
export function unpairedCalls(messages: readonly ModelMessage[]): string[] {
  const problems: string[] = [];
  messages.forEach((message, index) => {
    const asked = message.role === 'assistant' && Array.isArray(message.content) ? message.content.flatMap((block) => (block.type === 'tool_use' ? [block.id] : [])) : [];
    const next = messages[index + 1];
    const answered = next && next.role === 'user' && Array.isArray(next.content) ? next.content.flatMap((block) => (block.type === 'tool_result' ? [block.tool_use_id] : [])) : [];
    for (const id of asked) if (!answered.includes(id)) problems.push(`tool_use ${id} (message ${index}) has no tool_result after it`);
    if (message.role === 'user' && Array.isArray(message.content)) {
      const previous = messages[index - 1];
      const calls = previous?.role === 'assistant' && Array.isArray(previous.content) ? previous.content.flatMap((block) => (block.type === 'tool_use' ? [block.id] : [])) : [];
      for (const id of resultIds([message])) if (!calls.includes(id)) problems.push(`tool_result ${id} (message ${index}) answers no tool_use before it`);
    }
  });
  if (messages.at(-1)?.role !== 'user') problems.push('the transcript does not end with a user message');
  return problems;
}

export class Monitor {
  readonly violations: string[] = [];
  readonly #watches = new Map<string, WorkerWatch>();
  readonly #engine: Engine;
  /** The journal, plus the ticket crashes the conductor learns of (the journal has no entry for those). */
  readonly #journal: JournalEntry[] = [];
  readonly #requests: readonly RecordedRequest[];
  readonly #workspace: string;
  readonly #tickets: readonly Ticket[];
  #requestsChecked = 0;

  constructor(options: { engine: Engine; requests: readonly RecordedRequest[]; workspace: string; tickets: readonly Ticket[] }) {
    this.#engine = options.engine;
    options.engine.journal.subscribe((entry) => this.#journal.push(entry));
    this.#requests = options.requests;
    this.#workspace = options.workspace;
    this.#tickets = options.tickets;
    options.engine.subscribeInspection((event) => this.#observe(event));
  }

  #watch(context: WorkerContext): WorkerWatch {
    const key = `${context.ticketId}#${context.attempt}`;
    let watch = this.#watches.get(key);
    if (!watch) {
      watch = { previous: undefined, executing: null, released: new Set(), held: new Set(), approved: new Set(), interrupted: new Set(), reruns: new Set() };
      this.#watches.set(key, watch);
    }
    return watch;
  }

  #observe(event: InspectionEvent): void {
    if (event.type === '@xstate.event' && event.actorRef === (this.#engine.conductor as AnyActorRef) && event.event.type.startsWith('xstate.error.actor.')) {
      const ticket = event.event.type.slice('xstate.error.actor.'.length);
      this.#journal.push({ kind: 'ticket.status', at: this.#engine.elapsed(), ticket, status: 'blocked', attempt: 0, reason: 'its actor crashed' });
      return;
    }
    if (event.type !== '@xstate.snapshot') return;
    const key = this.#engine.keyOf(event.actorRef as AnyActorRef);
    if (!key?.startsWith('worker:')) return;
    const snapshot = event.snapshot as unknown as { value: unknown; status: string; context: WorkerContext };
    const context = snapshot.context;
    const watch = this.#watch(context);
    const previous = watch.previous;
    const where = `${context.ticketId} attempt ${context.attempt}`;
    const executing = matches(snapshot.value, ['toolCycle', 'executing']);
    if (executing) {
      const call = currentCall(context.messages, context.results, context.review);
      if (call && (watch.executing !== call.id || !previous || !matches(previous.value, ['toolCycle', 'executing']))) {
        const was = (path: string[]) => previous !== undefined && matches(previous.value, path);
        const approved = event.event.type === 'clutch.approve' && was(['toolCycle', 'awaitingApproval', 'ready']);
        // The human's rerun at the interrupted pause lets the call through again, whatever the trust.
        const rerun = event.event.type === 'clutch.rerun' && was(['toolCycle', 'interrupted']);
        if (isStep(context) && !approved && !rerun) this.violations.push(`${where}: tool call ${call.id} started in step mode without an approve`);
        if (watch.interrupted.has(call.id) && !rerun) this.violations.push(`${where}: tool call ${call.id} was interrupted, and started again without a clutch.rerun`);
        if (rerun) watch.reruns.add(call.id);
        watch.released.add(call.id);
      }
      watch.executing = call?.id ?? null;
    } else {
      watch.executing = null;
    }
    if (matches(snapshot.value, ['toolCycle', 'interrupted'])) {
      const call = currentCall(context.messages, context.results, context.review);
      if (call) watch.interrupted.add(call.id);
    }
    // A result that stops at pause 2: the tool's, or the empty one the human took at the interrupted pause.
    const heldBy = event.event.type === 'xstate.done.actor.tool' || event.event.type === 'clutch.use_output';
    if (heldBy && matches(snapshot.value, ['toolCycle', 'reviewingResult']) && context.review) {
      watch.held.add(context.review.tool_use_id);
    }
    if (event.event.type === 'clutch.approve' && previous && matches(previous.value, ['toolCycle', 'reviewingResult']) && previous.context.review) {
      watch.approved.add(previous.context.review.tool_use_id);
    }
    if (snapshot.status === 'active') {
      const committed = [...context.results.map((result) => result.tool_use_id), ...resultIds(context.messages)];
      for (const id of committed) {
        if (watch.held.has(id) && !watch.approved.has(id)) this.violations.push(`${where}: result of ${id} passed pause 2 without an approve`);
      }
    }
    watch.previous = { value: snapshot.value, context };
  }

  /** Throws when any property failed since the run began. */
  check(): void {
    this.#checkRequests();
    this.#checkTools();
    this.#checkSchedule();
    if (this.violations.length > 0) throw new Error(`safety properties violated:\n  ${[...new Set(this.violations)].join('\n  ')}`);
  }

  #checkRequests(): void {
    for (; this.#requestsChecked < this.#requests.length; this.#requestsChecked += 1) {
      const request = this.#requests[this.#requestsChecked]!;
      const where = `model request ${this.#requestsChecked + 1} (${request.ticketId} attempt ${request.attempt})`;
      for (const problem of unpairedCalls(request.messages)) this.violations.push(`${where}: ${problem}`);
      const watch = this.#watches.get(`${request.ticketId}#${request.attempt}`);
      for (const id of resultIds(request.messages)) {
        if (watch?.held.has(id) && !watch.approved.has(id)) this.violations.push(`${where}: the model saw the result of ${id} before pause 2 was approved`);
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
        if (existsSync(join(this.#workspace, `${id}.txt`))) this.violations.push(`${key}: tool call ${id} was interrupted, and its command ran without a clutch.rerun`);
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
    for (const name of readdirSync(this.#workspace)) {
      const id = name.replace(/\.txt$/, '');
      if (name.endsWith('.txt') && !released.has(id)) this.violations.push(`the workspace has ${name}, but call ${id} was never let through`);
    }
  }

  #checkSchedule(): void {
    const status = new Map<string, string>();
    const dependencies = new Map(this.#tickets.map((ticket) => [ticket.id, ticket.dependencies]));
    let mode = 'async';
    const aborts: Array<{ ticket: string; index: number }> = [];
    this.#journal.forEach((entry, index) => {
      if (entry.kind === 'run.start') mode = entry.mode;
      if (entry.kind === 'command') {
        const event = entry.event as { type: string; mode?: string };
        if (entry.target === 'conductor' && event.type === 'conductor.set_mode' && event.mode) mode = event.mode;
        if (entry.target.startsWith('worker:') && event.type === 'clutch.abort') aborts.push({ ticket: entry.target.slice('worker:'.length), index });
      }
      if (entry.kind !== 'ticket.status') return;
      const before = status.get(entry.ticket);
      if (entry.status === 'running' && before !== 'step_paused') {
        const others = [...status].filter(([id, value]) => id !== entry.ticket && (value === 'running' || value === 'step_paused'));
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
      if (!next || next.kind !== 'ticket.status' || next.status !== 'blocked' || !next.reason?.startsWith('aborted')) {
        this.violations.push(`the abort of ${abort.ticket} did not leave it blocked with a reason (next: ${JSON.stringify(next ?? null)})`);
      }
    }
  }
}
