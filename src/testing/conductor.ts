/**
 * The conductor's abstract model: the real conductor statechart (derived) over a small schedule
 * of its own, for a three-ticket track: A, B after A, C. The scheduling here is written on its own,
 * in a few plain lines (not schedule.ts, not the real guards), so that it can disagree with the real
 * one. Its events are the human's (start, mode, trust override) and the tickets' status changes; a
 * dispatch raises the `running` report each started ticket sends back, as the real ticket does on
 * entry. In its other configuration the run begins from a request, with no tickets: the planner's
 * approved plan is that same track.
 */
import { conductorMachine } from '../machines/conductor.js';
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
export const PLANNER_DONE = 'xstate.done.actor.planner';
export const PLANNER_ERROR = 'xstate.error.actor.planner';
/** The request of a planned run. */
export const REQUEST = 'Write A, then B from it, and C';

export type ConductorModelEvent =
  | { type: 'conductor.start' }
  | { type: 'conductor.request'; text: string }
  /** The human approved the planner's plan (the track); `error`: the planner itself crashed. */
  | { type: typeof PLANNER_DONE }
  | { type: typeof PLANNER_ERROR }
  | { type: 'conductor.set_mode'; mode: ExecutionMode }
  | { type: 'conductor.set_trust_override'; override: TrustOverride }
  | TicketChanged
  /** A ticket actor that crashed (its error could not be described). */
  | { type: `xstate.error.actor.${string}`; error: string };

export interface TicketModel {
  status: TicketStatus;
  attempts: number;
  skipped: boolean;
}

export interface ConductorModelContext {
  mode: ExecutionMode;
  trustOverride: TrustOverride;
  /** The configuration: the run begins from a request (planning is configured, the track has no tickets). */
  planned: boolean;
  /** Every ticket of the track by id (none before a planned run's plan is approved). */
  tickets: Record<string, TicketModel>;
  /** Test bookkeeping: tickets whose actor crashed; nothing can retry or skip them. */
  crashed: string[];
}

export type ConductorModelSnapshot = AbstractSnapshot<ConductorModelContext>;

export const ticketOf = (context: ConductorModelContext, id: string): TicketModel => context.tickets[id]!;
/** The tickets the conductor has, in track order. */
export const trackOf = (context: ConductorModelContext) => TRACK.filter(({ id }) => id in context.tickets);
const fresh = (): Record<string, TicketModel> => Object.fromEntries(TRACK.map(({ id }) => [id, { status: 'pending', attempts: 0, skipped: false }]));

// ---------------------------------------------------------------- scheduling, on its own

const isActive = (ticket: TicketModel) => ticket.status === 'running' || ticket.status === 'step_paused';
const activeCount = (context: ConductorModelContext) => trackOf(context).filter(({ id }) => isActive(ticketOf(context, id))).length;

/** Pending tickets whose dependencies all completed (a skipped one counts), in track order. */
function ready(context: ConductorModelContext): string[] {
  return trackOf(context).filter(({ id, dependencies }) => ticketOf(context, id).status === 'pending' && dependencies.every((dependency) => ticketOf(context, dependency).status === 'completed')).map(({ id }) => id);
}

/** Async starts every ready ticket up to the cap; linear the first ready one, only when none runs. */
export function startsNow(context: ConductorModelContext): string[] {
  const active = activeCount(context);
  if (context.mode === 'linear') return active === 0 ? ready(context).slice(0, 1) : [];
  return ready(context).slice(0, Math.max(0, MAX_CONCURRENCY - active));
}

const withTicket = (context: ConductorModelContext, id: string, ticket: TicketModel) => ({ tickets: { ...context.tickets, [id]: ticket } });

