/**
 * The monitor's safety properties that read one thing and say what is wrong with it, each written
 * on its own from DESIGN §4 and §9 (none asks the real machines or schedule.ts what they would do).
 */
import { isDeepStrictEqual } from 'node:util';
import { matchesState, type StateValue } from 'xstate';
import type { JournalEntry } from '../actors/journal.js';
import type { ToolLedger } from '../actors/tool-intents.js';
import type { EditRecord, WorkerContext } from '../machines/worker-types.js';

/** What the edit properties read of a worker's context (grouped or flat). */
type Transcript = Pick<WorkerContext, 'messages' | 'edits'>;
import type { ModelMessage, TextBlock, Ticket, TicketStatus, ToolResultBlock, ToolUseBlock, Track } from '../protocol/index.js';

type ContentBlock = TextBlock | ToolUseBlock | ToolResultBlock;

const json = (value: unknown) => JSON.stringify(value);

function blocksOf(message: ModelMessage | undefined): ContentBlock[] {
  return message && Array.isArray(message.content) ? (message.content as ContentBlock[]) : [];
}

function callIds(message: ModelMessage | undefined): string[] {
  return blocksOf(message).flatMap((block) => (block.type === 'tool_use' ? [block.id] : []));
}

/** The tool_use ids a transcript's user messages answer. */
export function resultIds(messages: readonly ModelMessage[]): string[] {
  return messages.flatMap((message) => (message.role === 'user' ? blocksOf(message).flatMap((block) => (block.type === 'tool_result' ? [block.tool_use_id] : [])) : []));
}

/** Every tool_use answered in the next message, and nothing answered that was not asked. */
export function unpairedCalls(messages: readonly ModelMessage[]): string[] {
  const problems: string[] = [];
  messages.forEach((message, index) => {
    const next = messages[index + 1];
    const answered = next?.role === 'user' ? resultIds([next]) : [];
    if (message.role === 'assistant') {
      for (const id of callIds(message)) if (!answered.includes(id)) problems.push(`tool_use ${id} (message ${index}) has no tool_result after it`);
    }
    if (message.role === 'user') {
      const previous = messages[index - 1];
      const calls = previous?.role === 'assistant' ? callIds(previous) : [];
      for (const id of resultIds([message])) if (!calls.includes(id)) problems.push(`tool_result ${id} (message ${index}) answers no tool_use before it`);
    }
  });
  if (messages.at(-1)?.role !== 'user') problems.push('the transcript does not end with a user message');
  return problems;
}

/**
 * An edit changes only its own call: a payload edit leaves every other block of the model's last
 * message, and every earlier message, as it was; a refused edit changes nothing.
 */
export function editedBeyondItsCall(before: Transcript, after: Transcript): string[] {
  const own = acceptedPayloadEdit(before, after)?.toolUseId;
  const problems: string[] = [];
  if (after.messages.length !== before.messages.length || !isDeepStrictEqual(after.messages.slice(0, -1), before.messages.slice(0, -1))) {
    problems.push('a payload edit changed the transcript before the model\'s last message');
  }
  const old = blocksOf(before.messages.at(-1));
  const now = blocksOf(after.messages.at(-1));
  if (old.length !== now.length) return [...problems, `a payload edit changed the number of blocks of the last message from ${old.length} to ${now.length}`];
  old.forEach((block, index) => {
    const next = now[index]!;
    const same = block.type === 'tool_use' && block.id === own ? isDeepStrictEqual({ ...next, input: null }, { ...block, input: null }) : isDeepStrictEqual(next, block);
    if (same) return;
    const what = block.type === 'tool_use' ? `call ${block.id}` : `block ${index}`;
    problems.push(own ? `the edit of ${own} also changed ${what === `call ${own}` ? 'more of its block than the input' : what}: ${json(block)} became ${json(next)}` : `a refused payload edit changed ${what}`);
  });
  return problems;
}

/** The accepted payload edit this step made, if it made one. */
function acceptedPayloadEdit(before: Transcript, after: Transcript): EditRecord | undefined {
  const edit = after.edits.length > before.edits.length ? after.edits.at(-1) : undefined;
  return edit?.kind === 'edit_payload' && edit.accepted && edit.toolUseId ? edit : undefined;
}

