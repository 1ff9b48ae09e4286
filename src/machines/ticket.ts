import { assign, enqueueActions, sendParent, sendTo, setup, spawnChild, stopChild, type DoneActorEvent, type ErrorActorEvent } from 'xstate';
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

export interface TicketInput {
  ticket: TicketSpec;
  worker: WorkerProfile;
  trustOverride: TrustOverride;
}

export interface TicketContext extends TicketInput {
  attempts: number;
  blocked_reason: string | null;
  summary: string | null;
  skipped: boolean;
}

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
  | ErrorActorEvent<unknown, 'worker'>;

export function workerPrompt(ticket: TicketSpec): string {
  return [
    `Ticket ${ticket.id}: ${ticket.prompt}`,
    '',
    `Target file: ${ticket.target_file}`,
    'Work in the workspace with the tools. When the work is done and checked, call task_complete with a short summary.',
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
  actors: { worker: workerMachine },
  guards: {
    workerCompleted: ({ event }) => event.type === workerDone && event.output.outcome === 'completed',
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
        prompt: workerPrompt(context.ticket),
        tools: context.worker.tools,
        trust: context.worker.trust,
        trustOverride: context.trustOverride,
        maxTurns: context.worker.maxTurns,
      };
      enqueue.spawnChild('worker', { id: 'worker', systemId: workerKey(context.ticket.id), input });
    }),
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
  context: ({ input }) => ({ ...input, attempts: 0, blocked_reason: null, summary: null, skipped: false }),
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
      on: { 'ticket.start': { target: 'running', actions: ['countAttempt', 'startWorker'] } },
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
    blocked: {
      entry: { type: 'tellConductor', params: ({ context }) => changed(context, 'blocked') },
      on: {
        // Back through pending: the conductor decides when it may run (linear mode, the cap).
        'ticket.retry': { target: 'pending', actions: assign({ blocked_reason: null }) },
        'ticket.skip': { target: 'completed', actions: assign({ skipped: true }) },
      },
    },
    completed: {
      type: 'final',
      entry: { type: 'tellConductor', params: ({ context }) => changed(context, 'completed') },
    },
  },
});
