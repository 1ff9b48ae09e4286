import { assign, enqueueActions, fromCallback, setup, type DoneActorEvent, type ErrorActorEvent, type EventObject } from 'xstate';
import type { ExecutionMode, ProposedTrack, TicketStatus, TrustOverride } from '../protocol/index.js';
import { plannerMachine, type PlannerInput, type PlannerOutput } from './planner.js';
import { at } from './chunked.js';
import { initialSchedule, markStarted, pickStarts, planOf, recordChange, type Schedule, type StaticPlan } from './schedule.js';
import { ticketMachine, type Isolation, type TicketChanged, type TicketInput, type TicketSpec, type WorkerProfile } from './ticket.js';
import { errorText } from '../protocol/error-text.js';
import { ticketKey } from '../protocol/actor-keys.js';

export interface ConductorInput {
  trackId: string;
  /** In track order: linear mode runs them in this order. */
  tickets: TicketSpec[];
  /** Worker settings by archetype name. */
  workers: Record<string, WorkerProfile>;
  maxConcurrency: number;
  /** Model profiles whose workers share a rate-limit scheduler (one actor each). */
  rateLimiters?: string[];
  /** Whether each ticket works in its own git worktree (absent: the shared workspace). */
  isolation?: Isolation;
  /** Who plans a request (`conductor.request`): archetype names from agents.toml. Absent: no planning. */
  planning?: PlanningSettings;
}

export interface PlanningSettings {
  pm: string;
  lead: string | null;
  maxRounds: number;
}

/** A proposed track as the conductor runs it: the tickets in order, every dependency list present. */
export function ticketsOfPlan(plan: ProposedTrack): TicketSpec[] {
  return plan.tickets.map(({ id, target_file, prompt, worker_archetype, dependencies }) => ({ id, target_file, prompt, worker_archetype, dependencies: dependencies ?? [] }));
}

export interface ConductorContext extends StaticPlan, Schedule {
  trackId: string;
  workers: Record<string, WorkerProfile>;
  maxConcurrency: number;
  rateLimiters: string[];
  isolation: Isolation;
  // Mirrors of the mode and trustOverride regions, read by actions that cannot see state values.
  mode: ExecutionMode;
  trustOverride: TrustOverride;
  planning: PlanningSettings | null;
  /** The request being planned or run (the UserRequestEvent's text), if the run began with one. */
  request: string | null;
  /** Why the last planning stopped short (a Clutch bug in the planner); a new request may follow. */
  planError: string | null;
}

export type ConductorEvent =
  | { type: 'conductor.start' }
  /** The UserRequestEvent: Tier 1 plans it, Tier 2 checks it, the human approves it, then it runs. */
  | { type: 'conductor.request'; text: string }
  | DoneActorEvent<PlannerOutput, 'planner'>
  | { type: 'conductor.set_mode'; mode: ExecutionMode }
  | { type: 'conductor.set_trust_override'; override: TrustOverride }
  | TicketChanged
  | ErrorActorEvent<unknown, string>;

export type ConductorEmitted =
  | {
      type: 'conductor.ticket_ended';
      id: string;
      status: Extract<TicketStatus, 'completed' | 'blocked'>;
      mode: ExecutionMode;
    }
  /** The human approved the plan: the engine writes it as the run's track.toml before its tickets start. */
  | { type: 'conductor.plan_approved'; proposal: ProposedTrack };

const ticketErrorPrefix = 'xstate.error.actor.';

function schedule(context: ConductorContext): Schedule {
  const { tickets, waitingOn, ready, active, completed } = context;
  return { tickets, waitingOn, ready, active, completed };
}

