/**
 * The ticket's abstract model: the real ticket statechart (derived) over a small context. Its
 * events are the ticket's own (start, retry, skip, trust override), those its worker sends (paused,
 * resumed, done with an outcome, error), those of its code review (the brief of its change, its
 * reviewer's pauses and verdicts) and of its worktree, offered only where the real actors can be
 * made to send them in that order.
 */
import type { WorkerOutput } from '../machines/worker-types.js';
import { ticketMachine } from '../machines/ticket.js';
import type { TrustOverride } from '../protocol/index.js';
import { deriveAbstractMachine, type AbstractSnapshot, type AbstractSpec } from './derive.js';

export const WORKER_DONE = 'xstate.done.actor.worker';
export const WORKER_ERROR = 'xstate.error.actor.worker';
export const PREPARE_DONE = 'xstate.done.actor.prepare';
export const PREPARE_ERROR = 'xstate.error.actor.prepare';
export const MERGE_DONE = 'xstate.done.actor.merge';
export const MERGE_ERROR = 'xstate.error.actor.merge';
export const BRIEF_DONE = 'xstate.done.actor.brief';
export const BRIEF_ERROR = 'xstate.error.actor.brief';
export const REVIEWER_DONE = 'xstate.done.actor.reviewer';
export const REVIEWER_ERROR = 'xstate.error.actor.reviewer';

/** A reviewer's end: its two verdicts, task_complete (no verdict), a failed or an aborted review. */
export type ReviewEnd = 'approve' | 'changes' | 'none' | 'failed' | 'aborted';

export type TicketModelEvent =
  /**
   * On the first start, `isolated` chooses the run's isolation (a worktree per ticket, or shared)
   * and `reviewed` whether the ticket's archetype has its change reviewed.
   */
  | { type: 'ticket.start'; isolated?: boolean; reviewed?: boolean }
  | { type: typeof PREPARE_DONE }
  | { type: typeof PREPARE_ERROR }
  | { type: typeof MERGE_DONE; output: { ok: true; commit: string } | { ok: false; conflicts: string[]; message: string } }
  | { type: typeof MERGE_ERROR }
  | { type: 'ticket.retry' }
  | { type: 'ticket.skip' }
  | { type: 'ticket.trust_override'; override: TrustOverride }
  /** From the ticket's worker, or, while the ticket is reviewing, from its reviewer. */
  | { type: 'worker.paused'; pause: 'approval' | 'review' }
  | { type: 'worker.resumed' }
  /** `synthetic`: sent by the test through `engine.command`, because the real worker never sends it there. */
  | { type: typeof WORKER_DONE; output: WorkerOutput; synthetic?: true }
  | { type: typeof WORKER_ERROR }
  | { type: typeof BRIEF_DONE }
  | { type: typeof BRIEF_ERROR }
  | { type: typeof REVIEWER_DONE; end: ReviewEnd; output: WorkerOutput; synthetic?: true }
  | { type: typeof REVIEWER_ERROR };

export interface TicketModelContext {
  attempts: number;
  /** The run's isolation and whether the ticket is reviewed, chosen by the first start (null before it). */
  isolated: boolean | null;
  reviewed: boolean | null;
  override: TrustOverride;
  /** Reviews of this attempt that gave a verdict. */
  round: number;
  /** Test bookkeeping: where the worker (or the reviewer) is paused, whether that pause began with this event, and which pause the last event left. */
  pause: 'approval' | 'review' | null;
  fresh: boolean;
  resumed: 'approval' | 'review' | null;
  /** Test bookkeeping: this attempt's worker end was synthesized, so no real transcript goes on after a review. */
  synthetic: boolean;
}

export type TicketModelSnapshot = AbstractSnapshot<TicketModelContext>;

/** Retries stop here, which keeps the abstract state space finite. */
export const MAX_ATTEMPTS = 3;
/** agents.toml `max_review_rounds` of the reviewed runs: one request for changes goes back to the worker. */
export const MAX_REVIEW_ROUNDS = 1;

