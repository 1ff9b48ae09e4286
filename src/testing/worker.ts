/**
 * The worker's abstract model: the real worker statechart (derived, see derive.ts) over a small
 * context, with the events a test can make happen, each carrying an explicit payload choice. Its
 * guards and effects are written here on their own, not taken from the real machine.
 */
import { workerMachine } from '../machines/worker.js';
import type { TrustLevel, TrustOverride } from '../protocol/index.js';
import { deriveAbstractMachine, type AbstractSnapshot, type AbstractSpec } from './derive.js';

/**
 * What a scripted tool call does: write a file, fail (a tool error result), task_complete, run a
 * command (run_command, which also writes a file): the one kind a crash can leave interrupted, run
 * a command that writes its file and exits non-zero (`red`: QA turns its output into a hint), or
 * give a reviewer's verdict (`verdict`: approve_change, a finishing call that ends the worker).
 */
export type CallKind = 'write' | 'fail' | 'done' | 'run' | 'red' | 'verdict';
/** Which worker the path follows: a ticket's own, or the reviewer of its change (its input has `finish`). */
export type WorkerRole = 'ticket' | 'reviewer';
/** A replacement for the model's last message: refused, text only, a new call, or the same calls reworded. */
export type MessageChoice = 'invalid' | 'text' | 'call' | 'keep';
/**
 * The budget a path's run has (fixed for the path, see the variants in plans.ts): none; the
 * ticket's own (its archetype's max_tokens_per_ticket, which every model turn spends); or the run's
 * ([execution] max_cost_per_run on a priced profile, which any turn of any ticket spends).
 */
export type BudgetLimit = 'none' | 'ticket' | 'run';

export const PREVIEW_DONE = 'xstate.done.actor.0.worker.toolCycle.awaitingApproval.previewing';
export const PREVIEW_ERROR = 'xstate.error.actor.0.worker.toolCycle.awaitingApproval.previewing';
export const BACKOFF_DONE = 'xstate.done.actor.0.worker.backoff';
export const BACKOFF_ERROR = 'xstate.error.actor.0.worker.backoff';
export const TOOL_DONE = 'xstate.done.actor.tool';
export const TOOL_ERROR = 'xstate.error.actor.tool';
export const MODEL_ERROR = 'xstate.error.actor.model';
/** The qa archetype's hint for a failing command (its model turn, held by the test like any other). */
export const QA_DONE = 'xstate.done.actor.qa';
export const QA_ERROR = 'xstate.error.actor.qa';

export type WorkerModelEvent =
  | { type: 'model.delta' }
  | { type: 'model.reply'; calls: CallKind[] }
  | { type: 'model.waiting' }
  | { type: 'model.started' }
  | { type: 'model.failed'; retryable: boolean; retry_at?: number }
  | { type: typeof MODEL_ERROR }
  | { type: 'clutch.retry_now' }
  | { type: typeof BACKOFF_DONE }
  | { type: typeof BACKOFF_ERROR }
  | { type: 'clutch.set_trust'; trust: TrustLevel }
  | { type: 'worker.trust_override'; override: TrustOverride }
  /** approve: "Apply edit and approve" in one answer. */
  | { type: 'clutch.edit_payload'; valid: boolean; approve?: true }
  | { type: 'clutch.edit_message'; message: MessageChoice }
  | { type: 'clutch.edit_result'; approve?: true }
  | { type: 'clutch.abort'; reason?: string }
  | { type: 'clutch.approve' }
  | { type: typeof PREVIEW_DONE }
  | { type: typeof PREVIEW_ERROR }
  /** `interrupted`: the run store holds the call's intent from before a crash, and no result. */
  | { type: typeof TOOL_DONE; interrupted?: true }
  | { type: typeof TOOL_ERROR }
  | { type: 'clutch.rerun' }
  | { type: 'clutch.use_output' }
  | { type: typeof QA_DONE }
  | { type: typeof QA_ERROR }
  /** The model actor found the budget spent when it started: no model turn, the worker waits at its budget pause. */
  | { type: 'model.over_budget' }
  /** At the budget pause: the human raises the limit that was reached (just above the spend). */
  | { type: 'clutch.raise_budget' }
  /** At a pause on the run's budget: the human raised it at another ticket's pause, which lifts this one's too. */
  | { type: 'worker.budget_raised' };

