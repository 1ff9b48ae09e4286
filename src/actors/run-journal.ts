import type { AnyActorRef, InspectionEvent } from 'xstate';
import type { TicketChanged } from '../machines/ticket.js';
import { parseKey } from '../protocol/actor-keys.js';
import type { WorkerEmitted, WorkerOutput } from '../machines/worker-types.js';
import type { DoneActorEvent } from 'xstate';
import type { RunLog } from '../store/index.js';
import type { TicketRef, WorkerRef } from './engine-machine.js';
import type { FinishedArchive } from './finished-archive.js';
import { actorKey } from './inspection-fanout.js';
import type { ModelEvent, QaHintEvent } from './io-actors.js';
import type { Journal, JournalEntry } from './journal.js';
import type { UsageLedger } from './usage.js';
import type { Budgets } from './budgets.js';

/**
 * The journal entry for each event a worker emits. startedAt: when the call that ended started,
 * if it is known (a call restored mid-run has no start).
 */
export function workerEntry(event: WorkerEmitted, at: number, startedAt?: number): JournalEntry {
  const base = { at, ticket: event.ticketId, attempt: event.attempt };
  switch (event.type) {
    case 'worker.tool_start':
      return { kind: 'tool.start', ...base, tool: event.call.name, tool_use_id: event.call.id };
    case 'worker.auto_approved':
      return { kind: 'auto_approve', ...base, pause: event.pause, tool: event.call.name, tool_use_id: event.call.id, cause: event.cause };
    case 'worker.tool_done':
      return {
        kind: 'tool',
        ...base,
        tool: event.call.name,
        tool_use_id: event.call.id,
        input: event.call.input,
        is_error: event.output.is_error,
        output: event.output.content,
        ...(startedAt !== undefined ? { duration_ms: at - startedAt } : {}),
      };
    case 'worker.interrupted':
      return { kind: 'tool.interrupted', ...base, tool: event.call.name, tool_use_id: event.call.id, input: event.call.input };
    case 'worker.edit':
      return { kind: 'edit', ...base, edit: event.edit };
  }
}

/**
 * What the run records as it goes: status changes, tool calls, edits and model turns into the
 * journal, tokens into the usage ledger, and the last snapshots of tickets and workers that end
 * into the finished archive.
 */
export class RunRecorder {
  readonly #journal: Journal;
  readonly #usage: UsageLedger;
  readonly #finished: FinishedArchive;
  readonly #elapsed: () => number;

  constructor(journal: Journal, usage: UsageLedger, finished: FinishedArchive, elapsed: () => number) {
    this.#journal = journal;
    this.#usage = usage;
    this.#finished = finished;
    this.#elapsed = elapsed;
  }

  /** A resumed run counts the tokens it spent before the crash, and the budget raises given, from its journal. */
  restoreUsage(log: RunLog, budgets: Budgets): void {
    for (const entry of log.journalOfKind('budget.raised') as IterableIterator<Extract<JournalEntry, { kind: 'budget.raised' }>>) {
      budgets.raise(entry.scope, entry.ticket, entry.limits);
    }
    for (const entry of log.journalOfKind('model.turn') as IterableIterator<Extract<JournalEntry, { kind: 'model.turn' }>>) {
      this.#usage.add(entry.ticket, entry.profile, { input_tokens: entry.input_tokens, output_tokens: entry.output_tokens });
    }
    for (const entry of log.journalOfKind('qa.hint') as IterableIterator<Extract<JournalEntry, { kind: 'qa.hint' }>>) {
      this.#usage.addQaHint(entry.saved_tokens);
    }
  }

