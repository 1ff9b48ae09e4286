import { assign, enqueueActions, fromPromise, sendParent, sendTo, setup, spawnChild, stopChild, type DoneActorEvent, type ErrorActorEvent } from 'xstate';
import type { TicketStatus, TrustLevel, TrustOverride } from '../protocol/index.js';
import { workerMachine } from './worker.js';
import type { WorkerInput, WorkerOutput, WorkerToTicketEvent } from './worker-types.js';
import { errorText } from '../protocol/error-text.js';
import { workerKey } from '../protocol/actor-keys.js';

/** What a worker of one archetype gets, resolved from agents.toml by the engine. */
export interface WorkerProfile {
  archetype: string;
  profile: string;
  system: string;
  tools: string[];
  trust: TrustLevel;
  maxTurns: number;
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
}

/** Where the ticket's worktree is, and the commit it was made from. */
export interface PrepareWorkspaceOutput {
  path: string;
  base: string;
  created: boolean;
}

/** What the prepareWorkspace actor is given (it throws to block the ticket). */
export interface PrepareWorkspaceInput {
  ticketId: string;
  attempt: number;
  fresh: boolean;
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
  | ErrorActorEvent<unknown, 'merge'>;

export function workerPrompt(ticket: TicketSpec, conflict: readonly string[] | null = null): string {
  return [
    `Ticket ${ticket.id}: ${ticket.prompt}`,
    '',
    `Target file: ${ticket.target_file}`,
    'Work in the workspace with the tools. When the work is done and checked, call task_complete with a short summary.',
    ...(conflict
      ? [
          '',
          `Your previous attempt at this ticket could not be merged: it conflicted with work merged since it started, in ${conflict.join(', ')}. ` +
            'This workspace is fresh from the current state of the run, which includes that work. Do the ticket again on top of it, keeping what the others changed.',
        ]
      : []),
  ].join('\n');
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
    { guard: 'workerCompletedIsolated', target: 'merging', actions: ['recordOutcome', 'stopWorker'] },
    { guard: 'workerCompleted', target: 'completed', actions: ['recordOutcome', 'stopWorker'] },
    { target: 'blocked', actions: ['recordOutcome', 'stopWorker'] },
  ],
  [workerError]: { target: 'blocked', actions: ['recordOutcome', 'stopWorker'] },
} as const;

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
  },
  guards: {
    workerCompleted: ({ event }) => event.type === workerDone && event.output.outcome === 'completed',
    isolated: ({ context }) => context.isolation === 'worktree',
    workerCompletedIsolated: ({ context, event }) => context.isolation === 'worktree' && event.type === workerDone && event.output.outcome === 'completed',
    merged: ({ event }) => event.type === 'xstate.done.actor.merge' && event.output.ok,
  },
  actions: {
    /** Tells the conductor about a status change (the event is the action's params). */
    tellConductor: sendParent((_, change: TicketChanged) => change),
    // Spawned in the transition, not on entry: running is re-entered from step_paused. The systemId
    // worker:ID lets the engine find the ticket's current worker through the actor system.
    startWorker: enqueueActions(({ context, enqueue }) => {
      const input: WorkerInput = {
        ticketId: context.ticket.id,
        attempt: context.attempts,
        profile: context.worker.profile,
        system: context.worker.system,
        prompt: workerPrompt(context.ticket, context.conflict),
        tools: context.worker.tools,
        trust: context.worker.trust,
        trustOverride: context.trustOverride,
        maxTurns: context.worker.maxTurns,
      };
      enqueue.spawnChild('worker', { id: 'worker', systemId: workerKey(context.ticket.id), input });
      // The attempt has been told; the worktree it works in is the one just prepared.
      enqueue.assign({ conflict: null, freshWorkspace: false });
    }),
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
    countAttempt: assign({ attempts: ({ context }) => context.attempts + 1, blocked_reason: null }),
    recordOutcome: assign(({ event }) => {
      if (event.type === workerDone) {
        const output = event.output;
        return output.outcome === 'completed'
          ? { summary: output.summary, blocked_reason: null }
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
  context: ({ input }) => ({ ...input, attempts: 0, blocked_reason: null, summary: null, skipped: false, conflict: null, freshWorkspace: false }),
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
        'ticket.start': [
          { guard: 'isolated', target: 'preparing', actions: 'countAttempt' },
          { target: 'running', actions: ['countAttempt', 'startWorker'] },
        ],
      },
    },
    // Worktree isolation: the ticket's worktree is made from the integration branch (its
    // dependencies have merged by now) before its worker starts. The conductor counts it running
    // from its start; `running` tells it so once the worker is there.
    preparing: {
      invoke: {
        id: 'prepare',
        src: 'prepareWorkspace',
        input: ({ context }) => ({ ticketId: context.ticket.id, attempt: context.attempts, fresh: context.freshWorkspace }),
        onDone: { target: 'running', actions: 'startWorker' },
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
