/**
 * The ticket's abstract model: the real ticket statechart (derived) over a small context. Its
 * events are the ticket's own (start, retry, skip, trust override) and those its worker sends
 * (paused, resumed, done with an outcome, error), offered only where the real worker can be made
 * to send them in that order.
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

export type TicketModelEvent =
  /** `isolated` on the first start chooses the run's isolation (a worktree per ticket, or shared). */
  | { type: 'ticket.start'; isolated?: boolean }
  | { type: typeof PREPARE_DONE }
  | { type: typeof PREPARE_ERROR }
  | { type: typeof MERGE_DONE; output: { ok: true; commit: string } | { ok: false; conflicts: string[]; message: string } }
  | { type: typeof MERGE_ERROR }
  | { type: 'ticket.retry' }
  | { type: 'ticket.skip' }
  | { type: 'ticket.trust_override'; override: TrustOverride }
  | { type: 'worker.paused'; pause: 'approval' | 'review' }
  | { type: 'worker.resumed' }
  /** `synthetic`: sent by the test through `engine.command`, because the real worker never sends it there. */
  | { type: typeof WORKER_DONE; output: WorkerOutput; synthetic?: true }
  | { type: typeof WORKER_ERROR };

export interface TicketModelContext {
  attempts: number;
  /** The run's isolation, chosen by the first start (null before it). */
  isolated: boolean | null;
  override: TrustOverride;
  /** Test bookkeeping: where the worker is paused, whether that pause began with this event, and which pause the last event left. */
  pause: 'approval' | 'review' | null;
  fresh: boolean;
  resumed: 'approval' | 'review' | null;
}

export type TicketModelSnapshot = AbstractSnapshot<TicketModelContext>;

/** Retries stop here, which keeps the abstract state space finite. */
export const MAX_ATTEMPTS = 3;

export const ticketSpec: AbstractSpec<TicketModelContext, TicketModelEvent> = {
  context: { attempts: 0, isolated: null, override: 'none', pause: null, fresh: false, resumed: null },
  // The worker's own outcome says whether the ticket completed; the run's isolation whether it merges.
  guards: {
    workerCompleted: (_context, event) => event.type === WORKER_DONE && event.output.outcome === 'completed',
    isolated: (context, event) => context.isolated ?? (event.type === 'ticket.start' && event.isolated === true),
    workerCompletedIsolated: (context, event) => context.isolated === true && event.type === WORKER_DONE && event.output.outcome === 'completed',
    merged: (_context, event) => event.type === MERGE_DONE && event.output.ok,
  },
  actions: {
    countAttempt: (context) => ({ context: { attempts: context.attempts + 1 } }),
    recordOverride: (context, event) => ({ context: { override: event.type === 'ticket.trust_override' ? event.override : context.override } }),
  },
  ignoredActions: ['tellConductor', 'startWorker', 'stopWorker', 'relayOverride', 'recordOutcome', 'recordMergeOutcome', 'recordPrepareError'],
  everyTransition: () => ({ context: { fresh: false, resumed: null } }),
  onTransition: {
    'ticket.pending ticket.start[0]': () => ({ context: { isolated: true } }),
    'ticket.pending ticket.start[1]': () => ({ context: { isolated: false } }),
    'ticket.running worker.paused[0]': (_context, event) => (event.type === 'worker.paused' ? { context: { pause: event.pause, fresh: true } } : undefined),
    'ticket.step_paused worker.resumed[0]': (context) => ({ context: { pause: null, resumed: context.pause } }),
    [`ticket.step_paused ${WORKER_DONE}[0]`]: () => ({ context: { pause: null } }),
    [`ticket.step_paused ${WORKER_DONE}[1]`]: () => ({ context: { pause: null } }),
    [`ticket.step_paused ${WORKER_DONE}[2]`]: () => ({ context: { pause: null } }),
    [`ticket.step_paused ${WORKER_ERROR}[0]`]: () => ({ context: { pause: null } }),
  },
};

export const abstractTicket = deriveAbstractMachine(ticketMachine, ticketSpec);

const outcome = (value: WorkerOutput['outcome']): WorkerOutput =>
  value === 'completed' ? { outcome: 'completed', summary: 'all done' } : { outcome: value, reason: value === 'aborted' ? 'aborted: not this way' : 'model refused the request (400)' };

const overrides = (context: TicketModelContext): TicketModelEvent[] =>
  (['none', 'step', 'auto'] as const).filter((override) => override !== context.override).map((override) => ({ type: 'ticket.trust_override', override }));

/**
 * What can happen next. With the override at auto the worker cannot pause; at step it cannot
 * finish without pausing. A worker leaving a pause sends `worker.resumed` before anything else,
 * so its end (aborted, or completed by approving task_complete) follows a resume at once; pause 2
 * follows at once the approve of a step-mode call. A crash strikes where a tool context is looked
 * up: while pause 1's preview loads, or, running, on an auto-mode tool run.
 */
export function ticketEvents(snapshot: TicketModelSnapshot): TicketModelEvent[] {
  const context = snapshot.context;
  if (snapshot.status !== 'active') return [];
  if (snapshot.matches('pending')) {
    return context.isolated === null ? [{ type: 'ticket.start', isolated: false }, { type: 'ticket.start', isolated: true }] : [{ type: 'ticket.start' }];
  }
  if (snapshot.matches('preparing')) return [{ type: PREPARE_DONE }, { type: PREPARE_ERROR }];
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
  if (snapshot.matches('blocked')) {
    return [...(context.attempts < MAX_ATTEMPTS ? [{ type: 'ticket.retry' } as const] : []), { type: 'ticket.skip' }, ...overrides(context)];
  }
  return [];
}

export function ticketStateKey(snapshot: TicketModelSnapshot): string {
  return JSON.stringify(snapshot.status === 'done' ? [snapshot.value] : [snapshot.value, snapshot.context]);
}