  /** A QA hint, journaled and counted. */
  qaHint(event: QaHintEvent): void {
    this.#usage.addQaHint(event.saved_tokens);
    this.#journal.append({
      kind: 'qa.hint',
      at: this.#elapsed(),
      ticket: event.ticketId,
      attempt: event.attempt,
      tool_use_id: event.toolUseId,
      archetype: event.archetype,
      hint: event.hint,
      saved_tokens: event.saved_tokens,
      raw_chars: event.raw_chars,
    });
  }

  model(event: ModelEvent): void {
    const base = { at: this.#elapsed(), ticket: event.ticketId, attempt: event.attempt, profile: event.profile };
    if (event.type === 'turn') {
      this.#usage.add(event.ticketId, event.profile, event.usage);
      this.#journal.append({ kind: 'model.turn', ...base, stop_reason: event.stop_reason, ...event.usage });
    } else if (event.type === 'budget') {
      const { scope, reached, spent, limits, reason } = event.budget;
      this.#journal.append({ kind: 'budget.pause', at: base.at, ticket: base.ticket, attempt: base.attempt, scope, reached, tokens: spent.tokens, cost_usd: spent.cost_usd, limits, reason });
    } else if (event.type === 'wait') {
      this.#journal.append({ kind: 'model.wait', ...base, reason: event.reason, until: event.until });
    } else {
      this.#journal.append({ kind: 'model.retry', ...base, reason: event.reason, retry_at: event.retry_at });
    }
  }

  /** Sees every inspection event, from the conductor's creation on (restored actors included). */
  inspect(event: InspectionEvent): void {
    // Status changes are journaled as the tickets report them to the conductor: that is causal
    // order, where snapshot observers of nested actors fire after the sends they caused.
    if (event.type === '@xstate.event' && event.event.type === 'ticket.changed') {
      const change = event.event as TicketChanged;
      this.#journal.append({
        kind: 'ticket.status',
        at: this.#elapsed(),
        ticket: change.id,
        status: change.status,
        attempt: change.attempts,
        ...(change.status === 'blocked' && change.blocked_reason ? { reason: change.blocked_reason } : {}),
        ...(change.status === 'completed' && change.summary ? { summary: change.summary } : {}),
      });
    }
    // A review's verdict, as its ticket receives it (before the ticket counts the round).
    if (event.type === '@xstate.event' && event.event.type === 'xstate.done.actor.reviewer') this.#verdict(event.actorRef as unknown as TicketRef, event.event as DoneActorEvent<WorkerOutput>);
    if (event.type === '@xstate.actor') {
      const key = actorKey(event.actorRef as AnyActorRef);
      const actor = key === undefined ? undefined : parseKey(key);
      if (actor?.kind === 'ticket') this.#followTicket(actor.id, event.actorRef as unknown as TicketRef);
      else if (actor?.kind === 'worker') this.#followWorker(actor.id, event.actorRef as unknown as WorkerRef);
    }
  }

  #verdict(ticket: TicketRef, event: DoneActorEvent<WorkerOutput>): void {
    const output = event.output;
    const finished = output.outcome === 'completed' ? output.finished : undefined;
    if (!finished || (finished.name !== 'approve_change' && finished.name !== 'request_changes')) return;
    const context = ticket.getSnapshot().context;
    const text = finished.input[finished.name === 'approve_change' ? 'comment' : 'comments'];
    this.#journal.append({
      kind: 'review.verdict',
      at: this.#elapsed(),
      ticket: context.ticket.id,
      attempt: context.attempts,
      round: context.round + 1,
      verdict: finished.name === 'approve_change' ? 'approve' : 'request_changes',
      comments: typeof text === 'string' ? text : '',
    });
  }

  #followTicket(id: string, ticket: TicketRef): void {
    ticket.subscribe({
      next: (snapshot) => {
        if (snapshot.status === 'done') this.#finished.set(id, { ticket: ticket.getPersistedSnapshot() });
      },
      error: () => {},
    });
  }

  #followWorker(ticketId: string, worker: WorkerRef): void {
    // When each call of this worker started, to journal how long it ran.
    const started = new Map<string, number>();
    worker.on('*', (event: WorkerEmitted) => {
      const at = this.#elapsed();
      if (event.type === 'worker.tool_start') started.set(event.call.id, at);
      const startedAt = event.type === 'worker.tool_done' ? started.get(event.call.id) : undefined;
      if (event.type === 'worker.tool_done' || event.type === 'worker.interrupted') started.delete(event.call.id);
      this.#journal.append(workerEntry(event, at, startedAt));
    });
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