/** What the worker's one check of an edit found, as the abstract model sees it. */
export type AbstractEdit = { ok: false } | { ok: true; calls: CallKind[]; done: number; review: boolean; approve: boolean };

/** The event the worker raises for itself with a checked edit: never sent by a test. */
type EditChecked = { type: 'worker.edit_checked'; edit: AbstractEdit };

export interface WorkerModelContext {
  /** The configuration, fixed for a path (see the variants in plans.ts): whose worker it is, and its QA archetype's trust (null: no QA). */
  role: WorkerRole;
  qa: TrustLevel | null;
  trust: TrustLevel;
  override: TrustOverride;
  /** The tool calls of the model's last message, in order. */
  calls: CallKind[];
  /** How many of them have a committed result. */
  done: number;
  /** Whether a result waits at pause 2. */
  review: boolean;
  /** Whether that result is a QA hint (a failing command's output turned into one). */
  hinted: boolean;
  /** Whether the human chose, at the interrupted pause, to run the current call again. */
  rerun: boolean;
  /** Whether the human edited and approved the current call in one answer: it runs once re-previewed. */
  approveEdited: boolean;
  turns: number;
  maxTurns: number;
  /** Whether the model actor said it is waiting (for a rate-limit slot). */
  waiting: boolean;
  /** The configuration's budget (fixed for a path), and whether it is spent: a turn since it was last raised. */
  limit: BudgetLimit;
  spent: boolean;
  /** The budget the worker waits on at its budget pause (the stop's scope), and how many budget pauses it had. */
  budget: 'ticket' | 'run' | null;
  budgetPauses: number;
  /** Test bookkeeping: the invoking state this event entered, where an injected I/O failure may strike. */
  entered: 'prompting' | 'previewing' | 'executing' | null;
}

export type WorkerModelSnapshot = AbstractSnapshot<WorkerModelContext>;

export const WORKER_MAX_TURNS = 2;

const current = (context: WorkerModelContext): CallKind | undefined => context.calls[context.done + (context.review ? 1 : 0)];
// Written again here on purpose: the abstract model is the oracle, independent of the real rule.
const effective = (context: WorkerModelContext): TrustLevel => (context.override === 'none' ? context.trust : context.override);
/** The qa archetype's trust under the global override, as the human set it: step holds its hint at pause 2. */
const qaIsStep = (context: WorkerModelContext): boolean => context.qa !== null && (context.override === 'none' ? context.qa : context.override) === 'step';
const toolEnded = (event: { type: string; interrupted?: true }) => event.type === TOOL_DONE && event.interrupted !== true;

function afterMessage(context: WorkerModelContext, message: MessageChoice): Pick<WorkerModelContext, 'calls' | 'done'> {
  if (message === 'keep') return { calls: context.calls, done: context.done };
  return { calls: message === 'call' ? ['write'] : [], done: 0 };
}

/** The one check of an edit: a payload for the current call, or a message replacing the last one. */
function checkEdit(context: WorkerModelContext, event: WorkerModelEvent | EditChecked): AbstractEdit {
  if (event.type === 'clutch.edit_payload') {
    return event.valid && current(context) !== undefined ? { ok: true, calls: context.calls, done: context.done, review: context.review, approve: event.approve === true } : { ok: false };
  }
  if (event.type !== 'clutch.edit_message' || event.message === 'invalid') return { ok: false };
  // Only a message that keeps the reviewed call keeps its result under review.
  return { ok: true, ...afterMessage(context, event.message), review: context.review && event.message === 'keep', approve: false };
}

const checked = (event: WorkerModelEvent | EditChecked): AbstractEdit | undefined => (event.type === 'worker.edit_checked' ? event.edit : undefined);

