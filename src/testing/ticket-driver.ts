/**
 * Runs one abstract ticket path on the real engine: a one-ticket track; the ticket's own events
 * are commands (retry, skip, trust override) or the conductor's dispatch (start), and its
 * worker's and its reviewer's events are caused by moving the real worker and reviewer (see
 * puppet.ts).
 */
import { matchesState, type StateValue } from 'xstate';
import type { TicketContext } from '../machines/ticket.js';
import { reviewerId } from '../machines/ticket.js';
import { ticket } from './fixtures.js';
import { PathDriver } from './driver.js';
import type { PlannedPath } from './paths.js';
import { execute, Puppet, type Move } from './puppet.js';
import type { ScriptedKind } from './session.js';
import { MERGE_CONFLICT, Session } from './session.js';
import {
  BRIEF_ERROR,
  MAX_REVIEW_ROUNDS,
  MERGE_DONE,
  MERGE_ERROR,
  PREPARE_ERROR,
  REVIEWER_DONE,
  REVIEWER_ERROR,
  WORKER_DONE,
  WORKER_ERROR,
  type ReviewEnd,
  type TicketModelContext,
  type TicketModelEvent,
} from './ticket.js';
import { ticketKey } from '../protocol/actor-keys.js';

const TICKET = 'T1';
/** The transition a review takes when it sends the change back to the worker. */
const CHANGES_BACK = ['ticket.reviewing.reviewer', 'ticket.reviewing.paused'].map((state) => `${state} ${REVIEWER_DONE}[2]`);

type Step = PlannedPath<TicketModelContext, TicketModelEvent>['steps'][number];

/** The call a reviewer ends with for each verdict: approve_change, request_changes, task_complete (no verdict). */
const VERDICT_CALL: Partial<Record<ReviewEnd, ScriptedKind>> = { approve: 'verdict', changes: 'changes', none: 'done' };

/**
 * Faults an attempt meets in its worktree, armed before the step that starts it: a prepare that
 * fails, a merge that fails, or a merge that meets a real conflict.
 */
function worktreeFaults(steps: readonly Step[], start: number): Move[] {
  const moves: Move[] = [];
  if (steps[start + 1]?.event.type === PREPARE_ERROR) moves.push({ do: 'arm', site: 'prepare-workspace', error: new Error('injected: the worktree could not be made') });
  for (let index = start + 1; index < steps.length && steps[index]!.event.type !== 'ticket.start'; index += 1) {
    const event = steps[index]!.event as TicketModelEvent;
    if (event.type === MERGE_DONE && !event.output.ok) moves.push({ do: 'arm', site: 'merge-workspace', error: MERGE_CONFLICT });
    if (event.type === MERGE_ERROR) moves.push({ do: 'arm', site: 'merge-workspace', error: new Error('injected: the merge failed') });
  }
  return moves;
}

/** The moves that make the real ticket see each step's event; index 0 starts the engine. */
export function planTicket(steps: readonly Step[], puppet: Puppet, reviewer: Puppet): Move[][] {
  return steps.map((step, index): Move[] => {
    const moves = planStep(steps, index, puppet, reviewer);
    // A review's brief fails where it reads the ticket's diff: armed before the step that starts it.
    const brief: Move[] = steps[index + 1]?.event.type === BRIEF_ERROR ? [{ do: 'arm', site: 'review-diff', error: new Error('injected: the diff could not be read') }] : [];
    // The step before a start causes it (the run's start, a retry): the attempt's faults are armed first.
    return [...brief, ...(steps[index + 1]?.event.type === 'ticket.start' ? worktreeFaults(steps, index + 1) : []), ...moves];
  });
}

const reviewing = (value: StateValue | undefined) => value !== undefined && matchesState('reviewing', value);

/** The events after step `index` that are not trust overrides, in order. */
function ahead(steps: readonly Step[], index: number): TicketModelEvent[] {
  return steps.slice(index + 1).map((later) => later.event as TicketModelEvent).filter((later) => later.type !== 'ticket.trust_override');
}

