import { parseKey } from '../protocol/actor-keys.js';
import type { JournalRow } from './journal-log.js';

/**
 * What each agent is doing, read from the journal rows: one line per tool call (started, then
 * ended with its duration), per wait for a rate limit, per human answer, per auto release and per
 * status change. Pure: the time "now" is given, so the same rows always read the same.
 */
export type ActivityItem =
  | {
      kind: 'tool';
      key: string;
      at: number;
      epoch: number;
      ticket: string;
      attempt: number;
      tool: string;
      tool_use_id: string;
      detail?: string;
      state: 'running' | 'done' | 'error' | 'interrupted';
      /** Known once it ended: the journal's duration, or end minus start. */
      duration_ms: number | null;
    }
  | { kind: 'wait'; key: string; at: number; epoch: number; ticket: string; reason: string; until: number | null }
  | { kind: 'human'; key: string; at: number; epoch: number; ticket: string | null; text: string }
  | { kind: 'auto'; key: string; at: number; epoch: number; ticket: string; text: string }
  /** A retry restored the ticket's files, or kept them. */
  | { kind: 'files'; key: string; at: number; epoch: number; ticket: string; text: string }
  | { kind: 'status'; key: string; at: number; epoch: number; ticket: string; status: string; attempt: number; text: string }
  | { kind: 'run'; key: string; at: number; epoch: number; text: string }
  /** A code review's verdict, or a QA hint for a failing command. */
  | { kind: 'review' | 'qa'; key: string; at: number; epoch: number; ticket: string; text: string };

const pauseWords: Record<string, string> = { approval: 'pause 1 (approval)', review: 'pause 2 (review)', interrupted: 'the interrupted pause', budget: 'the budget pause' };

function pauseText(pause: unknown): string {
  if (!pause || typeof pause !== 'object') return '';
  const { kind, tool_use_id: id } = pause as { kind?: unknown; tool_use_id?: unknown };
  const words = typeof kind === 'string' ? (pauseWords[kind] ?? kind) : 'a pause';
  // A budget pause has no call: its id only numbers it.
  if (kind === 'budget') return ` at ${words}`;
  return typeof id === 'string' ? ` at ${words} of ${id}` : ` at ${words}`;
}

/** "500,000 tokens and $2.00": the limits a raise set. */
function limitsText(event: Record<string, unknown> | undefined): string {
  const tokens = typeof event?.['max_tokens'] === 'number' ? `${event['max_tokens'].toLocaleString('en-US')} tokens` : '';
  const cost = typeof event?.['max_cost'] === 'number' ? `$${event['max_cost'].toFixed(2)}` : '';
  return [tokens, cost].filter(Boolean).join(' and ') || 'more';
}

/** A human command in words: "approved at pause 1 (approval) of toolu_T1_01". */
export function commandText(event: Record<string, unknown> | undefined): string {
  const type = typeof event?.['type'] === 'string' ? event['type'] : 'a command';
  const at = pauseText(event?.['pause']);
  const approve = event?.['approve'] === true ? ' and approved' : '';
  switch (type) {
    case 'clutch.approve':
      return `approved${at}`;
    case 'clutch.edit_payload':
      return `edited the payload${approve}${at}`;
    case 'clutch.edit_result':
      return `edited the result${approve}${at}`;
    case 'clutch.edit_message':
      return `rewrote the model's last message${at}`;
    case 'clutch.abort':
      return `aborted${at}${typeof event?.['reason'] === 'string' ? `: ${event['reason']}` : ''}`;
    case 'clutch.rerun':
      return `chose Re-run${at}`;
    case 'clutch.use_output':
      return `chose Use this output (empty)${at}`;
    case 'clutch.raise_budget':
      return `raised the budget to ${limitsText(event)}${at}`;
    case 'clutch.set_trust':
      return `set the clutch to ${String(event?.['trust'])}`;
    case 'clutch.retry_now':
      return 'retried the model call now';
    case 'ticket.retry':
      return event?.['files'] === 'restore' ? "retried it, restoring the ticket's files" : event?.['files'] === 'keep' ? 'retried it, keeping the changes' : 'retried it';
    case 'ticket.skip':
      return 'skipped it';
    case 'conductor.start':
      return 'started the run';
    case 'conductor.set_mode':
      return `set the mode to ${String(event?.['mode'])}`;
    case 'conductor.set_trust_override':
      return `set the trust override to ${String(event?.['override'])}`;
    case 'conductor.request':
      return 'asked for a plan of the request';
    case 'plan.edit':
      return 'edited the plan';
    case 'plan.approve':
      return 'approved the plan';
    case 'plan.send_back':
      return `sent the plan back${typeof event?.['comment'] === 'string' ? `: ${event['comment']}` : ''}`;
    case 'plan.retry':
      return 'asked the pm again';
    default:
      return type;
  }
}

