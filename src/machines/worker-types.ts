import type {
  AssistantMessage,
  ModelDelta,
  ModelMessage,
  StopReason,
  TokenUsage,
  ToolOutput,
  ToolPreview,
  ToolResultBlock,
  ToolUseBlock,
  TrustLevel,
  TrustOverride,
  PauseKind,
  PauseRef,
  BudgetStop,
} from '../protocol/index.js';

/** QA (tier 4) for a worker's failing commands: who writes the hint, and how much raw output goes with it. */
export interface QaSettings {
  archetype: string;
  profile: string;
  system: string;
  trust: TrustLevel;
  /** Lines of the raw output (head and tail together) the worker gets beside the hint. */
  rawLines: number;
}

/** A call that ended the worker by succeeding: a plan proposal, a revision, a review verdict. */
export interface FinishedCall {
  name: string;
  input: Record<string, unknown>;
}

export interface WorkerInput {
  ticketId: string;
  /** The archetype the worker plays (the scripted model picks its script by it). */
  archetype?: string;
  attempt: number;
  /** Model profile name from agents.toml. */
  profile: string;
  system: string;
  /** The first user message: the ticket's prompt and target. */
  prompt: string;
  tools: string[];
  trust: TrustLevel;
  trustOverride: TrustOverride;
  maxTurns: number;
  /** Goes on with this transcript (review comments): the prompt is its next user message. */
  messages?: ModelMessage[];
  /** Tools whose successful result ends the worker, completed, with the call as its output. */
  finish?: string[];
  /** Failing commands get a QA hint from this archetype. */
  qa?: QaSettings;
}

/** A human edit, kept with what it replaced. */
export interface EditRecord {
  kind: 'edit_payload' | 'edit_message' | 'edit_result';
  accepted: boolean;
  toolUseId?: string;
  original: unknown;
  replacement: unknown;
  reason?: string;
}

/**
 * A human edit of the call or of the model's last message, checked against the tool schemas once.
 * Accepted, it carries the transcript as it will be; refused, the reason (in its record).
 */
export type CheckedEdit =
  | { ok: false; record: EditRecord & { accepted: false; reason: string } }
  | {
      ok: true;
      record: EditRecord;
      messages: ModelMessage[];
      results: ToolResultBlock[];
      /** The result under review, if its call is still in the message. */
      review: ToolResultBlock | null;
      /** Whether a call is still left to approve: pause 1 stays, with a new preview. */
      callLeft: boolean;
      /** "Apply edit and approve": the edited call runs once its new preview is ready. */
      approve: boolean;
    };

/** What a worker was started with. No transition assigns it. */
export interface WorkerSettings {
  ticketId: string;
  attempt: number;
  /** The archetype the worker plays ('' for none). */
  archetype: string;
  profile: string;
  system: string;
  tools: string[];
  maxTurns: number;
  finish: string[];
  qa: QaSettings | null;
}

/** How the worker ended, once it has. */
export interface WorkerOutcome {
  summary: string | null;
  reason: string | null;
  /** The finishing call that succeeded (its input is the worker's result). */
  finished: FinishedCall | null;
}

/** A call the human let through, by its tool_use id (each is single use). */
export interface WorkerGrant {
  /**
   * The call the human chose to run again at the interrupted pause: its intent is on record from
   * before a crash, and only this says the command may start anyway.
   */
  rerun: string | null;
  /**
   * The call the human edited and approved in one answer ("Apply edit and approve"): it runs as
   * soon as its new preview is ready, without stopping at pause 1 again.
   */
  approveEdited: string | null;
}

/**
 * The worker's context. Its settings, outcome, grant and budget are grouped, so that it has at
 * most 19 fields: XState copies the context on every assign with `Object.assign({}, ...)`, and past
 * 19 fields V8 makes that copy a dictionary-mode object (4.7 µs against 0.2 µs per assign, and a
 * hash lookup for every read). Views show it flat (WorkerViewContext).
 */
export interface WorkerContext {
  settings: WorkerSettings;
  trust: TrustLevel;
  trustOverride: TrustOverride;
  messages: ModelMessage[];
  /** Model replies so far; max_turns bounds it. */
  turns: number;
  /** Text streamed so far in the turn under way, for live rendering. */
  draft: string;
  /** Results of the last assistant message's calls, committed in call order. */
  results: ToolResultBlock[];
  /** A result that ran but waits at pause 2 before the model may see it. */
  review: ToolResultBlock | null;
  /** What pause 1 shows for the current call. */
  preview: ToolPreview | null;
  /** Why the human's last edit was refused; cleared by the next accepted command. */
  refusal: string | null;
  edits: EditRecord[];
  usage: TokenUsage;
  /** The last QA hint: which call it was for, and the tokens it saved the worker. */
  hint: { tool_use_id: string; hint: string; saved_tokens: number } | null;
  /** Why the model call is held back and until when (epoch ms), while queued or backing off. */
  waiting: { reason: string; until: number | null } | null;
  /** Model calls retried after a retryable failure in this attempt. */
  retries: number;
  outcome: WorkerOutcome;
  grant: WorkerGrant;
  budget: {
    /** The budget that stopped the next model turn, while the worker waits at its budget pause. */
    stop: BudgetStop | null;
    /** Budget pauses so far: the pause's id, so a stale raise cannot answer a later one. */
    pauses: number;
  };
}

/**
 * The worker's context as views show it and as runs before the grouping persisted it: one flat
 * object.
 */