const verdictOf = (event: TicketModelEvent) => (event.type === REVIEWER_DONE ? event.end : undefined);

const clearPause = () => ({ context: { pause: null } });

export const ticketSpec: AbstractSpec<TicketModelContext, TicketModelEvent> = {
  context: { attempts: 0, isolated: null, reviewed: null, override: 'none', round: 0, pause: null, fresh: false, resumed: null, synthetic: false },
  // The worker's own outcome says whether it completed; the run's settings whether it is reviewed and merges; the reviewer's end what its verdict is.
  guards: {
    workerCompleted: (_context, event) => event.type === WORKER_DONE && event.output.outcome === 'completed',
    workerCompletedIsolated: (context, event) => context.isolated === true && event.type === WORKER_DONE && event.output.outcome === 'completed',
    workerCompletedReviewed: (context, event) => context.reviewed === true && event.type === WORKER_DONE && event.output.outcome === 'completed',
    merged: (_context, event) => event.type === MERGE_DONE && event.output.ok,
    approvedIsolated: (context, event) => context.isolated === true && verdictOf(event) === 'approve',
    approved: (_context, event) => verdictOf(event) === 'approve',
    changesRequestedRoundsLeft: (context, event) => verdictOf(event) === 'changes' && context.round + 1 <= MAX_REVIEW_ROUNDS,
    changesRequested: (_context, event) => verdictOf(event) === 'changes',
  },
  actions: {
    countAttempt: (context) => ({ context: { attempts: context.attempts + 1, round: 0, synthetic: false } }),
    recordOverride: (context, event) => ({ context: { override: event.type === 'ticket.trust_override' ? event.override : context.override } }),
    recordVerdict: (context, event) => {
      const verdict = verdictOf(event);
      return verdict === 'approve' || verdict === 'changes' ? { context: { round: context.round + 1 } } : undefined;
    },
  },
  ignoredActions: [
    'tellConductor',
    'startWorker',
    'stopWorker',
    'relayOverride',
    'recordOutcome',
    'recordMergeOutcome',
    'recordPrepareError',
    'recordBriefing',
    'startReviewer',
    'stopReviewer',
    'continueWorker',
    'relayOverrideToReviewer',
    'blockOnReview',
    'recordReviewFailure',
    'recordBriefError',
  ],
  everyTransition: () => ({ context: { fresh: false, resumed: null } }),
  onTransition: {
    'ticket.pending ticket.start[0]': (context, event) =>
      event.type === 'ticket.start' ? { context: { isolated: context.isolated ?? event.isolated === true, reviewed: context.reviewed ?? event.reviewed === true } } : undefined,
    'ticket.running worker.paused[0]': (_context, event) => (event.type === 'worker.paused' ? { context: { pause: event.pause, fresh: true } } : undefined),
    'ticket.step_paused worker.resumed[0]': (context) => ({ context: { pause: null, resumed: context.pause } }),
    // A synthesized end of the worker carries no transcript for a review round to go on from.
    ...Object.fromEntries([0, 1, 2, 3].map((index) => [`ticket.step_paused ${WORKER_DONE}[${index}]`, () => ({ context: { pause: null, synthetic: true } })])),
    [`ticket.step_paused ${WORKER_ERROR}[0]`]: clearPause,
    'ticket.reviewing.reviewer worker.paused[0]': (_context, event) => (event.type === 'worker.paused' ? { context: { pause: event.pause, fresh: true } } : undefined),
    'ticket.reviewing.paused worker.resumed[0]': (context) => ({ context: { pause: null, resumed: context.pause } }),
    ...Object.fromEntries([0, 1, 2, 3, 4].map((index) => [`ticket.reviewing.paused ${REVIEWER_DONE}[${index}]`, clearPause])),
    [`ticket.reviewing.paused ${REVIEWER_ERROR}[0]`]: clearPause,
  },
};

export const abstractTicket = deriveAbstractMachine(ticketMachine, ticketSpec);

