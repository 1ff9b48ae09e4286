import type { BudgetLimits, UsageSummary } from '../protocol/index.js';

export type JournalEntry =
  | { kind: 'run.start'; at: number; track: string; mode: string; trust_override: string; request?: string }
  /** The human approved the plan of the run's request: it is the run's track now. */
  | { kind: 'plan.approved'; at: number; tickets: number; title: string; path?: string }
  | { kind: 'ticket.status'; at: number; ticket: string; status: string; attempt: number; reason?: string; summary?: string }
  | { kind: 'tool.start'; at: number; ticket: string; attempt: number; tool: string; tool_use_id: string }
  /** duration_ms: from its tool.start (absent when the start was before a restore). */
  | { kind: 'tool'; at: number; ticket: string; attempt: number; tool: string; tool_use_id: string; input: unknown; is_error: boolean; output: string; duration_ms?: number }
  /** A pause released by a switch to auto; the switch is the command just before it. */
  | { kind: 'auto_approve'; at: number; ticket: string; attempt: number; pause: 'approval' | 'review'; tool: string; tool_use_id: string; cause: string }
  /** A model call held back by its profile's rate limits. until: epoch ms, or null while unknown. */
  | { kind: 'model.wait'; at: number; ticket: string; attempt: number; profile: string; reason: string; until: number | null }
  /** Before a retry: what became of the files the ticket's attempts changed. */
  | { kind: 'ticket.files'; at: number; ticket: string; choice: 'restore' | 'keep'; files: string[] }
  | { kind: 'worktree.ready'; at: number; ticket: string; attempt: number; path: string; base: string; created: boolean }
  | { kind: 'worktree.merged'; at: number; ticket: string; attempt: number; commit: string; already: boolean }
  | { kind: 'worktree.conflict'; at: number; ticket: string; attempt: number; files: string[] }
  /** A QA hint: the journal keeps it beside the command's whole output (the `tool` entry before it). */
  | { kind: 'qa.hint'; at: number; ticket: string; attempt: number; tool_use_id: string; archetype: string; hint: string; saved_tokens: number; raw_chars: number }
  /** A code review's verdict: the ticket's attempt, and the review's round within it (1, 2, ...). */
  | { kind: 'review.verdict'; at: number; ticket: string; attempt: number; round: number; verdict: 'approve' | 'request_changes'; comments: string }
  | { kind: 'edit'; at: number; ticket: string; attempt: number; edit: unknown }
  | { kind: 'command'; at: number; target: string; event: unknown; request_id?: string }
  | { kind: 'tool.interrupted'; at: number; ticket: string; attempt: number; tool: string; tool_use_id: string; input: unknown }
  | { kind: 'run.resume'; at: number; track: string; run?: string }
  | { kind: 'debug_state'; at: number; after_ticket: string; path: string }
  | { kind: 'model.turn'; at: number; ticket: string; attempt: number; profile: string; stop_reason: string; input_tokens: number; output_tokens: number }
  | { kind: 'model.retry'; at: number; ticket: string; attempt: number; profile: string; reason: string; retry_at: number }
  /** A model turn held back by a spent budget: the worker waits at its budget pause. */
  | { kind: 'budget.pause'; at: number; ticket: string; attempt: number; scope: 'ticket' | 'run'; reached: 'tokens' | 'cost'; tokens: number; cost_usd: number | null; limits: BudgetLimits; reason: string }
  /** The human raised a budget at its pause (restored on resume). */
  | { kind: 'budget.raised'; at: number; ticket: string; scope: 'ticket' | 'run'; limits: BudgetLimits }
  | ({ kind: 'usage'; at: number } & UsageSummary)
  | { kind: 'run.end'; at: number; tickets: Record<string, string> };

type Listener = (entry: JournalEntry) => void;

/** Where every entry goes to be kept (the run store); without one the journal lives in memory only. */
export interface JournalSink {
  append(entry: JournalEntry): void;
}

/**
 * The run's journal: every status change, tool call, human command and edit (with the original).
 * The whole journal goes to the sink (the run store); memory keeps a bounded tail for the UI and
 * debug_state.json.
 */
export class Journal {
  readonly #tail: JournalEntry[];
  readonly #tailSize: number;
  readonly #listeners = new Set<Listener>();
  readonly #sink: JournalSink | undefined;
  #count: number;

  constructor(options: { sink?: JournalSink; tailSize?: number; tail?: JournalEntry[]; count?: number } = {}) {
    this.#tailSize = options.tailSize ?? 200;
    this.#sink = options.sink;
    this.#tail = (options.tail ?? []).slice(-this.#tailSize);
    this.#count = options.count ?? this.#tail.length;
  }

  append(entry: JournalEntry): void {
    this.#count += 1;
    this.#tail.push(entry);
    if (this.#tail.length > this.#tailSize) this.#tail.shift();
    this.#sink?.append(entry);
    for (const listener of this.#listeners) listener(entry);
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  tail(count = this.#tailSize): JournalEntry[] {
    return this.#tail.slice(-count);
  }

  get count(): number {
    return this.#count;
  }
}