function planStep(steps: readonly Step[], index: number, puppet: Puppet, reviewer: Puppet): Move[] {
  const step = steps[index]!;
  const event = step.event as TicketModelEvent | { type: 'xstate.init' };
  const before = steps[index - 1]?.context;
  const next = steps[index + 1]?.event as TicketModelEvent | undefined;
  const override = before?.override ?? 'none';
  const ticketCommand = (command: TicketModelEvent | { type: string; output?: unknown }): Move => ({ do: 'command', target: { kind: 'ticket', id: TICKET }, event: command as never });
  // While the ticket is reviewing, its pauses and resumes are the reviewer's.
  if (reviewing(steps[index - 1]?.value)) {
    const moved = planReview(steps, index, reviewer, ticketCommand);
    if (moved) {
      if (step.transitions.some((key) => CHANGES_BACK.includes(key))) puppet.continued();
      return moved;
    }
  }
  switch (event.type) {
    case 'xstate.init':
      return [{ do: 'start' }];
    case 'ticket.start':
      // The conductor starts it: on the run's start, or at once after a retry.
      puppet.attempt();
      return [];
    case 'ticket.retry':
      // The attempt wrote a file: a retry must say what becomes of it (here: put it back).
      return [ticketCommand({ type: 'ticket.retry', files: 'restore' } as never)];
    case 'ticket.skip':
    case 'ticket.trust_override':
      return [ticketCommand(event)];
    case 'worker.paused': {
      if (event.pause === 'review') return []; // pause 2 follows the approve of the step before
      // What the resume after this pause leads to decides the call: task_complete if it completes.
      const rest = ahead(steps, index);
      const completes = rest[0]?.type === 'worker.resumed' && rest[1]?.type === WORKER_DONE && rest[1].output.outcome === 'completed';
      // A crash at this pause strikes while the preview loads.
      const crash = next?.type === WORKER_ERROR ? puppet.crash(1) : [];
      return [...puppet.trust('step', override), ...crash, ...puppet.reply([completes ? 'done' : 'write'])];
    }
    case 'worker.resumed': {
      const outcome = next?.type === WORKER_DONE && !next.synthetic ? next.output.outcome : undefined;
      if (outcome === 'aborted') return puppet.abort();
      if (before?.pause === 'review') return puppet.approve();
      // Approved in step mode, the call runs and stops at pause 2.
      if (next?.type === 'worker.paused' && next.pause === 'review') return [...puppet.trust('step', override), ...puppet.approve()];
      if (outcome === 'completed') return puppet.approve();
      return puppet.resumeByEdit();
    }
    case WORKER_DONE:
      if (event.synthetic) return [ticketCommand({ type: WORKER_DONE, output: event.output })];
      if (event.output.outcome === 'failed') return puppet.fail();
      // An abort, or the approve of task_complete at pause 1, ended the worker with the resume.
      if (event.output.outcome === 'aborted' || before?.resumed === 'approval') return [];
      return [...puppet.trust('auto', override), ...puppet.reply(['done'])];
    case WORKER_ERROR:
      // At a pause the crash was armed with it; running, the worker crashes on an auto-mode tool run.
      return before?.pause ? [] : [...puppet.trust('auto', override), ...puppet.crash(1), ...puppet.reply(['write'])];
    case 'xstate.done.actor.brief':
      // The reviewer starts on the ticket's change.
      reviewer.attempt();
      return [];
    default:
      // The worktree's and the brief's own steps follow by themselves; their faults were armed before.
      return [];
  }
}

/** The reviewer's moves for a step taken while the ticket is reviewing; undefined for the ticket's own events. */
function planReview(steps: readonly Step[], index: number, reviewer: Puppet, ticketCommand: (command: { type: string; output?: unknown }) => Move): Move[] | undefined {
  const event = steps[index]!.event as TicketModelEvent;
  const before = steps[index - 1]!.context;
  const next = steps[index + 1]?.event as TicketModelEvent | undefined;
  const override = before.override;
  switch (event.type) {
    case 'worker.paused': {
      // The verdict the resume leads to is the call that pauses; anything else pauses on a read.
      const rest = ahead(steps, index);
      const verdict = rest[0]?.type === 'worker.resumed' && rest[1]?.type === REVIEWER_DONE && !rest[1].synthetic ? VERDICT_CALL[rest[1].end] : undefined;
      const crash = next?.type === REVIEWER_ERROR ? reviewer.crash(1) : [];
      return [...reviewer.trust('step', override), ...crash, ...reviewer.reply([verdict ?? 'fail'])];
    }
    case 'worker.resumed': {
      const end = next?.type === REVIEWER_DONE && !next.synthetic ? next.end : undefined;
      if (end === 'aborted') return reviewer.abort();
      if (end && VERDICT_CALL[end]) return reviewer.approve();
      return reviewer.resumeByEdit();
    }
    case REVIEWER_DONE: {
      if (event.synthetic) return [ticketCommand({ type: REVIEWER_DONE, output: event.output })];
      if (event.end === 'failed') return reviewer.fail();
      if (event.end === 'aborted' || before.resumed === 'approval') return [];
      return [...reviewer.trust('auto', override), ...reviewer.reply([VERDICT_CALL[event.end]!])];
    }
    case REVIEWER_ERROR:
      return before.pause ? [] : [...reviewer.trust('auto', override), ...reviewer.crash(1), ...reviewer.reply(['fail'])];
    default:
      return undefined;
  }
}

export class TicketDriver extends PathDriver<TicketModelContext, TicketModelEvent> {
  readonly session: Session;
  protected readonly actor = ticketKey(TICKET);
  readonly #moves: Move[][];

  constructor(path: PlannedPath<TicketModelContext, TicketModelEvent>) {
    super(path);
    const puppet = new Puppet(TICKET);
    const reviewer = new Puppet(reviewerId(TICKET));
    this.#moves = planTicket(path.steps, puppet, reviewer);
    const first = path.steps.find((step) => step.event.type === 'ticket.start')?.event as Extract<TicketModelEvent, { type: 'ticket.start' }> | undefined;
    this.session = new Session({
      tickets: [ticket(TICKET)],
      replies: { [TICKET]: puppet.replies, [reviewerId(TICKET)]: reviewer.replies },
      trust: 'step',
      maxTurns: 50,
      ...(first?.isolated ? { isolation: 'worktree' as const } : {}),
      ...(first?.reviewed ? { review: { trust: 'step' as const, maxRounds: MAX_REVIEW_ROUNDS } } : {}),
    });
  }

  protected act(): Promise<void> {
    return execute(this.session, this.#moves[this.step]!);
  }

  protected disagreement(context: TicketContext, expected: TicketModelContext): string | null {
    const real = { attempts: context.attempts, override: context.trustOverride, round: context.round };
    const abstract = { attempts: expected.attempts, override: expected.override, round: expected.round };
    return JSON.stringify(real) === JSON.stringify(abstract) ? null : `real ${JSON.stringify(real)}, abstract ${JSON.stringify(abstract)}`;
  }
}
