import { assign, enqueueActions, fromPromise, sendParent, sendTo, setup, spawnChild, stopChild, type DoneActorEvent, type ErrorActorEvent } from 'xstate';
import type { ModelMessage, TicketStatus, TrustLevel, TrustOverride } from '../protocol/index.js';
import { workerMachine } from './worker.js';
import type { QaSettings, WorkerInput, WorkerOutput, WorkerToTicketEvent } from './worker-types.js';
import { errorText } from '../protocol/error-text.js';
import { workerKey } from '../protocol/actor-keys.js';

/** The reviewer of a ticket is a worker keyed `worker:ID@review`. */
export const reviewerId = (ticketId: string): string => `${ticketId}@review`;

/** What a worker of one archetype gets, resolved from agents.toml by the engine. */
export interface WorkerProfile {
  archetype: string;
  profile: string;
  system: string;
  tools: string[];
  trust: TrustLevel;
  maxTurns: number;
  /** QA for the worker's failing commands (agents.toml `qa_by`). */
  qa?: QaSettings;
  /** Code review of the finished ticket (agents.toml `review_by`). */
  review?: ReviewSettings;
  /** Tools whose accepted result ends the worker (a reviewer's verdicts, the planner's proposals). */
  finish?: string[];
}

/** Who reviews a ticket's change, and how many times it may send it back. */
export interface ReviewSettings {
  /** The reviewer (tier 2): read-only tools and the two verdicts. */
  worker: WorkerProfile;
  maxRounds: number;
}

/** A reviewer's answer. */
export interface ReviewVerdict {
  verdict: 'approve' | 'request_changes';
  comments: string;
  round: number;
}

export interface TicketSpec {
  id: string;
  target_file: string;
  prompt: string;
  worker_archetype: string;
  dependencies: string[];
}

/** agents.toml `[execution] isolation`: a git worktree per ticket, or the run's one shared workspace. */
export type Isolation = 'worktree' | 'shared';

export interface TicketInput {
  ticket: TicketSpec;
  worker: WorkerProfile;
  trustOverride: TrustOverride;
  /** Absent: shared (no workspace to prepare, nothing to merge). */
  isolation?: Isolation;
}

export interface TicketContext extends TicketInput {
  attempts: number;
  blocked_reason: string | null;
  summary: string | null;
  skipped: boolean;
  /** The files the last merge conflicted on; the next attempt is told, on a fresh worktree. */
  conflict: string[] | null;
  /** The next attempt starts from a fresh worktree (after a conflict, or a retry that restores). */
  freshWorkspace: boolean;
  /** Reviews of this attempt so far (the first is round 1). */
  round: number;
  /** Reviews of this ticket over all its attempts (the reviewer's attempt number). */
  reviews: number;
  /** The worker's closed transcript while its change is under review (changes go on from it). */
  transcript: ModelMessage[] | null;
  /** The last review's verdict. */
  verdict: ReviewVerdict | null;
  /** What the ticket's worker is told first: the skeletons of the files it depends on. */
  briefing: string | null;
}

/** What the reviewBrief actor gives the reviewer: the ticket's own change. */
export interface ReviewBriefInput {
  ticketId: string;
  attempt: number;
}

export interface ReviewBriefOutput {
  /** The ticket's diff against the commit it started from (or what shared isolation can say). */
  diff: string;
}

/** Where the ticket's worktree is, and the commit it was made from. */
export interface PrepareWorkspaceOutput {
  /** Worktree isolation: where the ticket's worktree is, the commit it was made from, whether it is new. */
  path?: string;
  base?: string;
  created?: boolean;
  /** The skeletons of the files the ticket's dependencies target, for the worker's first message. */
  briefing?: string;
}

/** What the prepareWorkspace actor is given (it throws to block the ticket). */
export interface PrepareWorkspaceInput {
  ticketId: string;
  attempt: number;
  fresh: boolean;
  /** A worktree to make (worktree isolation); without it only the briefing is prepared. */
  isolated: boolean;
}

/** What the mergeWorkspace actor is given. */
export interface MergeWorkspaceInput {
  ticketId: string;
  attempt: number;
  summary: string;
}

export type MergeWorkspaceOutput = { ok: true; commit: string } | { ok: false; conflicts: string[]; message: string };

/** What the conductor learns on every status change. */
export interface TicketChanged {
  type: 'ticket.changed';
  id: string;
  status: TicketStatus;
  attempts: number;
  blocked_reason: string | null;
  summary: string | null;
  skipped: boolean;
}