/** An accepted payload edit is what the transcript says from then on: the model will see that call. */
export function editMissingFromTranscript(before: Transcript, after: Transcript): string[] {
  const edit = acceptedPayloadEdit(before, after);
  if (!edit) return [];
  const block = blocksOf(after.messages.at(-1)).find((candidate) => candidate.type === 'tool_use' && candidate.id === edit.toolUseId);
  const input = block?.type === 'tool_use' ? block.input : undefined;
  return isDeepStrictEqual(input, edit.replacement) ? [] : [`the edit of ${edit.toolUseId} was accepted, but its tool_use says ${json(input ?? null)}`];
}

/** What each call of a run really ran with, by `ticket#attempt#tool_use id`. */
export type RanInputs = Map<string, unknown>;

export const callKey = (ticket: string, attempt: number, id: string) => `${ticket}#${attempt}#${id}`;

/**
 * What really ran (the run store's ledger where a call went through it, else the journal's tool
 * entry), and whether every accepted payload edit is what then ran.
 */
export function ranInputs(journal: readonly JournalEntry[], ledger: Pick<ToolLedger, 'toolCall'> | undefined): { ran: RanInputs; problems: string[] } {
  const ran: RanInputs = new Map();
  const edited = new Map<string, unknown>();
  const problems: string[] = [];
  for (const entry of journal) {
    if (entry.kind === 'edit') {
      const edit = entry.edit as EditRecord;
      if (!edit.accepted) continue;
      // A new message brings its own calls: an earlier payload edit no longer says what runs.
      if (edit.kind === 'edit_message') for (const key of [...edited.keys()]) if (key.startsWith(callKey(entry.ticket, entry.attempt, ''))) edited.delete(key);
      if (edit.kind === 'edit_payload' && edit.toolUseId) edited.set(callKey(entry.ticket, entry.attempt, edit.toolUseId), edit.replacement);
    }
    if (entry.kind !== 'tool') continue;
    const key = callKey(entry.ticket, entry.attempt, entry.tool_use_id);
    const recorded = ledger?.toolCall({ ticket: entry.ticket, attempt: entry.attempt, toolUseId: entry.tool_use_id });
    const input = recorded ? recorded.input : entry.input;
    ran.set(key, input);
    if (edited.has(key) && !isDeepStrictEqual(input, edited.get(key))) {
      problems.push(`${entry.ticket} attempt ${entry.attempt}: ${entry.tool_use_id} ran with ${json(input)}, but the human's accepted payload edit was ${json(edited.get(key))}`);
    }
  }
  return { ran, problems };
}

/** The model sees the tool_use that really ran: each call in a request has the input it ran with. */
export function requestShowsWhatRan(request: { ticketId: string; attempt: number; messages: readonly ModelMessage[] }, ran: RanInputs): string[] {
  return request.messages.flatMap((message) =>
    message.role !== 'assistant'
      ? []
      : blocksOf(message).flatMap((block) => {
          if (block.type !== 'tool_use') return [];
          const key = callKey(request.ticketId, request.attempt, block.id);
          if (!ran.has(key) || isDeepStrictEqual(block.input, ran.get(key))) return [];
          return [`the model was shown ${block.id} with ${json(block.input)}, but it ran with ${json(ran.get(key))}`];
        }),
  );
}

/**
 * The conductor dispatches at once: whenever it rests in run.running (after a mode switch too), no
 * ticket whose dependencies completed waits while it could start: in linear mode when none runs, in
 * async mode while fewer than max_concurrency run.
 */