const outcome = (value: WorkerOutput['outcome']): WorkerOutput =>
  value === 'completed' ? { outcome: 'completed', summary: 'all done' } : { outcome: value, reason: value === 'aborted' ? 'aborted: not this way' : 'model refused the request (400)' };

/** The reviewer's output for each end, as the real reviewer gives it. */
export function reviewOutput(end: ReviewEnd): WorkerOutput {
  if (end === 'approve') return { outcome: 'completed', summary: 'looks right', finished: { name: 'approve_change', input: { comment: 'looks right' } } };
  if (end === 'changes') return { outcome: 'completed', summary: 'name the greeting', finished: { name: 'request_changes', input: { comments: 'name the greeting' } } };
  if (end === 'none') return { outcome: 'completed', summary: 'no verdict' };
  return outcome(end);
}

const reviewerDone = (end: ReviewEnd, synthetic = false): TicketModelEvent => ({ type: REVIEWER_DONE, end, output: reviewOutput(end), ...(synthetic ? { synthetic: true as const } : {}) });

const overrides = (context: TicketModelContext): TicketModelEvent[] =>
  (['none', 'step', 'auto'] as const).filter((override) => override !== context.override).map((override) => ({ type: 'ticket.trust_override', override }));

/** A verdict that sends the change back goes on in the worker's transcript: only a real one has it. */
const verdicts = (context: TicketModelContext): ReviewEnd[] =>
  context.synthetic && context.round + 1 <= MAX_REVIEW_ROUNDS ? ['approve', 'none'] : ['approve', 'changes', 'none'];

/**
 * What can happen next. With the override at auto a worker (or reviewer) cannot pause; at step it
 * cannot finish without pausing. A worker leaving a pause sends `worker.resumed` before anything
 * else, so its end (aborted, or completed by approving task_complete or a verdict at pause 1)
 * follows a resume at once; pause 2 follows at once the approve of a step-mode call. A crash
 * strikes where a tool context is looked up: while pause 1's preview loads, or, running, on an
 * auto-mode tool run. The reviewer is made to pause at pause 1 only. Faults of the prepare, merge
 * and brief steps are injected in the worktree (shared isolation has none to fail).
 */
export function ticketEvents(snapshot: TicketModelSnapshot): TicketModelEvent[] {
  const context = snapshot.context;
  if (snapshot.status !== 'active') return [];
  if (snapshot.matches('pending')) {
    if (context.isolated !== null) return [{ type: 'ticket.start' }];
    return [false, true].flatMap((isolated) => [false, true].map((reviewed): TicketModelEvent => ({ type: 'ticket.start', isolated, reviewed })));
  }
  if (snapshot.matches('preparing')) return [{ type: PREPARE_DONE }, ...(context.isolated ? [{ type: PREPARE_ERROR } as const] : [])];
  if (snapshot.matches('merging')) {
    return [
      { type: MERGE_DONE, output: { ok: true, commit: 'merged' } },
      { type: MERGE_DONE, output: { ok: false, conflicts: ['conflict.md'], message: 'merge conflict in conflict.md' } },
      { type: MERGE_ERROR },
    ];
  }
  if (snapshot.matches('running')) {
    return [
      ...(context.override !== 'auto' ? [{ type: 'worker.paused', pause: 'approval' } as const] : []),
      ...(context.resumed === 'approval' && context.override !== 'auto' ? [{ type: 'worker.paused', pause: 'review' } as const] : []),
      ...(context.resumed === 'approval' || context.override !== 'step' ? [{ type: WORKER_DONE, output: outcome('completed') } as const] : []),
      ...(context.resumed !== null ? [{ type: WORKER_DONE, output: outcome('aborted') } as const] : []),
      { type: WORKER_DONE, output: outcome('failed') },
      ...(context.override !== 'step' ? [{ type: WORKER_ERROR } as const] : []),
      ...overrides(context),
    ];
  }
  if (snapshot.matches('step_paused')) {
    return [
      { type: 'worker.resumed' },
      ...(context.fresh && context.pause === 'approval' ? [{ type: WORKER_ERROR } as const] : []),
      { type: WORKER_DONE, output: outcome('completed'), synthetic: true },
      { type: WORKER_DONE, output: outcome('aborted'), synthetic: true },
      ...overrides(context),
    ];
  }
  // The brief runs on its own: nothing else is offered until it ends (an override could come before or after it).
  if (snapshot.matches({ reviewing: 'briefing' })) return [{ type: BRIEF_DONE }, ...(context.isolated ? [{ type: BRIEF_ERROR } as const] : [])];
  if (snapshot.matches({ reviewing: 'reviewer' })) {
    const answers = context.resumed === 'approval' || context.override !== 'step';
    return [
      ...(context.override !== 'auto' ? [{ type: 'worker.paused', pause: 'approval' } as const] : []),
      ...(answers ? verdicts(context).map((end) => reviewerDone(end)) : []),
      ...(context.resumed !== null ? [reviewerDone('aborted')] : []),
      reviewerDone('failed'),
      ...(context.override !== 'step' ? [{ type: REVIEWER_ERROR } as const] : []),
      ...overrides(context),
    ];
  }
  if (snapshot.matches({ reviewing: 'paused' })) {
    return [
      { type: 'worker.resumed' },
      ...(context.fresh && context.pause === 'approval' ? [{ type: REVIEWER_ERROR } as const] : []),
      ...verdicts(context).map((end) => reviewerDone(end, true)),
      ...overrides(context),
    ];
  }
  if (snapshot.matches('blocked')) {
    return [...(context.attempts < MAX_ATTEMPTS ? [{ type: 'ticket.retry' } as const] : []), { type: 'ticket.skip' }, ...overrides(context)];
  }
  return [];
}

