/**
 * Runs one abstract conductor path on the real engine with the track A, B (after A), C: the
 * human's commands go through `engine.command`, and each ticket status change is caused by moving
 * that ticket's real worker (model-puppet.ts) or by a ticket command (retry, skip).
 */
import { isDeepStrictEqual } from 'node:util';
import { at } from '../machines/chunked.js';
import type { ConductorContext } from '../machines/conductor.js';
import { PLAN_PM } from '../machines/planner.js';
import { effectiveTrust } from '../protocol/config.js';
import type { ProposedTrack } from '../protocol/index.js';
import { unprintable } from './fakes.js';
import { ticket } from './fixtures.js';
import { MAX_CONCURRENCY, PLANNER_DONE, PLANNER_ERROR, REQUEST, TICKET_ERROR, ticketOf, TRACK, trackOf, type ConductorModelContext, type ConductorModelEvent } from './conductor.js';
import { PathDriver } from './driver.js';
import type { PlannedPath } from './paths.js';
import { execute, Puppet, type Move } from './puppet.js';
import { assistant, planCall, Session } from './session.js';

/** The plan the planner's pm proposes in a planned run: the model's track. */
export const TRACK_PLAN: ProposedTrack = {
  title: 'A, B after A, C',
  tickets: TRACK.map(({ id, target_file, prompt, worker_archetype, dependencies }) => ({ id, target_file, prompt, worker_archetype, dependencies })),
};
const PM = { kind: 'worker' as const, id: PLAN_PM };

type Step = PlannedPath<ConductorModelContext, ConductorModelEvent>['steps'][number];

const attemptsOf = (context: ConductorModelContext, id: string) => context.tickets[id]?.attempts ?? 0;
/** A ticket's status as the real conductor records it (none before a planned run's plan). */
const realStatus = (context: ConductorContext, id: string) => (context.indexOf[id] === undefined ? undefined : at(context.tickets, context.indexOf[id]).status);

/**
 * The planner's end: its pm proposes the track (approved at its pause when the override makes it
 * stop), and the human approves the plan; or the pm's tool lookup throws an error that cannot be
 * described, which crashes the pm and then the planner that describes it. Every planner's pm is
 * the first of its planner (attempt 1, a fresh transcript): each gets the one scripted proposal.
 */
function planning(event: ConductorModelEvent, override: ConductorModelContext['trustOverride']): Move[] {
  const turn: Move = { do: 'turn', ticket: PLAN_PM, instruction: { kind: 'reply' } };
  if (event.type === PLANNER_ERROR) return [{ do: 'arm', site: 'tool-context', error: unprintable(2, 'injected: a tool context bug in the pm') }, turn];
  const stops = effectiveTrust('auto', override) === 'step';
  return [
    turn,
    ...(stops ? [{ do: 'ready', ticket: PLAN_PM } as const, { do: 'command', target: PM, event: { type: 'clutch.approve' } } as const] : []),
    { do: 'until', what: 'the planner to wait at plan approval', holds: (session) => session.engine.planner()?.getSnapshot().matches('awaitingApproval') === true },
    { do: 'command', target: { kind: 'planner' }, event: { type: 'plan.approve' } },
  ];
}

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
    if (event.type === 'conductor.start' || event.type === 'conductor.request' || event.type === 'conductor.set_mode' || event.type === 'conductor.set_trust_override') {
      return [{ do: 'command', target: { kind: 'conductor' }, event }];
    }
    if (event.type === PLANNER_DONE || event.type === PLANNER_ERROR) return planning(event, override);
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
    const planned = path.steps[0]!.context.planned;
    this.session = new Session({
      tickets: planned ? [] : TRACK.map(({ id, dependencies }) => ticket(id, dependencies)),
      replies: {
        ...Object.fromEntries([...puppets].map(([id, puppet]) => [id, puppet.replies])),
        ...(planned ? { [PLAN_PM]: [[assistant(planCall('propose', 'plan1', TRACK_PLAN))]] } : {}),
      },
      trust: 'step',
      maxTurns: 50,
      maxConcurrency: MAX_CONCURRENCY,
      ...(planned ? { request: { text: REQUEST, lead: false, maxRounds: 1 } } : {}),
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
    const abstract = { mode: expected.mode, override: expected.trustOverride, tickets: TRACK.map(({ id }) => (trackOf(expected).some((spec) => spec.id === id) ? ticketOf(expected, id).status : undefined)) };
    return isDeepStrictEqual(real, abstract) ? null : `real ${JSON.stringify(real)}, abstract ${JSON.stringify(abstract)}`;
  }
}
