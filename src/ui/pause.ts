import type { ActorView, BudgetStop, PauseRef, ToolPreview, ToolResultBlock, ToolUseBlock, TrustLevel } from '../protocol/index.js';
import type { WorkerView } from './views.js';
import { agentLabel } from './agents.js';

/** Where a worker waits for a human, read from its state value and context. */
export type Pause =
  | { kind: 'approval'; call: ToolUseBlock | undefined; preview: ToolPreview | null; previewing: boolean }
  | { kind: 'review'; call: ToolUseBlock | undefined; result: ToolResultBlock }
  /** A command whose intent was recorded before a crash and whose result never was. */
  | { kind: 'interrupted'; call: ToolUseBlock | undefined }
  /**
   * A spent budget stopped the next model turn: no call is pending. `id` names the pause
   * (`budget-N`, N the worker's budget pauses so far), so a stale raise cannot answer a later one.
   */
  | { kind: 'budget'; call?: undefined; stop: BudgetStop; id: string };

/** What the interrupted pause says, word for word wherever it is shown. */
export const INTERRUPTED_TEXT = 'interrupted: this command may have run in part';

/**
 * The pause's short name, for badges and the board: the one wording of DESIGN §4, the machine
 * (worker-types.ts `PauseKind`) and the README: pause 1 (approval), pause 2 (review).
 */
export const pauseLabel: Record<Pause['kind'], string> = {
  approval: 'Pause 1 (approval)',
  review: 'Pause 2 (review)',
  interrupted: 'Interrupted',
  budget: 'Budget pause',
};

/** The budget pause's name, as the engine names it (src/actors/pause-check.ts `budgetPauseId`). */
export const budgetPauseId = (count: number): string => `budget-${count}`;

function toolCycleState(value: unknown): unknown {
  return value && typeof value === 'object' && 'toolCycle' in value ? (value as { toolCycle: unknown }).toolCycle : undefined;
}

function lastCalls(context: WorkerView): ToolUseBlock[] {
  const last = context.messages.at(-1);
  if (!last || last.role !== 'assistant') return [];
  return last.content.filter((block): block is ToolUseBlock => block.type === 'tool_use');
}

/** The call pause 1 (approval) is about: the first call of the last reply that has no result yet. */
export function pendingCall(context: WorkerView): ToolUseBlock | undefined {
  const done = new Set(context.results.map((result) => result.tool_use_id));
  if (context.review) done.add(context.review.tool_use_id);
  return lastCalls(context).find((call) => !done.has(call.id));
}

export function pauseOf(view: ActorView<WorkerView> | null): Pause | null {
  if (!view || view.status !== 'active') return null;
  const cycle = toolCycleState(view.value);
  const context = view.context;
  // A top-level state, beside prompting and toolCycle: a budget stopped the next model turn.
  if (view.value === 'budgetPaused' && context.budget) return { kind: 'budget', stop: context.budget, id: budgetPauseId(context.budgetPauses) };
  if (cycle && typeof cycle === 'object' && 'awaitingApproval' in cycle) {
    const stage = (cycle as { awaitingApproval: unknown }).awaitingApproval;
    return { kind: 'approval', call: pendingCall(context), preview: context.preview, previewing: stage === 'previewing' };
  }
  // The call that was cut short is still the first one without a result.
  if (cycle === 'interrupted') return { kind: 'interrupted', call: pendingCall(context) };
  if (cycle === 'reviewingResult' && context.review) {
    const id = context.review.tool_use_id;
    return { kind: 'review', call: lastCalls(context).find((call) => call.id === id), result: context.review };
  }
  return null;
}

