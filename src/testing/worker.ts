/**
 * The worker's abstract model: the real worker statechart (derived, see model-derive.ts) over a
 * small context, with the events a test can make happen, each carrying an explicit payload choice.
 */
import { workerMachine } from '../machines/worker.js';
import type { TrustLevel, TrustOverride } from '../protocol/index.js';
import { deriveAbstractMachine, type AbstractSnapshot, type AbstractSpec } from './derive.js';

/**
 * What a scripted tool call does: write a file, fail (a tool error result), task_complete, or run a
 * command (run_command, which also writes a file): the one kind a crash can leave interrupted.
 */
export type CallKind = 'write' | 'fail' | 'done' | 'run';
/** A replacement for the model's last message: refused, text only, a new call, or the same calls reworded. */
export type MessageChoice = 'invalid' | 'text' | 'call' | 'keep';

export const PREVIEW_DONE = 'xstate.done.actor.0.worker.toolCycle.awaitingApproval.previewing';
export const PREVIEW_ERROR = 'xstate.error.actor.0.worker.toolCycle.awaitingApproval.previewing';
export const BACKOFF_DONE = 'xstate.done.actor.0.worker.backoff';
export const BACKOFF_ERROR = 'xstate.error.actor.0.worker.backoff';
export const TOOL_DONE = 'xstate.done.actor.tool';
export const TOOL_ERROR = 'xstate.error.actor.tool';
export const MODEL_ERROR = 'xstate.error.actor.model';

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
  | { type: 'clutch.edit_payload'; valid: boolean }
  | { type: 'clutch.edit_message'; message: MessageChoice }
  | { type: 'clutch.edit_result' }
  | { type: 'clutch.abort'; reason?: string }
  | { type: 'clutch.approve' }
  | { type: typeof PREVIEW_DONE }
  | { type: typeof PREVIEW_ERROR }
  /** `interrupted`: the run store holds the call's intent from before a crash, and no result. */
  | { type: typeof TOOL_DONE; interrupted?: true }
  | { type: typeof TOOL_ERROR }
  | { type: 'clutch.rerun' }
  | { type: 'clutch.use_output' };

export interface WorkerModelContext {
  trust: TrustLevel;
  override: TrustOverride;
  /** The tool calls of the model's last message, in order. */
  calls: CallKind[];
  /** How many of them have a committed result. */
  done: number;
  /** Whether a result waits at pause 2. */
  review: boolean;
  /** Whether the human chose, at the interrupted pause, to run the current call again. */
  rerun: boolean;
  turns: number;
  maxTurns: number;
  /** Whether the model actor said it is waiting (for a rate-limit slot). */
  waiting: boolean;
  /** Test bookkeeping: the invoking state this event entered, where an injected I/O failure may strike. */
  entered: 'prompting' | 'previewing' | 'executing' | null;
}

export type WorkerModelSnapshot = AbstractSnapshot<WorkerModelContext>;

export const WORKER_MAX_TURNS = 2;

const current = (context: WorkerModelContext): CallKind | undefined => context.calls[context.done + (context.review ? 1 : 0)];
const effective = (context: WorkerModelContext): TrustLevel => (context.override === 'none' ? context.trust : context.override);

function afterMessage(context: WorkerModelContext, message: MessageChoice): Pick<WorkerModelContext, 'calls' | 'done'> {
  if (message === 'keep') return { calls: context.calls, done: context.done };
  return { calls: message === 'call' ? ['write'] : [], done: 0 };
}

const realRetryable = workerMachine.implementations.guards['retryable'] as unknown as (args: { event: unknown }) => boolean;

export const workerSpec: AbstractSpec<WorkerModelContext, WorkerModelEvent> = {
  context: {
    trust: 'step',
    override: 'none',
    calls: [],
    done: 0,
    review: false,
    rerun: false,
    turns: 0,
    maxTurns: WORKER_MAX_TURNS,
    waiting: false,
    entered: null,
  },
  guards: {
    isStep: (context) => effective(context) === 'step',
    hasCall: (context) => current(context) !== undefined,
    callIsTaskComplete: (context) => current(context) === 'done',
    turnsLeft: (context) => context.turns < context.maxTurns,
    // Reads only the event, so the real guard decides on the event's payload.
    retryable: (_context, event) => realRetryable({ event }),
    payloadValid: (context, event) => event.type === 'clutch.edit_payload' && event.valid && current(context) !== undefined,
    messageValid: (_context, event) => event.type === 'clutch.edit_message' && event.message !== 'invalid',
    messageLeavesCall: (context, event) => {
      if (event.type !== 'clutch.edit_message' || event.message === 'invalid') return false;
      const next = afterMessage(context, event.message);
      return next.calls[next.done + (context.review ? 1 : 0)] !== undefined;
    },
    reviewSurvivesMessage: (context, event) => event.type === 'clutch.edit_message' && context.review && event.message === 'keep',
    // The payload choice says whether the run store made the call stop at the interrupted pause.
    toolInterrupted: (_context, event) => event.type === TOOL_DONE && event.interrupted === true,
  },
  inlineGuards: {
    'worker.prompting clutch.retry_now[0]': (context) => context.waiting,
  },
  actions: {
    nudge: () => ({ context: { calls: [], done: 0 } }),
    appendResults: () => ({ context: { calls: [], done: 0 } }),
    commitReview: (context) => ({ context: { done: context.done + (context.review ? 1 : 0), review: false } }),
    applyMessage: (context, event) => (event.type === 'clutch.edit_message' ? { context: afterMessage(context, event.message) } : undefined),
    dropReview: () => ({ context: { review: false } }),
  },
  ignoredActions: [
    'notifyApproval',
    'notifyReview',
    'notifyInterrupted',
    'notifyResumed',
    'clearRefusal',
    'applyPayload',
    'refusePayload',
    'refuseMessage',
    'applyResult',
    'journalLastEdit',
  ],
  inline: {
    'worker clutch.set_trust[0]': (_context, event) => (event.type === 'clutch.set_trust' ? { context: { trust: event.trust } } : undefined),
    'worker worker.trust_override[0]': (_context, event) =>
      event.type === 'worker.trust_override' ? { context: { override: event.override } } : undefined,
    'entry worker.prompting': () => ({ context: { waiting: false } }),
    'worker.prompting model.reply[0]': (context, event) =>
      event.type === 'model.reply' ? { context: { calls: event.calls, done: 0, review: false, turns: context.turns + 1 } } : undefined,
    'worker.prompting model.waiting[0]': () => ({ context: { waiting: true } }),
    'worker.prompting model.started[0]': () => ({ context: { waiting: false } }),
    'worker.prompting model.failed[0]': () => ({ context: { waiting: true } }),
    [`worker.toolCycle.executing ${TOOL_DONE}[1]`]: () => ({ context: { review: true, rerun: false } }),
    'worker.toolCycle.interrupted clutch.rerun[0]': () => ({ context: { rerun: true } }),
    // An empty successful result for the call: it waits at pause 2 like any other.
    'worker.toolCycle.interrupted clutch.use_output[0]': () => ({ context: { review: true } }),
  },
  everyTransition: () => ({ context: { entered: null } }),
  onEntry: {
    'worker.prompting': () => ({ context: { entered: 'prompting' } }),
    'worker.toolCycle.awaitingApproval.previewing': () => ({ context: { entered: 'previewing' } }),
    'worker.toolCycle.executing': () => ({ context: { entered: 'executing' } }),
  },
};