export const conductorMachine = setup({
  types: {
    input: {} as ConductorInput,
    context: {} as ConductorContext,
    events: {} as ConductorEvent,
    emitted: {} as ConductorEmitted,
  },
  actors: {
    ticket: ticketMachine,
    planner: plannerMachine,
    // The engine provides the real scheduler; a keyed src keeps the spawn persistable.
    rateLimiter: fromCallback<EventObject, { profile: string }>(() => {}),
  },
  guards: {
    toMode: ({ event }, mode: ExecutionMode) => event.type === 'conductor.set_mode' && event.mode === mode,
    toOverride: ({ event }, override: TrustOverride) =>
      event.type === 'conductor.set_trust_override' && event.override === override,
    // Guards see the context from before the mode region's assign, so this compares old and new.
    modeChanges: ({ context, event }) => event.type === 'conductor.set_mode' && event.mode !== context.mode,
    allCompleted: ({ context }) => context.completed === context.specs.length,
    nothingRunnable: ({ context }) => context.active === 0 && context.ready.length === 0,
    canPlan: ({ context, event }) => context.planning !== null && context.specs.length === 0 && event.type === 'conductor.request' && event.text.trim() !== '',
  },
  actions: {
    spawnRateLimiters: enqueueActions(({ context, enqueue }) => {
      for (const profile of context.rateLimiters) {
        enqueue.spawnChild('rateLimiter', { id: `rate-limiter:${profile}`, systemId: `rate-limiter:${profile}`, input: { profile } });
      }
    }),
    setMode: assign({ mode: ({ context, event }) => (event.type === 'conductor.set_mode' ? event.mode : context.mode) }),
    setOverride: enqueueActions(({ context, event, enqueue, self }) => {
      if (event.type !== 'conductor.set_trust_override') return;
      enqueue.assign({ trustOverride: event.override });
      const children = self.getSnapshot().children as Record<string, { getSnapshot(): { status: string } } | undefined>;
      if (children['planner']?.getSnapshot().status === 'active') enqueue.sendTo('planner', { type: 'planner.trust_override', override: event.override });
      context.specs.forEach((spec, index) => {
        const ticket = at(context.tickets, index);
        // A ticket whose actor crashed is blocked with no actor left to tell (its ref stays, stopped).
        const stopped = children[spec.id] !== undefined && children[spec.id]!.getSnapshot().status !== 'active';
        if (ticket.spawned && ticket.status !== 'completed' && !stopped) {
          enqueue.sendTo(spec.id, { type: 'ticket.trust_override', override: event.override });
        }
      });
    }),
    record: enqueueActions(({ context, event, enqueue }) => {
      let index: number | undefined;
      let next: Schedule;
      if (event.type === 'ticket.changed') {
        index = context.indexOf[event.id];
        if (index === undefined) return;
        next = recordChange(context, schedule(context), index, event);
      } else if (event.type.startsWith(ticketErrorPrefix)) {
        // A ticket actor that throws is a Clutch bug; block it rather than stop the whole run.
        index = context.indexOf[event.type.slice(ticketErrorPrefix.length)];
        if (index === undefined) return;
        const before = at(context.tickets, index);
        const error = (event as ErrorActorEvent).error;
        next = recordChange(context, schedule(context), index, {
          ...before,
          status: 'blocked',
          blocked_reason: `internal error: ${errorText(error)}`,
        });
      } else {
        return;
      }
      const before = at(context.tickets, index).status;
      const after = at(next.tickets, index).status;
      enqueue.assign(next);
      if (after === 'completed') enqueue.stopChild(context.specs[index]!.id);
      if (before !== after && (after === 'completed' || after === 'blocked')) {
        enqueue.emit({ type: 'conductor.ticket_ended', id: context.specs[index]!.id, status: after, mode: context.mode });
      }
    }),
    /** The approved plan becomes the conductor's tickets, as if the run had started from its track file. */
    loadPlan: enqueueActions(({ event, enqueue }) => {
      if (event.type !== 'xstate.done.actor.planner') return;
      const plan = planOf(ticketsOfPlan(event.output.proposal));
      enqueue.assign({ ...plan, ...initialSchedule(plan), planError: null });
      enqueue.emit({ type: 'conductor.plan_approved', proposal: event.output.proposal });
    }),
    dispatch: enqueueActions(({ context, enqueue }) => {
      const starts = pickStarts(context, context.mode, context.maxConcurrency);
      if (starts.length === 0) return;
      for (const index of starts) {
        const spec = context.specs[index]!;
        if (!at(context.tickets, index).spawned) {
          const worker = context.workers[spec.worker_archetype];
          if (!worker) throw new Error(`ticket ${spec.id}: no worker settings for archetype ${spec.worker_archetype}`);
          const input: TicketInput = {
            ticket: spec,
            worker,
            trustOverride: context.trustOverride,
            ...(context.isolation === 'worktree' ? { isolation: context.isolation } : {}),
          };
          enqueue.spawnChild('ticket', { id: spec.id, systemId: ticketKey(spec.id), input });
        }
        enqueue.sendTo(spec.id, { type: 'ticket.start' });
      }
      enqueue.assign(markStarted(schedule(context), starts));
    }),
  },
}).createMachine({
  id: 'conductor',
  type: 'parallel',
  entry: 'spawnRateLimiters',
  context: ({ input }) => {
    const plan = planOf(input.tickets);
    return {
      ...plan,
      ...initialSchedule(plan),
      trackId: input.trackId,
      workers: input.workers,
      maxConcurrency: input.maxConcurrency,
      rateLimiters: input.rateLimiters ?? [],
      isolation: input.isolation ?? 'shared',
      mode: 'async',
      trustOverride: 'none',
      planning: input.planning ?? null,
      request: null,
      planError: null,
    };
  },
  states: {
    mode: {
      initial: 'async',
      states: {
        async: { on: { 'conductor.set_mode': { guard: { type: 'toMode', params: 'linear' }, target: 'linear', actions: 'setMode' } } },
        linear: { on: { 'conductor.set_mode': { guard: { type: 'toMode', params: 'async' }, target: 'async', actions: 'setMode' } } },
      },
    },
    trustOverride: {
      initial: 'none',
      states: {
        none: {
          on: {
            'conductor.set_trust_override': [
              { guard: { type: 'toOverride', params: 'step' }, target: 'step', actions: 'setOverride' },
              { guard: { type: 'toOverride', params: 'auto' }, target: 'auto', actions: 'setOverride' },
            ],
          },
        },
        step: {
          on: {
            'conductor.set_trust_override': [
              { guard: { type: 'toOverride', params: 'none' }, target: 'none', actions: 'setOverride' },
              { guard: { type: 'toOverride', params: 'auto' }, target: 'auto', actions: 'setOverride' },
            ],
          },
        },
        auto: {
          on: {
            'conductor.set_trust_override': [
              { guard: { type: 'toOverride', params: 'none' }, target: 'none', actions: 'setOverride' },
              { guard: { type: 'toOverride', params: 'step' }, target: 'step', actions: 'setOverride' },
            ],
          },
        },
      },
    },
    run: {
      initial: 'idle',
      states: {
        idle: {
          on: {
            'conductor.start': { target: 'running' },
            'conductor.request': { guard: 'canPlan', target: 'planning', actions: assign({ request: ({ event }) => event.text.trim() }) },
          },
        },
        // The request is planned (the planner's own states: proposing, reviewing, ◆ awaitingApproval);
        // the approved plan becomes the tickets and the run starts.
        planning: {
          invoke: {
            id: 'planner',
            systemId: 'planner',
            src: 'planner',
            input: ({ context }): PlannerInput => {
              const planning = context.planning!;
              return {
                request: context.request ?? '',
                pm: context.workers[planning.pm]!,
                lead: planning.lead ? (context.workers[planning.lead] ?? null) : null,
                trustOverride: context.trustOverride,
                maxRounds: planning.maxRounds,
              };
            },
            onDone: { target: 'running', actions: 'loadPlan' },
            onError: { target: 'idle', actions: assign({ planError: ({ event }) => `planning failed: ${errorText(event.error)}` }) },
          },
        },
        running: {
          entry: 'dispatch',
          always: [
            { guard: 'allCompleted', target: 'done' },
            { guard: 'nothingRunnable', target: 'stalled' },
          ],
          on: {
            'ticket.changed': { actions: ['record', 'dispatch'] },
            'xstate.error.actor.*': { actions: ['record', 'dispatch'] },
            // Switching mode mid-run takes effect at once rather than at the next ticket end.
            'conductor.set_mode': { guard: 'modeChanges', actions: 'dispatch' },
          },
        },
        stalled: {
          on: {
            'ticket.changed': { target: 'running', actions: 'record' },
          },
        },
        done: { type: 'final' },
      },
    },
  },
});
