/**
 * Runs one abstract conductor path on the real engine with the track A, B (after A), C: the
 * human's commands go through `engine.command`, and each ticket status change is caused by moving
 * that ticket's real worker (model-puppet.ts) or by a ticket command (retry, skip).
 */
import { isDeepStrictEqual } from 'node:util';
import { at } from '../machines/chunked.js';
import type { ConductorContext } from '../machines/conductor.js';
import { ticket } from './fixtures.js';
import { MAX_CONCURRENCY, TICKET_ERROR, ticketOf, TRACK, type ConductorModelContext, type ConductorModelEvent } from './conductor.js';
import { PathDriver } from './driver.js';
import type { PlannedPath } from './paths.js';
import { execute, Puppet, type Move } from './puppet.js';
import { Session } from './session.js';

type Step = PlannedPath<ConductorModelContext, ConductorModelEvent>['steps'][number];

const attemptsOf = (context: ConductorModelContext, id: string) => ticketOf(context, id).attempts;
/** A ticket's status as the real conductor records it. */
const realStatus = (context: ConductorContext, id: string) => at(context.tickets, context.indexOf[id]!).status;

/** The moves that make the real conductor see each step's event; index 0 starts the conductor actor. */
export function planConductor(steps: readonly Step[], puppets: Map<string, Puppet>): Move[][] {
  return steps.map((step, index): Move[] => {
    const event = step.event as ConductorModelEvent | { type: 'xstate.init' };
    const before = steps[index - 1]?.context;
    // Every ticket the step's dispatch started gets a new worker.
    for (const { id } of TRACK) {
      if (attemptsOf(step.context, id) > (before ? attemptsOf(before, id) : 0)) puppets.get(id)!.attempt();
    }
    if (event.type === 'xstate.init') return [{ do: 'start' }];
    const override = before!.trustOverride;
    if (event.type === 'conductor.start' || event.type === 'conductor.set_mode' || event.type === 'conductor.set_trust_override') {
      return [{ do: 'command', target: { kind: 'conductor' }, event }];
    }
    if (event.type.startsWith(TICKET_ERROR)) {
      const puppet = puppets.get(event.type.slice(TICKET_ERROR.length))!;
      return [...puppet.trust('auto', override), ...puppet.crash(2), ...puppet.reply(['write'])];
    }
    const change = event as Extract<ConductorModelEvent, { type: 'ticket.changed' }>;
    const puppet = puppets.get(change.id)!;
    const was = ticketOf(before!, change.id).status;
    // A retry keeps what the blocked attempt wrote (the ticket model restores it instead).
    const ticketCommand = (type: 'ticket.retry' | 'ticket.skip'): Move => ({
      do: 'command',
      target: { kind: 'ticket', id: change.id },
      event: type === 'ticket.retry' ? { type, files: 'keep' } : { type },
    });
    switch (change.status) {
      case 'step_paused':
        return [...puppet.trust('step', override), ...puppet.reply(['write'])];
      case 'running':
        return puppet.resumeByEdit();
      case 'completed':
        return was === 'blocked' ? [ticketCommand('ticket.skip')] : [...puppet.trust('auto', override), ...puppet.reply(['done'])];
      case 'blocked':
        return puppet.fail();
      case 'pending':
        return [ticketCommand('ticket.retry')];
    }
  });
}

export class ConductorDriver extends PathDriver<ConductorModelContext, ConductorModelEvent> {
  readonly session: Session;
  protected readonly actor = 'conductor';
  readonly #moves: Move[][];

  constructor(path: PlannedPath<ConductorModelContext, ConductorModelEvent>) {
    super(path);
    const puppets = new Map(TRACK.map(({ id }) => [id, new Puppet(id)]));
    this.#moves = planConductor(path.steps, puppets);
    this.session = new Session({
      tickets: TRACK.map(({ id, dependencies }) => ticket(id, dependencies)),
      replies: Object.fromEntries([...puppets].map(([id, puppet]) => [id, puppet.replies])),
      trust: 'step',
      maxTurns: 50,
      maxConcurrency: MAX_CONCURRENCY,
    });
  }

  protected async act(): Promise<void> {
    for (const move of this.#moves[this.step]!) {
      // The conductor model starts in idle: only the actor starts here; `conductor.start` is a command.
      if (move.do === 'start') this.session.engine.conductor.start();
      else await execute(this.session, [move]);
    }
  }

  protected disagreement(context: ConductorContext, expected: ConductorModelContext): string | null {
    const real = { mode: context.mode, override: context.trustOverride, tickets: TRACK.map(({ id }) => realStatus(context, id)) };
    const abstract = { mode: expected.mode, override: expected.trustOverride, tickets: TRACK.map(({ id }) => ticketOf(expected, id).status) };
    return isDeepStrictEqual(real, abstract) ? null : `real ${JSON.stringify(real)}, abstract ${JSON.stringify(abstract)}`;
  }
}