export function ticketStateKey(snapshot: TicketModelSnapshot): string {
  return JSON.stringify(snapshot.status === 'done' ? [snapshot.value] : [snapshot.value, snapshot.context]);
}

const completed: TicketModelEvent = { type: WORKER_DONE, output: outcome('completed') };
const reviewStart = (isolated: boolean): TicketModelEvent[] => [{ type: 'ticket.start', isolated, reviewed: true }, { type: PREPARE_DONE }, completed, { type: BRIEF_DONE }];

/**
 * Whole reviewed runs the shortest paths cut short:
 * - the reviewer asks for changes at its pause (approved there); the same worker makes them and
 *   completes at its own pause; the second review approves: completed;
 * - changes twice: the rounds are used up and the ticket blocks; the retry's review gives no
 *   verdict (task_complete), which blocks it again, and the human skips it;
 * - under worktree isolation an approved change merges before the ticket completes;
 * - the human aborts the reviewer at its pause: blocked; the retry is approved.
 */
export const TICKET_TARGETED: TicketModelEvent[][] = [
  [
    ...reviewStart(false),
    { type: 'worker.paused', pause: 'approval' },
    { type: 'worker.resumed' },
    reviewerDone('changes'),
    { type: 'worker.paused', pause: 'approval' },
    { type: 'worker.resumed' },
    completed,
    { type: BRIEF_DONE },
    reviewerDone('approve'),
  ],
  [
    ...reviewStart(false),
    reviewerDone('changes'),
    completed,
    { type: BRIEF_DONE },
    reviewerDone('changes'),
    { type: 'ticket.retry' },
    { type: 'ticket.start' },
    { type: PREPARE_DONE },
    completed,
    { type: BRIEF_DONE },
    reviewerDone('none'),
    { type: 'ticket.skip' },
  ],
  [...reviewStart(true), reviewerDone('approve'), { type: MERGE_DONE, output: { ok: true, commit: 'merged' } }],
  [...reviewStart(false), { type: 'worker.paused', pause: 'approval' }, { type: 'worker.resumed' }, reviewerDone('aborted'), { type: 'ticket.retry' }, { type: 'ticket.start' }, { type: PREPARE_DONE }, completed, { type: BRIEF_DONE }, reviewerDone('approve')],
];
