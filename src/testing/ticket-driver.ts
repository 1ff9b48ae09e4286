/**
 * Runs one abstract ticket path on the real engine: a one-ticket track; the ticket's own events
 * are commands (retry, skip, trust override) or the conductor's dispatch (start), and its
 * worker's events are caused by moving the real worker (see model-puppet.ts).
 */
import type { TicketContext } from '../machines/ticket.js';
import { ticket } from './fixtures.js';
import { PathDriver } from './driver.js';
import type { PlannedPath } from './paths.js';
import { execute, Puppet, type Move } from './puppet.js';
import { MERGE_CONFLICT, Session } from './session.js';
import { MERGE_DONE, MERGE_ERROR, PREPARE_DONE, PREPARE_ERROR, WORKER_DONE, WORKER_ERROR, type TicketModelContext, type TicketModelEvent } from './ticket.js';
import { ticketKey } from '../protocol/actor-keys.js';

const TICKET = 'T1';

type Step = PlannedPath<TicketModelContext, TicketModelEvent>['steps'][number];

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
export function planTicket(steps: readonly Step[], puppet: Puppet): Move[][] {
  return steps.map((step, index): Move[] => {
    const moves = planStep(steps, index, puppet);
    // The step before a start causes it (the run's start, a retry): the attempt's faults are armed first.
    return steps[index + 1]?.event.type === 'ticket.start' ? [...worktreeFaults(steps, index + 1), ...moves] : moves;
  });
}

function planStep(steps: readonly Step[], index: number, puppet: Puppet): Move[] {
  {
    const step = steps[index]!;
    const event = step.event as TicketModelEvent | { type: 'xstate.init' };
    const before = steps[index - 1]?.context;
    const next = steps[index + 1]?.event as TicketModelEvent | undefined;
    const override = before?.override ?? 'none';
    const ticketCommand = (command: TicketModelEvent): Move => ({ do: 'command', target: { kind: 'ticket', id: TICKET }, event: command as never });
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
        const rest = steps.slice(index + 1).map((later) => later.event as TicketModelEvent);
        const resume = rest.findIndex((later) => later.type !== 'ticket.trust_override');
        const completes = rest[resume]?.type === 'worker.resumed' && rest[resume + 1]?.type === WORKER_DONE && (rest[resume + 1] as { output: { outcome: string } }).output.outcome === 'completed';
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
      case PREPARE_DONE:
      case PREPARE_ERROR:
      case MERGE_DONE:
      case MERGE_ERROR:
        // The worktree's own steps follow by themselves; their faults were armed with the attempt.
        return [];
    }
  }
}

export class TicketDriver extends PathDriver<TicketModelContext, TicketModelEvent> {
  readonly session: Session;
  protected readonly actor = ticketKey(TICKET);
  readonly #moves: Move[][];

  constructor(path: PlannedPath<TicketModelContext, TicketModelEvent>) {
    super(path);
    const puppet = new Puppet(TICKET);
    this.#moves = planTicket(path.steps, puppet);
    const isolated = path.steps.some((step) => step.event.type === 'ticket.start' && (step.event as { isolated?: boolean }).isolated === true);
    this.session = new Session({
      tickets: [ticket(TICKET)],
      replies: { [TICKET]: puppet.replies },
      trust: 'step',
      maxTurns: 50,
      ...(isolated ? { isolation: 'worktree' as const } : {}),
    });
  }

  protected act(): Promise<void> {
    return execute(this.session, this.#moves[this.step]!);
  }

  protected disagreement(context: TicketContext, expected: TicketModelContext): string | null {
    return context.attempts === expected.attempts && context.trustOverride === expected.override
      ? null
      : `real attempts ${context.attempts} override ${context.trustOverride}, abstract ${expected.attempts} ${expected.override}`;
  }
}