const statusWords: Record<string, string> = { pending: 'pending', running: 'running', step_paused: 'paused', blocked: 'blocked', completed: 'completed' };

function statusText(row: JournalRow): string {
  const word = statusWords[row.status ?? ''] ?? row.status ?? 'changed';
  if (row.status === 'blocked' && row.reason) return `blocked: ${row.reason}`;
  if (row.status === 'completed' && row.summary) return `completed: ${row.summary}`;
  return row.status === 'running' && (row.attempt ?? 1) > 1 ? `running (attempt ${row.attempt})` : word;
}

const callKey = (row: { epoch: number; ticket?: string; attempt?: number; tool_use_id?: string }) => `${row.epoch}|${row.ticket}|${row.attempt}|${row.tool_use_id}`;

/** The feed, oldest first. A tool call is one item, placed where it started, brought up to date by its end. */
export function activityOf(rows: readonly JournalRow[]): ActivityItem[] {
  const items: ActivityItem[] = [];
  const calls = new Map<string, { index: number; start: number | null }>();
  for (const row of rows) {
    const key = `j${row.n}`;
    const base = { key, at: row.at, epoch: row.epoch };
    switch (row.kind) {
      case 'tool.start': {
        if (!row.ticket || !row.tool_use_id) break;
        calls.set(callKey(row), { index: items.length, start: row.at });
        items.push({ kind: 'tool', ...base, ticket: row.ticket, attempt: row.attempt ?? 1, tool: row.tool ?? 'tool', tool_use_id: row.tool_use_id, ...(row.detail ? { detail: row.detail } : {}), state: 'running', duration_ms: null });
        break;
      }
      case 'tool':
      case 'tool.interrupted': {
        if (!row.ticket || !row.tool_use_id) break;
        const state = row.kind === 'tool.interrupted' ? 'interrupted' : row.is_error ? 'error' : 'done';
        const started = calls.get(callKey(row));
        const duration = row.duration_ms ?? (started?.start != null ? row.at - started.start : null);
        const existing = started ? items[started.index] : undefined;
        if (existing?.kind === 'tool') {
          items[started!.index] = { ...existing, state, duration_ms: state === 'interrupted' ? null : duration, ...(row.detail && !existing.detail ? { detail: row.detail } : {}) };
        } else {
          // Its start is older than the rows kept (or was never journaled): shown where it ended.
          items.push({ kind: 'tool', ...base, ticket: row.ticket, attempt: row.attempt ?? 1, tool: row.tool ?? 'tool', tool_use_id: row.tool_use_id, ...(row.detail ? { detail: row.detail } : {}), state, duration_ms: state === 'interrupted' ? null : duration });
        }
        calls.delete(callKey(row));
        break;
      }
      case 'budget.pause':
        if (!row.ticket) break;
        items.push({ kind: 'wait', ...base, ticket: row.ticket, reason: `budget pause: ${row.reason ?? 'a budget is spent'}`, until: null });
        break;
      case 'model.wait':
      case 'model.retry':
        if (!row.ticket) break;
        items.push({ kind: 'wait', ...base, ticket: row.ticket, reason: row.reason ?? (row.kind === 'model.retry' ? 'the model call failed; retrying' : 'rate limit'), until: row.until ?? null });
        break;
      case 'command': {
        const target = row.target ? parseKey(row.target) : undefined;
        items.push({ kind: 'human', ...base, ticket: target && target.kind !== 'conductor' && target.kind !== 'planner' ? target.id : null, text: commandText(row.event) });
        break;
      }
      case 'auto_approve':
        if (!row.ticket) break;
        items.push({
          kind: 'auto',
          ...base,
          ticket: row.ticket,
          text: `auto-approved${row.tool ? ` ${row.tool}` : ''}${pauseText({ kind: row.pause, tool_use_id: row.tool_use_id })}${row.cause ? ` (${row.cause})` : ''}`,
        });
        break;
      case 'ticket.files': {
        if (!row.ticket) break;
        const files = row.files ?? [];
        const named = files.length === 0 ? 'no files' : files.length <= 3 ? files.join(', ') : `${files.length} files`;
        items.push({ kind: 'files', ...base, ticket: row.ticket, text: row.choice === 'restore' ? `restored ${named} before the retry` : `kept the changes to ${named}` });
        break;
      }
      case 'ticket.status':
        if (!row.ticket || !row.status) break;
        items.push({ kind: 'status', ...base, ticket: row.ticket, status: row.status, attempt: row.attempt ?? 1, text: statusText(row) });
        break;
      case 'run.start':
        items.push({ kind: 'run', ...base, text: 'the run started' });
        break;
      case 'run.resume':
        items.push({ kind: 'run', ...base, text: 'the run was resumed' });
        break;
      case 'run.end':
        items.push({ kind: 'run', ...base, text: 'the run ended' });
        break;
      case 'plan.approved':
        items.push({ kind: 'run', ...base, text: 'the plan was approved: its tickets are the run\'s track' });
        break;
      case 'review.verdict':
        if (!row.ticket) break;
        items.push({
          kind: 'review',
          ...base,
          ticket: row.ticket,
          text: `review ${row.round ?? ''}: ${row.verdict === 'approve' ? 'approved' : 'changes requested'}${row.comments ? ` — ${row.comments.length > 120 ? `${row.comments.slice(0, 117)}…` : row.comments}` : ''}`,
        });
        break;
      case 'qa.hint':
        if (!row.ticket) break;
        items.push({ kind: 'qa', ...base, ticket: row.ticket, text: `QA hint${row.saved_tokens !== undefined ? ` (saved ${row.saved_tokens} tokens)` : ''}: ${row.hint ?? ''}` });
        break;
    }
  }
  return items;
}