export const conductorSpec: AbstractSpec<ConductorModelContext, ConductorModelEvent> = {
  context: {
    mode: 'async',
    trustOverride: 'none',
    planned: false,
    tickets: fresh(),
    crashed: [],
  },
  guards: {
    toMode: (_context, event, mode) => event.type === 'conductor.set_mode' && event.mode === mode,
    toOverride: (_context, event, override) => event.type === 'conductor.set_trust_override' && event.override === override,
    modeChanges: (context, event) => event.type === 'conductor.set_mode' && event.mode !== context.mode,
    allCompleted: (context) => trackOf(context).every(({ id }) => ticketOf(context, id).status === 'completed'),
    nothingRunnable: (context) => activeCount(context) === 0 && ready(context).length === 0,
    // Planning is configured only in a planned run; a request is planned only before there are tickets.
    canPlan: (context, event) => context.planned && trackOf(context).length === 0 && event.type === 'conductor.request' && event.text.trim() !== '',
  },
  actions: {
    setMode: (context, event) => ({ context: { mode: event.type === 'conductor.set_mode' ? event.mode : context.mode } }),
    setOverride: (context, event) => ({ context: { trustOverride: event.type === 'conductor.set_trust_override' ? event.override : context.trustOverride } }),
    record: (context, event) => {
      if (event.type === 'ticket.changed') {
        return { context: withTicket(context, event.id, { status: event.status, attempts: event.attempts, skipped: event.skipped }) };
      }
      if (event.type.startsWith(TICKET_ERROR)) {
        const id = event.type.slice(TICKET_ERROR.length);
        // Only a ticket's crash is one (the planner's is the planning state's to handle).
        if (!(id in context.tickets)) return undefined;
        return { context: { ...withTicket(context, id, { ...ticketOf(context, id), status: 'blocked' }), crashed: [...context.crashed, id] } };
      }
      return undefined;
    },
    // The approved plan is the track.
    loadPlan: () => ({ context: { tickets: fresh() } }),
    dispatch: (context) => {
      const starts = startsNow(context);
      if (starts.length === 0) return undefined;
      let tickets = context.tickets;
      for (const id of starts) tickets = { ...tickets, [id]: { ...ticketOf(context, id), status: 'running' } };
      // Each started ticket reports `running` with its new attempt, as its entry action does.
      const raise = starts.map((id): TicketChanged => ({ type: 'ticket.changed', id, status: 'running', attempts: ticketOf(context, id).attempts + 1, blocked_reason: null, summary: null, skipped: false }));
      return { context: { tickets }, raise };
    },
  },
  // Spawns the engine's rate-limiter actors on start: no schedule effect.
  ignoredActions: ['spawnRateLimiters'],
};

export const abstractConductor = deriveAbstractMachine(conductorMachine, conductorSpec);

function changed(context: ConductorModelContext, id: string, status: TicketStatus, skipped = false): ConductorModelEvent {
  return { type: 'ticket.changed', id, status, attempts: ticketOf(context, id).attempts, blocked_reason: status === 'blocked' ? 'failed' : null, summary: null, skipped };
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
  if (snapshot.matches({ run: 'idle' })) return [context.planned ? { type: 'conductor.request', text: REQUEST } : { type: 'conductor.start' }, ...events];
  if (snapshot.matches({ run: 'planning' })) return [{ type: PLANNER_DONE }, { type: PLANNER_ERROR }, ...events];
  for (const { id } of trackOf(context)) {
    const { status, attempts } = ticketOf(context, id);
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

const first = (id: string, status: TicketStatus): TicketChanged => ({ type: 'ticket.changed', id, status, attempts: 1, blocked_reason: null, summary: null, skipped: false });

/**
 * Whole runs the generators leave to chance:
 * - linear mode runs A alone; switching to async while A runs starts C at once (a mode switch
 *   dispatches then, not at the next ticket end);
 * - A fails and is skipped: B, which depends on it, starts, and A is reported skipped.
 */
export const CONDUCTOR_TARGETED: ConductorModelEvent[][] = [
  [
    { type: 'conductor.set_mode', mode: 'linear' },
    { type: 'conductor.start' },
    { type: 'conductor.set_mode', mode: 'async' },
    first('A', 'completed'),
    first('C', 'completed'),
    first('B', 'completed'),
  ],
  [
    { type: 'conductor.start' },
    { ...first('A', 'blocked'), blocked_reason: 'failed' },
    { ...first('A', 'completed'), skipped: true },
    first('B', 'completed'),
    first('C', 'completed'),
  ],
];

export function conductorStateKey(snapshot: ConductorModelSnapshot): string {
  const context = snapshot.context;
  const tickets = trackOf(context).map(({ id }) => `${ticketOf(context, id).status}${ticketOf(context, id).attempts}`);
  return JSON.stringify([snapshot.value, context.planned, tickets, context.crashed]);
}

/** The abstract conductor of a run begun from a request. */
export const abstractPlannedConductor = deriveAbstractMachine(conductorMachine, { ...conductorSpec, context: { ...conductorSpec.context, planned: true, tickets: {} } });

/**
 * Planned runs (the whole state space of the track's schedule is the main model's):
 * - the request is planned and approved, and the plan runs; a trust override set while planning
 *   reaches the planner's pm, which then stops at its pause (the test approves its proposal);
 * - the planner crashes: the run is idle again, and a new request is planned and run.
 */
export const PLANNED_TARGETED: ConductorModelEvent[][] = [
  [{ type: 'conductor.request', text: REQUEST }, { type: PLANNER_DONE }, first('A', 'completed'), first('B', 'completed'), first('C', 'completed')],
  [
    { type: 'conductor.set_mode', mode: 'linear' },
    { type: 'conductor.request', text: REQUEST },
    { type: 'conductor.set_trust_override', override: 'step' },
    { type: PLANNER_DONE },
    first('A', 'step_paused'),
  ],
  [{ type: 'conductor.request', text: REQUEST }, { type: PLANNER_ERROR }, { type: 'conductor.request', text: REQUEST }, { type: PLANNER_DONE }, { ...first('A', 'blocked'), blocked_reason: 'failed' }],
];