export function readyButWaiting(value: StateValue, maxConcurrency: number, tickets: readonly Ticket[], statusOf: (id: string) => TicketStatus): string[] {
  if (!matchesState({ run: 'running' }, value)) return [];
  const active = tickets.filter(({ id }) => statusOf(id) === 'running' || statusOf(id) === 'step_paused').length;
  const ready = tickets.filter(({ id, dependencies }) => statusOf(id) === 'pending' && dependencies.every((dependency) => statusOf(dependency) === 'completed'));
  const linear = matchesState({ mode: 'linear' }, value);
  const room = linear ? (active === 0 ? 1 : 0) : Math.max(0, maxConcurrency - active);
  return ready.slice(0, room).map(({ id }) => `${id} is ready and could start (${linear ? 'linear' : 'async'}, ${active} running of ${maxConcurrency}), but waits`);
}

/** A skipped ticket is reported as skipped (and completed); no other ticket is. */
export function skipProblems(journal: readonly JournalEntry[], track: Track): string[] {
  const skipped = new Set(
    journal.flatMap((entry) => (entry.kind === 'command' && entry.target.startsWith('ticket:') && (entry.event as { type?: string }).type === 'ticket.skip' ? [entry.target.slice('ticket:'.length)] : [])),
  );
  return track.tickets.flatMap((ticket) => {
    if (skipped.has(ticket.id) && (ticket.status !== 'completed' || ticket.skipped !== true)) {
      return [`${ticket.id} was skipped, but the track reports it ${ticket.status}${ticket.skipped ? ', skipped' : ', not skipped'}`];
    }
    if (!skipped.has(ticket.id) && ticket.skipped) return [`${ticket.id} is reported skipped, but no one skipped it`];
    return [];
  });
}

const commandType = (entry: JournalEntry) => (entry.kind === 'command' ? (entry.event as { type?: string }).type : undefined);

/**
 * No ticket starts before the plan is approved: once a run is asked to plan a request (its
 * `run.start` names one, or the human sends `conductor.request`), no ticket status comes before
 * the plan's approval, and the approval follows the human's `plan.approve`.
 */
export function planningProblems(journal: readonly JournalEntry[]): string[] {
  const problems: string[] = [];
  let requested = false;
  let asked = false;
  let approved = false;
  for (const entry of journal) {
    if ((entry.kind === 'run.start' && entry.request !== undefined) || (entry.kind === 'command' && entry.target === 'conductor' && commandType(entry) === 'conductor.request')) requested = true;
    if (!requested) continue;
    if (entry.kind === 'command' && entry.target === 'planner' && commandType(entry) === 'plan.approve') asked = true;
    if (entry.kind === 'plan.approved') {
      if (!asked) problems.push(`the plan "${entry.title}" was approved, but the human never sent plan.approve`);
      approved = true;
    }
    if (entry.kind === 'ticket.status' && !approved) problems.push(`${entry.ticket} became ${entry.status} before the plan was approved`);
  }
  return problems;
}

/**
 * A reviewed ticket completes only on an approve verdict (or a human's): when it reports completed
 * (not skipped), the last verdict of its attempt approves. A verdict is a reviewer's (journaled as
 * `review.verdict`) or one the human sent the ticket as its reviewer's end.
 */
export function reviewProblems(journal: readonly JournalEntry[], reviewed: (ticket: string) => boolean): string[] {
  const problems: string[] = [];
  const verdicts = new Map<string, string>();
  const attempts = new Map<string, number>();
  const skipped = new Set<string>();
  for (const entry of journal) {
    if (entry.kind === 'review.verdict') verdicts.set(entry.ticket, entry.verdict);
    if (entry.kind === 'command' && entry.target.startsWith('ticket:')) {
      const ticket = entry.target.slice('ticket:'.length);
      if (commandType(entry) === 'ticket.skip') skipped.add(ticket);
      const finished = (entry.event as { output?: { finished?: { name?: string } } }).output?.finished?.name;
      if (commandType(entry) === 'xstate.done.actor.reviewer' && (finished === 'approve_change' || finished === 'request_changes')) {
        verdicts.set(ticket, finished === 'approve_change' ? 'approve' : 'request_changes');
      }
    }
    if (entry.kind !== 'ticket.status') continue;
    // A new attempt is reviewed afresh.
    if (attempts.get(entry.ticket) !== entry.attempt) verdicts.delete(entry.ticket);
    attempts.set(entry.ticket, entry.attempt);
    if (entry.status !== 'completed' || !reviewed(entry.ticket) || skipped.has(entry.ticket) || verdicts.get(entry.ticket) === 'approve') continue;
    const last = verdicts.get(entry.ticket);
    problems.push(`${entry.ticket} completed (attempt ${entry.attempt}) ${last ? `on the verdict ${last}` : 'with no verdict'}`);
  }
  return problems;
}