export type TicketEvent =
  | { type: 'ticket.start' }
  | { type: 'ticket.retry'; files?: 'restore' | 'keep' }
  | { type: 'ticket.skip' }
  | { type: 'ticket.trust_override'; override: TrustOverride }
  | WorkerToTicketEvent
  | DoneActorEvent<WorkerOutput, 'worker'>
  | ErrorActorEvent<unknown, 'worker'>
  | DoneActorEvent<PrepareWorkspaceOutput, 'prepare'>
  | ErrorActorEvent<unknown, 'prepare'>
  | DoneActorEvent<MergeWorkspaceOutput, 'merge'>
  | ErrorActorEvent<unknown, 'merge'>
  | DoneActorEvent<ReviewBriefOutput, 'brief'>
  | ErrorActorEvent<unknown, 'brief'>
  | DoneActorEvent<WorkerOutput, 'reviewer'>
  | ErrorActorEvent<unknown, 'reviewer'>;

export function workerPrompt(ticket: TicketSpec, conflict: readonly string[] | null = null, briefing: string | null = null): string {
  return [
    `Ticket ${ticket.id}: ${ticket.prompt}`,
    '',
    `Target file: ${ticket.target_file}`,
    'Work in the workspace with the tools. When the work is done and checked, call task_complete with a short summary.',
    ...(briefing ? ['', 'The files this ticket depends on, as skeletons (signatures only: "exports:" lists what each file exports, … marks what is folded; read_file shows a whole file):', briefing] : []),
    ...(conflict
      ? [
          '',
          `Your previous attempt at this ticket could not be merged: it conflicted with work merged since it started, in ${conflict.join(', ')}. ` +
            'This workspace is fresh from the current state of the run, which includes that work. Do the ticket again on top of it, keeping what the others changed.',
        ]
      : []),
  ].join('\n');
}

/** What the reviewer is asked: the ticket, the worker's summary and the ticket's own diff. */
export function reviewPrompt(context: TicketContext, diff: string): string {
  const review = context.worker.review!;
  return [
    `Review ticket ${context.ticket.id} (review ${context.round + 1} of at most ${review.maxRounds + 1} for this attempt): ${context.ticket.prompt}`,
    '',
    `Target file: ${context.ticket.target_file}`,
    `The worker's summary: ${context.summary ?? '(none)'}`,
    '',
    "The ticket's change (its own branch against the commit it started from; no other ticket's work is in it):",
    diff,
    '',
    'Read what you need with the tools. Then answer with approve_change if the change does what the ticket asks, ' +
      'or with request_changes, listing exactly what the worker must change.',
  ].join('\n');
}

/** The next user message of the worker whose change the review sent back. */
export function changesPrompt(verdict: ReviewVerdict, maxRounds: number): string {
  return [
    `The code review (round ${verdict.round} of ${maxRounds}) asks for changes before this ticket is done:`,
    verdict.comments,
    '',
    'Make them, check them, and call task_complete again with a summary of what you changed.',
  ].join('\n');
}

/** The ticket's worker for this attempt, with its archetype's settings and the trust as it stands. */
function ticketWorkerInput(context: TicketContext, prompt: string): WorkerInput {
  return {
    ticketId: context.ticket.id,
    attempt: context.attempts,
    profile: context.worker.profile,
    system: context.worker.system,
    prompt,
    tools: context.worker.tools,
    trust: context.worker.trust,
    trustOverride: context.trustOverride,
    maxTurns: context.worker.maxTurns,
    archetype: context.worker.archetype,
    ...(context.worker.qa ? { qa: context.worker.qa } : {}),
  };
}

function changed(context: TicketContext, status: TicketStatus): TicketChanged {
  return {
    type: 'ticket.changed',
    id: context.ticket.id,
    status,
    attempts: context.attempts,
    blocked_reason: context.blocked_reason,
    summary: context.summary,
    skipped: context.skipped,
  };
}

const workerDone = 'xstate.done.actor.worker' as const;
const workerError = 'xstate.error.actor.worker' as const;

/** running and step_paused both have a live worker: they relay overrides and end the same way. */
const whileWorkerLives = {
  'ticket.trust_override': { actions: ['recordOverride', 'relayOverride'] },
  [workerDone]: [
    { guard: 'workerCompletedReviewed', target: 'reviewing', actions: ['recordOutcome', 'stopWorker'] },
    { guard: 'workerCompletedIsolated', target: 'merging', actions: ['recordOutcome', 'stopWorker'] },
    { guard: 'workerCompleted', target: 'completed', actions: ['recordOutcome', 'stopWorker'] },
    { target: 'blocked', actions: ['recordOutcome', 'stopWorker'] },
  ],
  [workerError]: { target: 'blocked', actions: ['recordOutcome', 'stopWorker'] },
} as const;