export type FlatWorkerContext = WorkerSettings &
  Omit<WorkerContext, 'settings' | 'outcome' | 'grant' | 'budget'> &
  WorkerOutcome &
  WorkerGrant & { budget: BudgetStop | null; budgetPauses: number };

export type WorkerOutput =
  /** messages: the closed transcript (a review that asks for changes goes on with it). */
  | { outcome: 'completed'; summary: string; messages?: ModelMessage[]; finished?: FinishedCall }
  | { outcome: 'aborted' | 'failed'; reason: string };

/**
 * Commands a human sends to a worker (from the UI or the CLI). A pause command names the pause it
 * answers (the engine checks it against the pause the worker is at before sending it here).
 */
export type ClutchEvent =
  | { type: 'clutch.approve'; pause?: PauseRef }
  /** approve: once the edited call's preview is ready, it runs (one answer: "Apply edit and approve"). */
  | { type: 'clutch.edit_payload'; input: unknown; pause?: PauseRef; approve?: boolean }
  | { type: 'clutch.edit_message'; message: unknown; pause?: PauseRef }
  /** approve: the edited result goes to the model at once. */
  | { type: 'clutch.edit_result'; output: string; is_error?: boolean; pause?: PauseRef; approve?: boolean }
  | { type: 'clutch.abort'; reason?: string; pause?: PauseRef }
  | { type: 'clutch.set_trust'; trust: TrustLevel }
  | { type: 'clutch.retry_now' }
  /** At the interrupted pause: run the command again. */
  | { type: 'clutch.rerun'; pause?: PauseRef }
  /** At the interrupted pause: go on as if the command had printed nothing. */
  | { type: 'clutch.use_output'; pause?: PauseRef }
  /** At the budget pause: the new limits (the engine checks they lift it, and applies them). */
  | { type: 'clutch.raise_budget'; pause?: PauseRef; max_tokens?: number; max_cost?: number };

/** Events from the worker's own I/O actors and from its ticket. */
export type WorkerInternalEvent =
  | { type: 'model.delta'; delta: ModelDelta }
  | { type: 'model.reply'; message: AssistantMessage; stop_reason: StopReason; usage: TokenUsage }
  | { type: 'model.failed'; reason: string; retryable?: boolean; retry_at?: number }
  | { type: 'model.waiting'; reason: string; until: number | null }
  | { type: 'model.started' }
  /** The next turn did not go: a budget is spent (the engine's budgets said so before asking the model). */
  | { type: 'model.over_budget'; budget: BudgetStop }
  /** Another worker's raise lifted the run budget this one waits on: the engine says so. */
  | { type: 'worker.budget_raised' }
  | { type: 'worker.trust_override'; override: TrustOverride }
  /** Raised by the worker itself: a human edit, checked once; the pause branches on the result. */
  | { type: 'worker.edit_checked'; edit: CheckedEdit };

export type WorkerEvent = ClutchEvent | WorkerInternalEvent;

/** Emitted for the engine's journal and the CLI's one-line summaries. */
export type WorkerEmitted =
  | { type: 'worker.tool_done'; ticketId: string; attempt: number; call: ToolUseBlock; output: ToolOutput }
  | { type: 'worker.edit'; ticketId: string; attempt: number; edit: EditRecord }
  | { type: 'worker.interrupted'; ticketId: string; attempt: number; call: ToolUseBlock }
  /** A call started running (the activity feed times it). */
  | { type: 'worker.tool_start'; ticketId: string; attempt: number; call: ToolUseBlock }
  /** A pause that was waiting when the trust became auto, released by that switch (journaled on its own). */
  | { type: 'worker.auto_approved'; ticketId: string; attempt: number; pause: 'approval' | 'review'; call: ToolUseBlock; cause: string };

export interface CallModelInput {
  ticketId: string;
  attempt: number;
  archetype?: string;
  profile: string;
  system: string;
  messages: ModelMessage[];
  tools: string[];
}

export interface QaHintInput {
  ticketId: string;
  attempt: number;
  call: ToolUseBlock;
  /** The command's whole output as the tool gave it. */
  output: string;
  qa: QaSettings;
}

export interface QaHintOutput {
  hint: string;
  /** What the worker's model gets instead of the raw output: the hint, then its head and tail. */
  content: string;
  saved_tokens: number;
}

export interface WaitUntilInput {
  /** Epoch milliseconds; the deadline lives in the input so a restored wait re-arms itself. */
  until: number;
}

export interface RunToolInput {
  ticketId: string;
  attempt: number;
  call: ToolUseBlock;
  /** The human chose to run this call again although a crash may have cut it short. */
  rerun: boolean;
}

/**
 * What running a call gives: its output, or, for a command whose intent was recorded before a
 * crash and whose result never was, word that it may have run in part (nothing ran now).
 */
export type RunToolOutput = ToolOutput | { interrupted: true };

export function isInterrupted(output: RunToolOutput): output is { interrupted: true } {
  return 'interrupted' in output && output.interrupted === true;
}

export interface PreviewToolInput {
  ticketId: string;
  call: ToolUseBlock;
}

/**
 * Where a worker waits for a human: pause 1 (approval) before a call runs, pause 2 (review) after it
 * ran and before the model sees its result, and the interrupted pause of a command a crash cut short.
 */
export type { PauseKind };

/** Sent to the ticket so its status follows the worker's pauses. */
export type WorkerToTicketEvent =
  | { type: 'worker.paused'; pause: PauseKind }
  | { type: 'worker.resumed' };