export const workerSpec: AbstractSpec<WorkerModelContext, WorkerModelEvent | EditChecked> = {
  context: {
    role: 'ticket',
    qa: 'step',
    trust: 'step',
    override: 'none',
    calls: [],
    done: 0,
    review: false,
    hinted: false,
    rerun: false,
    approveEdited: false,
    turns: 0,
    maxTurns: WORKER_MAX_TURNS,
    waiting: false,
    limit: 'none',
    spent: false,
    budget: null,
    budgetPauses: 0,
    entered: null,
  },
  guards: {
    isStep: (context) => effective(context) === 'step',
    isAuto: (context) => effective(context) !== 'step',
    approvedAsEdited: (context) => context.approveEdited && current(context) !== undefined,
    approvesEdit: (_context, event) => event.type === 'clutch.edit_result' && event.approve === true,
    hasCall: (context) => current(context) !== undefined,
    callIsTaskComplete: (context) => current(context) === 'done',
    turnsLeft: (context) => context.turns < context.maxTurns,
    // A retryable failure that says when to retry backs off until then.
    retryable: (_context, event) => event.type === 'model.failed' && event.retryable && event.retry_at !== undefined,
    editRefused: (_context, event) => checked(event)?.ok === false,
    editLeavesCall: (_context, event) => {
      const edit = checked(event);
      return edit?.ok === true && edit.calls[edit.done + (edit.review ? 1 : 0)] !== undefined;
    },
    editKeepsReview: (_context, event) => {
      const edit = checked(event);
      return edit?.ok === true && edit.review;
    },
    // The payload choice says whether the run store made the call stop at the interrupted pause.
    toolInterrupted: (_context, event) => event.type === TOOL_DONE && event.interrupted === true,
    // Only a reviewer's input names finishing calls; its verdict always succeeds.
    finishingCall: (context, event) => toolEnded(event) && context.role === 'reviewer' && current(context) === 'verdict',
    needsQa: (context, event) => toolEnded(event) && context.qa !== null && current(context) === 'red',
    qaStep: (context) => qaIsStep(context),
    reviewReleased: (context) => effective(context) !== 'step' && !(context.hinted && qaIsStep(context)),
  },
  inlineGuards: {
    'worker.prompting clutch.retry_now[0]': (context) => context.waiting,
  },
  actions: {
    nudge: () => ({ context: { calls: [], done: 0 } }),
    appendResults: () => ({ context: { calls: [], done: 0 } }),
    commitReview: (context) => ({ context: { done: context.done + (context.review ? 1 : 0), review: false, hinted: false } }),
    holdResult: () => ({ context: { review: true, rerun: false, hinted: false } }),
    applyHint: () => ({ context: { hinted: true } }),
    checkEdit: (context, event) => ({ raise: [{ type: 'worker.edit_checked', edit: checkEdit(context, event) }] }),
    settleEdit: (_context, event) => {
      const edit = checked(event);
      if (!edit?.ok) return undefined;
      const left = edit.calls[edit.done + (edit.review ? 1 : 0)] !== undefined;
      return { context: { calls: edit.calls, done: edit.done, review: edit.review, approveEdited: edit.approve && left, ...(edit.review ? {} : { hinted: false }) } };
    },
  },
  // Messages to the ticket, the refusal text, the edited output and the journal: no abstract state.
  ignoredActions: ['tellTicket', 'clearRefusal', 'applyResult', 'journalLastEdit', 'journalAutoApproval'],
  inline: {
    'worker clutch.set_trust[0]': (_context, event) => (event.type === 'clutch.set_trust' ? { context: { trust: event.trust } } : undefined),
    'worker worker.trust_override[0]': (_context, event) =>
      event.type === 'worker.trust_override' ? { context: { override: event.override } } : undefined,
    'entry worker.prompting': () => ({ context: { waiting: false } }),
    // A turn that replied spent tokens (and, priced, money): a budget of the configuration is spent
    // by it (the limit is one token, or just above what was spent when it was last raised).
    'worker.prompting model.reply[0]': (context, event) =>
      event.type === 'model.reply' ? { context: { calls: event.calls, done: 0, review: false, turns: context.turns + 1, spent: context.limit !== 'none' } } : undefined,
    'worker.prompting model.waiting[0]': () => ({ context: { waiting: true } }),
    'worker.prompting model.started[0]': () => ({ context: { waiting: false } }),
    'worker.prompting model.failed[0]': () => ({ context: { waiting: true } }),
    // The stop names the budget that was spent: the run's is checked first, and a path has one.
    'worker.prompting model.over_budget[0]': (context) => ({ context: { budget: context.limit === 'none' ? null : context.limit, budgetPauses: context.budgetPauses + 1, waiting: false } }),
    // A raise (here, or at another ticket's pause on the run's budget) lifts the limit above the spend.
    'worker.budgetPaused clutch.raise_budget[0]': () => ({ context: { budget: null, spent: false } }),
    'worker.budgetPaused worker.budget_raised[0]': () => ({ context: { budget: null, spent: false } }),
    [`worker.toolCycle.executing ${TOOL_DONE}[3]`]: () => ({ context: { review: true, rerun: false, hinted: false } }),
    'worker.toolCycle.interrupted clutch.rerun[0]': () => ({ context: { rerun: true } }),
    // Leaving pause 1 clears its preview and any approval that waited for one.
    'exit worker.toolCycle.awaitingApproval': () => ({ context: { approveEdited: false } }),
    // An empty successful result for the call: it waits at pause 2 like any other.
    'worker.toolCycle.interrupted clutch.use_output[0]': () => ({ context: { review: true, hinted: false } }),
  },
  everyTransition: () => ({ context: { entered: null } }),
  onEntry: {
    'worker.prompting': () => ({ context: { entered: 'prompting' } }),
    'worker.toolCycle.awaitingApproval.previewing': () => ({ context: { entered: 'previewing' } }),
    'worker.toolCycle.executing': () => ({ context: { entered: 'executing' } }),
  },
};