/** A short human label for the worker's state value. */
export function workerStateLabel(view: ActorView<WorkerView> | null): string {
  if (!view) return 'not started';
  const value = view.value;
  if (value === 'budgetPaused') return `${pauseLabel.budget}: raise the budget or abort`;
  if (typeof value === 'string') return value;
  const cycle = toolCycleState(value);
  if (cycle === undefined) return JSON.stringify(value);
  if (cycle === 'reviewingResult') return `${pauseLabel.review}: review the result`;
  if (cycle === 'interrupted') return 'interrupted: re-run, use the output, or abort';
  if (typeof cycle === 'string') return `tool: ${cycle}`;
  if (cycle && typeof cycle === 'object' && 'awaitingApproval' in cycle) return `${pauseLabel.approval}: approve the call`;
  return 'tool cycle';
}

/** The command line of a run_command call (argv and cwd), or null for any other call. */
export function commandOf(call: ToolUseBlock | undefined): { argv: string[]; cwd: string } | null {
  const argv = call?.input['argv'];
  if (!Array.isArray(argv) || !argv.every((part): part is string => typeof part === 'string')) return null;
  const cwd = call?.input['cwd'];
  return { argv, cwd: typeof cwd === 'string' && cwd !== '' ? cwd : '.' };
}

/** What a command answering this pause names: its kind and its call (the engine refuses a stale one). */
export function pauseRef(pause: Pause): PauseRef {
  const id = pause.kind === 'review' ? pause.result.tool_use_id : pause.kind === 'budget' ? pause.id : (pause.call?.id ?? '');
  return { kind: pause.kind, tool_use_id: id };
}

/** The tools that only read the workspace: the inbox may approve their calls in bulk. */
export const readOnlyTools: ReadonlySet<string> = new Set(['read_file', 'list_files', 'search_files', 'read_skeleton']);

/**
 * Whether "Approve all read-only calls" takes this pause: a read-only call at pause 1 with its
 * preview shown, or the result of one at pause 2 (what it read, before the model sees it: approving
 * it unread is the point of the bulk answer). Never an interrupted pause or a budget pause, never
 * any other tool.
 */
export function bulkApprovable(pause: Pause, accepts: readonly string[]): boolean {
  if (pause.kind !== 'approval' && pause.kind !== 'review') return false;
  if (!readOnlyTools.has(pause.call?.name ?? '') || !accepts.includes('clutch.approve')) return false;
  if (pause.kind === 'approval') return !pause.previewing;
  return pause.kind === 'review';
}

/** A worker waiting at a pause, as the page sees it. */
export interface Waiting {
  ticket: string;
  view: ActorView<WorkerView>;
  pause: Pause;
}

/**
 * The pauses a trust switch approves at once: pause 1 and pause 2 of the workers whose trust the
 * switch makes auto. An interrupted pause and a budget pause always wait for the human, whatever
 * the trust (auto spends; it does not decide to spend more).
 */
export function releasedBy(waiting: readonly Waiting[], trustAfter: (context: WorkerView) => TrustLevel): Waiting[] {
  return waiting.filter(({ view, pause }) => (pause.kind === 'approval' || pause.kind === 'review') && trustAfter(view.context) === 'auto');
}

/** The pauses no trust switch answers, waiting now: interrupted commands and budget pauses. */
export function heldThroughSwitch(waiting: readonly Waiting[]): { interrupted: number; budget: number } {
  return {
    interrupted: waiting.filter(({ pause }) => pause.kind === 'interrupted').length,
    budget: waiting.filter(({ pause }) => pause.kind === 'budget').length,
  };
}

const shortPause: Record<Pause['kind'], string> = { approval: 'pause 1', review: 'pause 2', interrupted: 'interrupted', budget: 'budget pause' };

/** "T2 read_file (pause 1), T3 write_file (pause 2)": what a confirmation names. */
export function describeWaiting(waiting: readonly Waiting[]): string {
  return waiting.map(({ ticket, pause }) => `${agentLabel(ticket)} ${pause.kind === 'budget' ? 'budget' : (pause.call?.name ?? 'call')} (${shortPause[pause.kind]})`).join(', ');
}

export function callCount(count: number): string {
  return `${count} pending call${count === 1 ? '' : 's'}`;
}