const reviewerDone = 'xstate.done.actor.reviewer' as const;
const reviewerError = 'xstate.error.actor.reviewer' as const;

/** While the reviewer works (or waits at one of its pauses): its verdict decides where the ticket goes. */
const whileReviewerLives = {
  'ticket.trust_override': { actions: ['recordOverride', 'relayOverrideToReviewer'] },
  [reviewerDone]: [
    { guard: 'approvedIsolated', target: '#ticket.merging', actions: ['recordVerdict', 'stopReviewer'] },
    { guard: 'approved', target: '#ticket.completed', actions: ['recordVerdict', 'stopReviewer'] },
    { guard: 'changesRequestedRoundsLeft', target: '#ticket.running', actions: ['recordVerdict', 'stopReviewer', 'continueWorker'] },
    { guard: 'changesRequested', target: '#ticket.blocked', actions: ['recordVerdict', 'stopReviewer', 'blockOnReview'] },
    { target: '#ticket.blocked', actions: ['recordReviewFailure', 'stopReviewer'] },
  ],
  [reviewerError]: { target: '#ticket.blocked', actions: ['recordReviewFailure', 'stopReviewer'] },
} as const;

function verdictOf(output: WorkerOutput, round: number): ReviewVerdict | null {
  if (output.outcome !== 'completed' || !output.finished) return null;
  const { name, input } = output.finished;
  if (name === 'approve_change') return { verdict: 'approve', comments: typeof input['comment'] === 'string' ? input['comment'] : '', round };
  if (name === 'request_changes') return { verdict: 'request_changes', comments: String(input['comments'] ?? ''), round };
  return null;
}

const verdictIs = (event: TicketEvent, verdict: ReviewVerdict['verdict']) =>
  event.type === reviewerDone && verdictOf(event.output, 0)?.verdict === verdict;