export const abstractWorker = deriveAbstractMachine(workerMachine, workerSpec);

/** The abstract worker of another configuration: a reviewer, QA of another trust, or a budget. */
export function abstractWorkerOf(configuration: Pick<Partial<WorkerModelContext>, 'role' | 'qa' | 'limit'>) {
  return deriveAbstractMachine(workerMachine, { ...workerSpec, context: { ...workerSpec.context, ...configuration } });
}

export const REPLIES: CallKind[][] = [[], ['write'], ['fail'], ['done'], ['run'], ['write', 'fail'], ['write', 'done'], ['run', 'done'], ['red'], ['red', 'done']];
/** A reviewer reads and answers: no writes, no commands. */
export const REVIEWER_REPLIES: CallKind[][] = [[], ['fail'], ['done'], ['verdict'], ['fail', 'verdict']];

function trustEvents(context: WorkerModelContext): WorkerModelEvent[] {
  const trust: TrustLevel = context.trust === 'step' ? 'auto' : 'step';
  const overrides = (['none', 'step', 'auto'] as const).filter((override) => override !== context.override);
  return [{ type: 'clutch.set_trust', trust }, ...overrides.map((override) => ({ type: 'worker.trust_override' as const, override }))];
}

const aborts: WorkerModelEvent[] = [{ type: 'clutch.abort' }, { type: 'clutch.abort', reason: 'wrong call' }];
const messages = (...choices: MessageChoice[]): WorkerModelEvent[] => choices.map((message) => ({ type: 'clutch.edit_message', message }));


/**
 * The events a test offers in a state. Events whose order against an I/O actor the test cannot
 * pin down are left out where that actor runs on its own: nothing but the tool's own end while a
 * tool runs, and at pause 1 only commands that leave `previewing` or enter it again until the
 * preview is in.
 */
