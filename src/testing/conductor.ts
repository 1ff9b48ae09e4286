/**
 * The conductor's abstract model: the real conductor statechart (derived) over the real schedule
 * bookkeeping (schedule.ts, pure), for a three-ticket track: A, B after A, C. Its events are the
 * human's (start, mode, trust override) and the tickets' status changes; a dispatch raises the
 * `running` report each started ticket sends back, as the real ticket does on entry.
 */
import { conductorMachine, type ConductorContext } from '../machines/conductor.js';
import { at } from '../machines/chunked.js';
import { initialSchedule, markStarted, pickStarts, planOf, recordChange, type Schedule, type StaticPlan } from '../machines/schedule.js';
import type { TicketChanged, TicketSpec } from '../machines/ticket.js';
import type { ExecutionMode, TicketStatus, TrustOverride } from '../protocol/index.js';
import { deriveAbstractMachine, type AbstractSnapshot, type AbstractSpec } from './derive.js';

export const TRACK: TicketSpec[] = [
  { id: 'A', target_file: 'A.txt', prompt: 'Work on A', worker_archetype: 'codegen', dependencies: [] },
  { id: 'B', target_file: 'B.txt', prompt: 'Work on B', worker_archetype: 'codegen', dependencies: ['A'] },
  { id: 'C', target_file: 'C.txt', prompt: 'Work on C', worker_archetype: 'codegen', dependencies: [] },
];
export const MAX_CONCURRENCY = 2;
/** A ticket is retried at most once, which keeps the abstract state space finite. */
const MAX_ATTEMPTS = 2;

export const TICKET_ERROR = 'xstate.error.actor.';

export type ConductorModelEvent =
  | { type: 'conductor.start' }
  | { type: 'conductor.set_mode'; mode: ExecutionMode }
  | { type: 'conductor.set_trust_override'; override: TrustOverride }
  | TicketChanged
  /** A ticket actor that crashed (its error could not be described). */
  | { type: `xstate.error.actor.${string}`; error: string };

/** The part of the conductor's context its transitions read and the schedule changes. */
export interface ConductorModelContext extends StaticPlan, Schedule {
  trackId: string;
  workers: ConductorContext['workers'];
  maxConcurrency: number;
  mode: ExecutionMode;
  trustOverride: TrustOverride;
  /** Test bookkeeping: tickets whose actor crashed; nothing can retry or skip them. */
  crashed: string[];
}

export type ConductorModelSnapshot = AbstractSnapshot<ConductorModelContext>;

const schedule = ({ tickets, waitingOn, ready, active, completed }: ConductorModelContext): Schedule => ({ tickets, waitingOn, ready, active, completed });

const realGuards = conductorMachine.implementations.guards as unknown as Record<string, (args: { context: unknown; event: unknown }, params: unknown) => boolean>;
// The real guards read only the event and the context fields this model keeps, so they decide as is.
const real = (name: string) => (context: ConductorModelContext, event: ConductorModelEvent, params: unknown) => realGuards[name]!({ context, event }, params);

const plan = planOf(TRACK);

export const conductorSpec: AbstractSpec<ConductorModelContext, ConductorModelEvent> = {
  context: {
    ...plan,
    ...initialSchedule(plan),
    trackId: 'model',
    workers: {},
    maxConcurrency: MAX_CONCURRENCY,
    mode: 'async',
    trustOverride: 'none',
    crashed: [],
  },
  guards: Object.fromEntries(['toMode', 'toOverride', 'modeChanges', 'allCompleted', 'nothingRunnable'].map((name) => [name, real(name)])),
  actions: {
    setMode: (context, event) => ({ context: { mode: event.type === 'conductor.set_mode' ? event.mode : context.mode } }),
    setOverride: (context, event) => ({ context: { trustOverride: event.type === 'conductor.set_trust_override' ? event.override : context.trustOverride } }),
    record: (context, event) => {
      if (event.type === 'ticket.changed') {
        const index = context.indexOf[event.id]!;
        return { context: recordChange(context, schedule(context), index, event) };
      }
      if (event.type.startsWith(TICKET_ERROR)) {
        const id = event.type.slice(TICKET_ERROR.length);
        const index = context.indexOf[id]!;
        const next = recordChange(context, schedule(context), index, { ...at(context.tickets, index), status: 'blocked', blocked_reason: 'internal error' });
        return { context: { ...next, crashed: [...context.crashed, id] } };
      }
      return undefined;
    },
    dispatch: (context) => {
      const starts = pickStarts(context, context.mode, context.maxConcurrency);
      if (starts.length === 0) return undefined;
      // Each started ticket reports `running` with its new attempt, as its entry action does.
      const raise = starts.map((index): TicketChanged => {
        const info = at(context.tickets, index);
        return { type: 'ticket.changed', id: context.specs[index]!.id, status: 'running', attempts: info.attempts + 1, blocked_reason: null, summary: null, skipped: false };
      });
      return { context: markStarted(schedule(context), starts), raise };
    },
  },
  // Spawns the engine's rate-limiter actors on start: no schedule effect.
  ignoredActions: ['spawnRateLimiters'],
};

export const abstractConductor = deriveAbstractMachine(conductorMachine, conductorSpec);

export const statusOf = (context: Pick<ConductorContext, 'tickets' | 'indexOf'>, id: string): TicketStatus => at(context.tickets, context.indexOf[id]!).status;

function changed(context: ConductorModelContext, id: string, status: TicketStatus, skipped = false): ConductorModelEvent {
  const info = at(context.tickets, context.indexOf[id]!);
  return { type: 'ticket.changed', id, status, attempts: info.attempts, blocked_reason: status === 'blocked' ? 'failed' : null, summary: null, skipped };
}

/**
 * What can happen next: the human's commands, and per ticket the status changes its worker can be
 * made to cause. With the override at auto a worker cannot pause; at step it cannot finish (or
 * crash on an auto-mode tool run) without pausing first.
 */
export function conductorEvents(snapshot: ConductorModelSnapshot): ConductorModelEvent[] {
  const context = snapshot.context;
  const events: ConductorModelEvent[] = [
    { type: 'conductor.set_mode', mode: context.mode === 'async' ? 'linear' : 'async' },
    ...(['none', 'step', 'auto'] as const).filter((override) => override !== context.trustOverride).map((override) => ({ type: 'conductor.set_trust_override' as const, override })),
  ];
  if (snapshot.matches({ run: 'idle' })) return [{ type: 'conductor.start' }, ...events];
  for (const { id } of TRACK) {
    const status = statusOf(context, id);
    const attempts = at(context.tickets, context.indexOf[id]!).attempts;
    if (status === 'running') {
      if (context.trustOverride !== 'auto') events.push(changed(context, id, 'step_paused'));
      if (context.trustOverride !== 'step') events.push(changed(context, id, 'completed'), { type: `${TICKET_ERROR}${id}`, error: 'internal error' });
      events.push(changed(context, id, 'blocked'));
    }
    if (status === 'step_paused') events.push(changed(context, id, 'running'));
    if (status === 'blocked' && !context.crashed.includes(id)) {
      if (attempts < MAX_ATTEMPTS) events.push(changed(context, id, 'pending'));
      events.push(changed(context, id, 'completed', true));
    }
  }
  return events;
}

export function conductorStateKey(snapshot: ConductorModelSnapshot): string {
  const context = snapshot.context;
  const tickets = TRACK.map(({ id }) => `${statusOf(context, id)}${at(context.tickets, context.indexOf[id]!).attempts}`);
  return JSON.stringify([snapshot.value, tickets, context.crashed]);
}
