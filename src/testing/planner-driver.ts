/**
 * Runs one abstract planner path on the real engine: a run begun from a request, with no tickets.
 * The planner's agents are workers moved like any other (puppet.ts): the pm (`@plan`) and the tech
 * lead (`@plan-review`), both on auto trust unless the override says step; the human's answers at
 * plan approval are commands to the planner, and the override is the conductor's, which relays it.
 */
import type { PlannerContext } from '../machines/planner.js';
import { PLAN_LEAD, PLAN_PM } from '../machines/planner.js';
import type { ProposedTrack } from '../protocol/index.js';
import { plannerKey } from '../protocol/actor-keys.js';
import { PathDriver } from './driver.js';
import type { PlannedPath } from './paths.js';
import { LEAD_DONE, LEAD_ERROR, MAX_PLAN_ROUNDS, PM_DONE, PM_ERROR, type PlannerModelContext, type PlannerModelEvent } from './planner.js';
import { execute, Puppet, type Move } from './puppet.js';
import { planCall, Session } from './session.js';

type Step = PlannedPath<PlannerModelContext, PlannerModelEvent>['steps'][number];

export const PLAN_REQUEST = 'Write p1.txt with a friendly greeting';
const plan = (prompt: string): ProposedTrack => ({ title: 'A greeting', tickets: [{ id: 'P1', target_file: 'p1.txt', prompt, worker_archetype: 'codegen', dependencies: [] }] });
/** The pm's plan, the tech lead's revision and the human's edit: each a valid track. */
export const PROPOSED = plan('Write p1.txt');
export const REVISED = plan('Write p1.txt, and say hello in it');
export const EDITED = plan('Write p1.txt, saying hello (edited by the human)');

/** The moves that make the real planner see each step's event; index 0 starts the run. */
export function planPlanner(steps: readonly Step[], pm: Puppet, lead: Puppet): Move[][] {
  return steps.map((step, index): Move[] => {
    const before = steps[index - 1]?.context;
    const moves = planStep(step.event as PlannerModelEvent | { type: 'xstate.init' }, before?.override ?? 'none', pm, lead);
    // The step's transition started a new pm or tech lead: the next moves are that worker's.
    if (step.context.proposals > (before?.proposals ?? 0)) pm.attempt();
    if (step.context.reviews > (before?.reviews ?? 0)) lead.attempt();
    return moves;
  });
}

function planStep(event: PlannerModelEvent | { type: 'xstate.init' }, override: PlannerModelContext['override'], pm: Puppet, lead: Puppet): Move[] {
  const planner = (command: { type: string; [key: string]: unknown }): Move => ({ do: 'command', target: { kind: 'planner' }, event: command as never });
  switch (event.type) {
    case 'xstate.init':
      return [{ do: 'start' }];
    case PM_DONE:
      if (event.end === 'failed') return pm.fail();
      return pm.approved(event.end === 'proposed' ? pm.replyWith([planCall('propose', pm.nextCallId(), PROPOSED)]) : pm.reply(['done']), override);
    case LEAD_DONE:
      if (event.end === 'failed') return lead.fail();
      return lead.approved(event.end === 'revised' ? lead.replyWith([planCall('revise', lead.nextCallId(), REVISED)]) : lead.reply(['done']), override);
    // The agent's tool context cannot be described: it crashes where it runs (auto) or previews (step) the call.
    case PM_ERROR:
      return [...pm.crash(1), ...pm.reply(['fail'])];
    case LEAD_ERROR:
      return [...lead.crash(1), ...lead.reply(['fail'])];
    case 'plan.edit':
      return [planner({ type: 'plan.edit', track: EDITED })];
    case 'plan.send_back':
      return [planner({ type: 'plan.send_back', comment: 'Say hello in it' })];
    case 'plan.approve':
    case 'plan.retry':
      return [planner({ type: event.type })];
    case 'planner.trust_override':
      return [{ do: 'command', target: { kind: 'conductor' }, event: { type: 'conductor.set_trust_override', override: event.override } }];
  }
}

export class PlannerDriver extends PathDriver<PlannerModelContext, PlannerModelEvent> {
  readonly session: Session;
  protected readonly actor = plannerKey;
  readonly #moves: Move[][];

  constructor(path: PlannedPath<PlannerModelContext, PlannerModelEvent>) {
    super(path);
    const pm = new Puppet(PLAN_PM, 'auto');
    const lead = new Puppet(PLAN_LEAD, 'auto');
    this.#moves = planPlanner(path.steps, pm, lead);
    this.session = new Session({
      tickets: [],
      replies: { [PLAN_PM]: pm.replies, [PLAN_LEAD]: lead.replies },
      trust: 'step',
      maxTurns: 50,
      request: { text: PLAN_REQUEST, lead: path.steps[0]!.context.lead, maxRounds: MAX_PLAN_ROUNDS },
    });
  }

  protected act(): Promise<void> {
    return execute(this.session, this.#moves[this.step]!);
  }

  protected disagreement(context: PlannerContext, expected: PlannerModelContext): string | null {
    const real = { override: context.trustOverride, rounds: context.rounds, proposals: context.proposals, reviews: context.reviews, lead: context.lead !== null };
    const abstract = { override: expected.override, rounds: expected.rounds, proposals: expected.proposals, reviews: expected.reviews, lead: expected.lead };
    return JSON.stringify(real) === JSON.stringify(abstract) ? null : `real ${JSON.stringify(real)}, abstract ${JSON.stringify(abstract)}`;
  }
}