/** The span a ticket has been at work in its latest stretch: from running to completed or blocked. */
export interface TicketSpan {
  start: number;
  /** Null while it is still at work. */
  end: number | null;
}

/**
 * Each ticket's latest stretch of work, from the status rows. A stretch that began on an older
 * engine than the one serving now and has not ended is left out: its start is on another clock.
 */
export function ticketSpans(rows: readonly JournalRow[], epoch: number): Map<string, TicketSpan> {
  const spans = new Map<string, TicketSpan & { epoch: number }>();
  for (const row of rows) {
    if (row.kind !== 'ticket.status' || !row.ticket) continue;
    const span = spans.get(row.ticket);
    const open = span !== undefined && span.end === null;
    if (row.status === 'running' || row.status === 'step_paused') {
      if (!open) spans.set(row.ticket, { start: row.at, end: null, epoch: row.epoch });
    } else if (row.status === 'completed' || row.status === 'blocked') {
      if (open && span.epoch === row.epoch) span.end = row.at;
      else spans.delete(row.ticket);
    } else spans.delete(row.ticket);
  }
  const kept = new Map<string, TicketSpan>();
  for (const [ticket, span] of spans) if (span.end !== null || span.epoch === epoch) kept.set(ticket, { start: span.start, end: span.end });
  return kept;
}

/** The tool call each ticket is running now (started on the engine serving now, not ended). */
export function runningTools(items: readonly ActivityItem[], epoch: number): Map<string, Extract<ActivityItem, { kind: 'tool' }>> {
  const running = new Map<string, Extract<ActivityItem, { kind: 'tool' }>>();
  for (const item of items) {
    if (item.kind !== 'tool' || item.epoch !== epoch) continue;
    if (item.state === 'running') running.set(item.ticket, item);
    else if (running.get(item.ticket)?.tool_use_id === item.tool_use_id) running.delete(item.ticket);
  }
  return running;
}

/** A duration for a person: "850 ms", "12 s", "3 min 04 s", "1 h 02 min". */
export function durationText(ms: number): string {
  const value = Math.max(0, Math.round(ms));
  if (value < 1000) return `${value} ms`;
  const seconds = Math.floor(value / 1000);
  if (seconds < 60) return `${value < 10_000 ? (value / 1000).toFixed(1) : seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** A run-clock moment as the feed's time column: "mm:ss" from the start of the engine. */
export function clockText(at: number): string {
  const seconds = Math.max(0, Math.floor(at / 1000));
  const minutes = Math.floor(seconds / 60);
  return minutes >= 60
    ? `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`
    : `${String(minutes).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
}