export function workerEvents(snapshot: WorkerModelSnapshot): WorkerModelEvent[] {
  const context = snapshot.context;
  if (snapshot.status !== 'active') return [];
  if (snapshot.matches('prompting')) {
    // A spent budget stops the turn as the model actor starts: nothing else can come first.
    if (context.spent) {
      if (context.entered !== 'prompting') throw new Error('the abstract worker waits for a model turn with its budget spent');
      return [{ type: 'model.over_budget' }];
    }
    return [
      { type: 'model.delta' },
      ...(context.role === 'reviewer' ? REVIEWER_REPLIES : REPLIES.filter((calls) => context.qa !== null || !calls.includes('red'))).map((calls): WorkerModelEvent => ({ type: 'model.reply', calls })),
      { type: 'model.failed', retryable: true, retry_at: 1_000_000 },
      { type: 'model.failed', retryable: false },
      ...(context.entered === 'prompting' ? [{ type: MODEL_ERROR } as const] : []),
      ...trustEvents(context),
    ];
  }
  if (snapshot.matches('budgetPaused')) {
    // Only a pause on the run's budget can be lifted by a raise at another ticket's pause.
    return [{ type: 'clutch.raise_budget' }, ...(context.budget === 'run' ? [{ type: 'worker.budget_raised' } as const] : []), ...aborts, ...trustEvents(context)];
  }
  if (snapshot.matches('backoff')) {
    return [{ type: 'clutch.retry_now' }, { type: BACKOFF_DONE }, { type: BACKOFF_ERROR }, ...trustEvents(context)];
  }
  if (snapshot.matches({ toolCycle: { awaitingApproval: 'previewing' } })) {
    return [
      { type: PREVIEW_DONE },
      ...(context.entered === 'previewing' ? [{ type: PREVIEW_ERROR } as const] : []),
      { type: 'clutch.edit_payload', valid: true },
      ...messages('text', 'call'),
      ...aborts,
    ];
  }
  if (snapshot.matches({ toolCycle: { awaitingApproval: 'ready' } })) {
    return [
      { type: 'clutch.approve' },
      { type: 'clutch.edit_payload', valid: true },
      { type: 'clutch.edit_payload', valid: true, approve: true },
      { type: 'clutch.edit_payload', valid: false },
      { type: 'clutch.edit_payload', valid: false, approve: true },
      ...messages('invalid', 'text', 'call', 'keep'),
      ...aborts,
      ...trustEvents(context),
    ];
  }
  if (snapshot.matches({ toolCycle: 'executing' })) {
    // Only a command can be found interrupted, and never once the human chose to run it again.
    const interruptible = current(context) === 'run' && !context.rerun;
    return [
      { type: TOOL_DONE },
      ...(interruptible ? [{ type: TOOL_DONE, interrupted: true } as const] : []),
      ...(context.entered === 'executing' ? [{ type: TOOL_ERROR } as const] : []),
    ];
  }
  if (snapshot.matches({ toolCycle: 'qaHint' })) {
    // A spent budget asks the qa model nothing: the hint fails as it starts (the raw output goes on).
    if (context.spent) return [{ type: QA_ERROR }];
    // The qa model's turn waits for the test: the hint, a failure, or a trust switch before either.
    return [{ type: QA_DONE }, { type: QA_ERROR }, ...trustEvents(context)];
  }
  if (snapshot.matches({ toolCycle: 'interrupted' })) {
    return [{ type: 'clutch.rerun' }, { type: 'clutch.use_output' }, ...aborts, ...trustEvents(context)];
  }
  if (snapshot.matches({ toolCycle: 'reviewingResult' })) {
    return [{ type: 'clutch.approve' }, { type: 'clutch.edit_result' }, { type: 'clutch.edit_result', approve: true }, ...messages('invalid', 'text', 'call', 'keep'), ...aborts, ...trustEvents(context)];
  }
  return [];
}

/** An abstract state: its value and the context that decides what may come next. */
export function workerStateKey(snapshot: WorkerModelSnapshot): string {
  // Nothing follows a final state, so its context tells no two of them apart.
  return JSON.stringify(snapshot.status === 'done' ? [snapshot.value] : [snapshot.value, snapshot.context]);
}