/** What the budget property reads of the run's configuration (every part optional, as a fake engine has less). */
export interface BudgetSettings {
  execution?: { max_cost_per_run?: number };
  agents?: Record<string, { max_tokens_per_ticket?: number; max_cost_per_ticket?: number }>;
  models?: Record<string, { provider: string; input_price_per_mtok?: number; output_price_per_mtok?: number }>;
}

const dollars = (cost: number) => `$${cost.toFixed(4)}`;

/**
 * Why a model turn of `key` (a ticket's worker `T1`, its reviewer `T1@review`, the planner's
 * `@plan`) must not be asked now: a budget it answers to is spent. The spend is replayed from the
 * journal's `model.turn` entries (a turn's cost from its profile's prices: a scripted one is free,
 * one without prices has no known cost), the limits are the configuration's with the raises the
 * journal has (`budget.raised`). A ticket answers to its own budget (its worker over every attempt,
 * its reviews and QA hints) and to the run's; the planner to the run's only.
 */
export function spentBudgets(journal: readonly JournalEntry[], config: BudgetSettings | undefined, archetypeOf: (ticket: string) => string | undefined, key: string): string[] {
  const ticket = key.startsWith('@') ? undefined : key.split('@')[0]!;
  let run = { tokens: 0, cost: 0 as number | null };
  let own = { tokens: 0, cost: 0 as number | null };
  const archetype = ticket === undefined ? undefined : config?.agents?.[archetypeOf(ticket) ?? ''];
  let runLimit = config?.execution?.max_cost_per_run;
  let limits: { max_tokens?: number; max_cost?: number } = {
    ...(archetype?.max_tokens_per_ticket !== undefined ? { max_tokens: archetype.max_tokens_per_ticket } : {}),
    ...(archetype?.max_cost_per_ticket !== undefined ? { max_cost: archetype.max_cost_per_ticket } : {}),
  };
  const add = (total: { tokens: number; cost: number | null }, tokens: number, cost: number | null) => ({ tokens: total.tokens + tokens, cost: total.cost === null || cost === null ? null : total.cost + cost });
  for (const entry of journal) {
    if (entry.kind === 'model.turn') {
      const profile = config?.models?.[entry.profile];
      const priced = profile?.input_price_per_mtok !== undefined && profile.output_price_per_mtok !== undefined;
      const cost = !profile || profile.provider === 'scripted' ? 0 : priced ? (entry.input_tokens * profile.input_price_per_mtok! + entry.output_tokens * profile.output_price_per_mtok!) / 1_000_000 : null;
      const tokens = entry.input_tokens + entry.output_tokens;
      run = add(run, tokens, cost);
      if (ticket !== undefined && (entry.ticket === ticket || entry.ticket.startsWith(`${ticket}@`))) own = add(own, tokens, cost);
    }
    if (entry.kind === 'budget.raised') {
      if (entry.scope === 'run' && entry.limits.max_cost !== undefined) runLimit = entry.limits.max_cost;
      if (entry.scope === 'ticket' && entry.ticket === ticket) limits = { ...limits, ...entry.limits };
    }
  }
  const problems: string[] = [];
  if (runLimit !== undefined && run.cost !== null && run.cost >= runLimit) problems.push(`the run spent ${dollars(run.cost)} of its budget of ${dollars(runLimit)}`);
  if (limits.max_tokens !== undefined && own.tokens >= limits.max_tokens) problems.push(`${ticket} spent ${own.tokens} tokens of its budget of ${limits.max_tokens}`);
  if (limits.max_cost !== undefined && own.cost !== null && own.cost >= limits.max_cost) problems.push(`${ticket} spent ${dollars(own.cost)} of its budget of ${dollars(limits.max_cost)}`);
  return problems;
}