export const abstractWorker = deriveAbstractMachine(workerMachine, workerSpec);

export const REPLIES: CallKind[][] = [[], ['write'], ['fail'], ['done'], ['run'], ['write', 'fail'], ['write', 'done'], ['run', 'done']];

function trustEvents(context: WorkerModelContext): WorkerModelEvent[] {
  const trust: TrustLevel = context.trust === 'step' ? 'auto' : 'step';
  const overrides = (['none', 'step', 'auto'] as const).filter((override) => override !== context.override);
  return [{ type: 'clutch.set_trust', trust }, ...overrides.map((override) => ({ type: 'worker.trust_override' as const, override }))];
}

const aborts: WorkerModelEvent[] = [{ type: 'clutch.abort' }, { type: 'clutch.abort', reason: 'wrong call' }];
const messages = (...choices: MessageChoice[]): WorkerModelEvent[] => choices.map((message) => ({ type: 'clutch.edit_message', message }));

/**
 * Whole runs the generators cut short or leave to chance:
 * - a model turn that waits for a rate-limit slot (`model.waiting`), the human's `retry now` and
 *   the slot's grant (`model.started`) come from the engine's real rate limiter, in this targeted
 *   path only: without a limiter the engine sends none of them;
 * - a command found interrupted in step mode: switching trust does not answer that pause, the
 *   rerun runs it once and its result still stops at pause 2;
 * - a command found interrupted whose output the human takes as empty: that result stops at
 *   pause 2 too, and the model's next turn sees it.
 */
export const WORKER_TARGETED: WorkerModelEvent[][] = [
  [
    { type: 'model.waiting' },
    { type: 'clutch.retry_now' },
    { type: 'model.started' },
    { type: 'model.reply', calls: ['write', 'done'] },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
    { type: TOOL_DONE },
    { type: 'clutch.approve' },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
  ],
  [
    { type: 'model.reply', calls: ['run', 'done'] },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
    { type: TOOL_DONE, interrupted: true },
    { type: 'clutch.set_trust', trust: 'auto' },
    { type: 'clutch.set_trust', trust: 'step' },
    { type: 'clutch.rerun' },
    { type: TOOL_DONE },
    { type: 'clutch.approve' },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
  ],
  [
    { type: 'model.reply', calls: ['run'] },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
    { type: TOOL_DONE, interrupted: true },
    { type: 'clutch.use_output' },
    { type: 'clutch.approve' },
    { type: 'model.reply', calls: ['done'] },
    { type: PREVIEW_DONE },
    { type: 'clutch.approve' },
  ],
];

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
    return [
      { type: 'model.delta' },
      ...REPLIES.map((calls): WorkerModelEvent => ({ type: 'model.reply', calls })),
      { type: 'model.failed', retryable: true, retry_at: 1_000_000 },
      { type: 'model.failed', retryable: false },
      ...(context.entered === 'prompting' ? [{ type: MODEL_ERROR } as const] : []),
      ...trustEvents(context),
    ];
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
      { type: 'clutch.edit_payload', valid: false },
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
  if (snapshot.matches({ toolCycle: 'interrupted' })) {
    return [{ type: 'clutch.rerun' }, { type: 'clutch.use_output' }, ...aborts, ...trustEvents(context)];
  }
  if (snapshot.matches({ toolCycle: 'reviewingResult' })) {
    return [{ type: 'clutch.approve' }, { type: 'clutch.edit_result' }, ...messages('invalid', 'text', 'call', 'keep'), ...aborts, ...trustEvents(context)];
  }
  return [];
}

/** An abstract state: its value and the context that decides what may come next. */
export function workerStateKey(snapshot: WorkerModelSnapshot): string {
  // Nothing follows a final state, so its context tells no two of them apart.
  return JSON.stringify(snapshot.status === 'done' ? [snapshot.value] : [snapshot.value, snapshot.context]);
}