export const ticketMachine = setup({
  types: {
    input: {} as TicketInput,
    context: {} as TicketContext,
    events: {} as TicketEvent,
  },
  actors: {
    worker: workerMachine,
    // Provided by the engine (git worktrees); the pure machine only names them.
    prepareWorkspace: fromPromise<PrepareWorkspaceOutput, PrepareWorkspaceInput>(async () => {
      throw new Error('no ticket workspaces were provided');
    }),
    mergeWorkspace: fromPromise<MergeWorkspaceOutput, MergeWorkspaceInput>(async () => {
      throw new Error('no ticket workspaces were provided');
    }),
    reviewBrief: fromPromise<ReviewBriefOutput, ReviewBriefInput>(async () => {
      throw new Error('no review brief was provided');
    }),
  },
  guards: {
    workerCompleted: ({ event }) => event.type === workerDone && event.output.outcome === 'completed',
    isolated: ({ context }) => context.isolation === 'worktree',
    workerCompletedIsolated: ({ context, event }) => context.isolation === 'worktree' && event.type === workerDone && event.output.outcome === 'completed',
    merged: ({ event }) => event.type === 'xstate.done.actor.merge' && event.output.ok,
    workerCompletedReviewed: ({ context, event }) => context.worker.review !== undefined && event.type === workerDone && event.output.outcome === 'completed',
    approvedIsolated: ({ context, event }) => context.isolation === 'worktree' && verdictIs(event, 'approve'),
    approved: ({ event }) => verdictIs(event, 'approve'),
    changesRequestedRoundsLeft: ({ context, event }) => verdictIs(event, 'request_changes') && context.round + 1 <= (context.worker.review?.maxRounds ?? 0),
    changesRequested: ({ event }) => verdictIs(event, 'request_changes'),
  },
  actions: {
    /** Tells the conductor about a status change (the event is the action's params). */
    tellConductor: sendParent((_, change: TicketChanged) => change),
    // Spawned in the transition, not on entry: running is re-entered from step_paused. The systemId
    // worker:ID lets the engine find the ticket's current worker through the actor system.
    startWorker: enqueueActions(({ context, enqueue }) => {
      const input = ticketWorkerInput(context, workerPrompt(context.ticket, context.conflict, context.briefing));
      enqueue.spawnChild('worker', { id: 'worker', systemId: workerKey(context.ticket.id), input });
      // The attempt has been told; the worktree it works in is the one just prepared.
      enqueue.assign({ conflict: null, freshWorkspace: false });
    }),
    /** The review asked for changes: the same worker goes on, in the same transcript, with the comments. */
    continueWorker: enqueueActions(({ context, enqueue }) => {
      const verdict = context.verdict!;
      const input = { ...ticketWorkerInput(context, changesPrompt(verdict, context.worker.review?.maxRounds ?? verdict.round)), messages: context.transcript ?? [] };
      enqueue.spawnChild('worker', { id: 'worker', systemId: workerKey(context.ticket.id), input });
      enqueue.assign({ transcript: null });
    }),
    /** The reviewer reads the ticket's own change; its key is the ticket's with "@review". */
    startReviewer: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'xstate.done.actor.brief') return;
      const reviewer = context.worker.review!.worker;
      const input: WorkerInput = {
        ticketId: reviewerId(context.ticket.id),
        attempt: context.reviews + 1,
        profile: reviewer.profile,
        system: reviewer.system,
        prompt: reviewPrompt(context, event.output.diff),
        tools: reviewer.tools,
        trust: reviewer.trust,
        trustOverride: context.trustOverride,
        maxTurns: reviewer.maxTurns,
        archetype: reviewer.archetype,
        finish: reviewer.finish ?? ['approve_change', 'request_changes'],
      };
      enqueue.spawnChild('worker', { id: 'reviewer', systemId: workerKey(reviewerId(context.ticket.id)), input });
      enqueue.assign({ reviews: context.reviews + 1 });
    }),
    stopReviewer: stopChild('reviewer'),
    relayOverrideToReviewer: sendTo('reviewer', ({ event }) => ({
      type: 'worker.trust_override' as const,
      override: event.type === 'ticket.trust_override' ? event.override : 'none',
    })),
    recordVerdict: assign(({ context, event }) => {
      if (event.type !== reviewerDone) return {};
      const verdict = verdictOf(event.output, context.round + 1);
      if (!verdict) return {};
      return { verdict, round: context.round + 1, ...(verdict.verdict === 'approve' ? { transcript: null } : {}) };
    }),
    blockOnReview: assign(({ context }) => ({
      transcript: null,
      blocked_reason: `the code review still requests changes after ${context.round} review${context.round === 1 ? '' : 's'} (max_review_rounds = ${context.worker.review?.maxRounds ?? 0}): ${context.verdict?.comments ?? ''}`,
    })),
    recordReviewFailure: assign(({ event }) => ({
      transcript: null,
      blocked_reason:
        event.type === reviewerDone
          ? event.output.outcome === 'completed'
            ? 'the reviewer ended without a verdict (approve_change or request_changes)'
            : `the code review did not finish: ${event.output.reason}`
          : event.type === reviewerError
            ? `the code review failed: ${errorText(event.error)}`
            : 'the code review failed',
    })),
    recordBriefError: assign(({ event }) => ({
      transcript: null,
      blocked_reason: event.type === 'xstate.error.actor.brief' ? `could not show the reviewer the ticket's change: ${errorText(event.error)}` : null,
    })),
    recordBriefing: assign(({ event }) => ({
      briefing: event.type === 'xstate.done.actor.prepare' ? (event.output.briefing ?? null) : null,
    })),
    recordMergeOutcome: assign(({ event }) => {
      if (event.type === 'xstate.done.actor.merge') {
        const output = event.output;
        return output.ok
          ? { conflict: null }
          : { conflict: output.conflicts, freshWorkspace: true, blocked_reason: `${output.message}; retry runs the ticket again on a fresh worktree from the current integration branch` };
      }
      if (event.type === 'xstate.error.actor.merge') return { blocked_reason: `could not merge the ticket's work: ${errorText(event.error)}` };
      return {};
    }),
    recordPrepareError: assign(({ event }) => ({
      blocked_reason: event.type === 'xstate.error.actor.prepare' ? `could not prepare the ticket's worktree: ${errorText(event.error)}` : null,
    })),
    stopWorker: stopChild('worker'),
    recordOverride: assign({
      trustOverride: ({ context, event }) => (event.type === 'ticket.trust_override' ? event.override : context.trustOverride),
    }),
    relayOverride: sendTo('worker', ({ event }) => ({
      type: 'worker.trust_override' as const,
      override: event.type === 'ticket.trust_override' ? event.override : 'none',
    })),
    countAttempt: assign({ attempts: ({ context }) => context.attempts + 1, blocked_reason: null, round: 0, verdict: null }),
    recordOutcome: assign(({ context, event }) => {
      if (event.type === workerDone) {
        const output = event.output;
        return output.outcome === 'completed'
          ? { summary: output.summary, blocked_reason: null, transcript: context.worker.review ? (output.messages ?? null) : null }
          : { blocked_reason: output.reason };
      }
      if (event.type === workerError) {
        const error = event.error;
        return { blocked_reason: `internal error: ${errorText(error)}` };
      }
      return {};
    }),
  },
}).createMachine({
  id: 'ticket',
  context: ({ input }) => ({
    ...input,
    attempts: 0,
    blocked_reason: null,
    summary: null,
    skipped: false,
    conflict: null,
    freshWorkspace: false,
    round: 0,
    reviews: 0,
    transcript: null,
    verdict: null,
    briefing: null,
  }),
  initial: 'pending',
  on: {
    'ticket.trust_override': { actions: 'recordOverride' },
  },
  states: {
    pending: {
      // The conductor already counts a fresh ticket as pending; only a retry must say so.
      entry: enqueueActions(({ context, enqueue }) => {
        if (context.attempts > 0) enqueue({ type: 'tellConductor', params: changed(context, 'pending') });
      }),
      on: {
        'ticket.start': { target: 'preparing', actions: 'countAttempt' },
      },
    },
    // Before the worker starts: under worktree isolation the ticket's worktree is made from the
    // integration branch (its dependencies have merged by now); in either mode the worker's
    // briefing is read (the skeletons of the files its dependencies target). The conductor counts
    // it running from its start; `running` tells it so once the worker is there.
    preparing: {
      invoke: {
        id: 'prepare',
        src: 'prepareWorkspace',
        input: ({ context }) => ({ ticketId: context.ticket.id, attempt: context.attempts, fresh: context.freshWorkspace, isolated: context.isolation === 'worktree' }),
        onDone: { target: 'running', actions: ['recordBriefing', 'startWorker'] },
        onError: { target: 'blocked', actions: 'recordPrepareError' },
      },
    },
    running: {
      entry: { type: 'tellConductor', params: ({ context }) => changed(context, 'running') },
      on: {
        'worker.paused': { target: 'step_paused' },
        ...whileWorkerLives,
      },
    },
    step_paused: {
      entry: { type: 'tellConductor', params: ({ context }) => changed(context, 'step_paused') },
      on: {
        'worker.resumed': { target: 'running' },
        ...whileWorkerLives,
      },
    },
    // Code review (tier 2): the worker said it is done; the reviewer reads the ticket's own diff and
    // approves it, or requests changes that go back to the same worker (at most max_review_rounds).
    // The conductor still counts the ticket running; a pause of the reviewer makes it step_paused.
    reviewing: {
      initial: 'briefing',
      states: {
        briefing: {
          invoke: {
            id: 'brief',
            src: 'reviewBrief',
            input: ({ context }) => ({ ticketId: context.ticket.id, attempt: context.attempts }),
            onDone: { target: 'reviewer', actions: 'startReviewer' },
            onError: { target: '#ticket.blocked', actions: 'recordBriefError' },
          },
        },
        reviewer: {
          on: {
            'worker.paused': { target: 'paused' },
            ...whileReviewerLives,
          },
        },
        // ◆ One of the reviewer's own pauses (step trust): its verdict is a call the human approves, edits or aborts.
        paused: {
          entry: { type: 'tellConductor', params: ({ context }) => changed(context, 'step_paused') },
          on: {
            'worker.resumed': { target: 'reviewer', actions: { type: 'tellConductor', params: ({ context }) => changed(context, 'running') } },
            ...whileReviewerLives,
          },
        },
      },
    },
    // Worktree isolation: the worker said it is done; its branch merges into the integration
    // branch before the ticket counts as completed (and before any dependent starts).
    merging: {
      invoke: {
        id: 'merge',
        src: 'mergeWorkspace',
        input: ({ context }) => ({ ticketId: context.ticket.id, attempt: context.attempts, summary: context.summary ?? '' }),
        onDone: [
          { guard: 'merged', target: 'completed', actions: 'recordMergeOutcome' },
          { target: 'blocked', actions: 'recordMergeOutcome' },
        ],
        onError: { target: 'blocked', actions: 'recordMergeOutcome' },
      },
    },
    blocked: {
      entry: { type: 'tellConductor', params: ({ context }) => changed(context, 'blocked') },
      on: {
        // Back through pending: the conductor decides when it may run (linear mode, the cap). In a
        // worktree, "restore" (or a conflict) starts the next attempt on a fresh one; else it goes on in its own.
        'ticket.retry': {
          target: 'pending',
          actions: assign({
            blocked_reason: null,
            freshWorkspace: ({ context, event }) => context.freshWorkspace || event.files === 'restore',
          }),
        },
        'ticket.skip': { target: 'completed', actions: assign({ skipped: true }) },
      },
    },
    completed: {
      type: 'final',
      entry: { type: 'tellConductor', params: ({ context }) => changed(context, 'completed') },
    },
  },
});
