/**
 * The planner's abstract model: the real planner statechart (derived) over a small context. Its
 * events are the ends of its two agents (the pm's proposal, the tech lead's review), each with an
 * explicit choice of outcome, the human's answers at plan approval, and the global trust override,
 * which the conductor relays to it while it plans.
 */
import { plannerMachine } from '../machines/planner.js';
import type { TrustOverride } from '../protocol/index.js';
import { deriveAbstractMachine, type AbstractSnapshot, type AbstractSpec } from './derive.js';

export const PM_DONE = 'xstate.done.actor.pm';
export const PM_ERROR = 'xstate.error.actor.pm';
export const LEAD_DONE = 'xstate.done.actor.lead';
export const LEAD_ERROR = 'xstate.error.actor.lead';

/** How the pm ends: propose_track accepted, task_complete with no plan, or failed (its model refused). */
export type PmEnd = 'proposed' | 'unfinished' | 'failed';
/** How the tech lead ends: revise_track accepted, task_complete (the plan stays the pm's), or failed. */
export type LeadEnd = 'revised' | 'kept' | 'failed';

export type PlannerModelEvent =
  | { type: typeof PM_DONE; end: PmEnd }
  /** The pm crashed (an error it could not describe). */
  | { type: typeof PM_ERROR }
  | { type: typeof LEAD_DONE; end: LeadEnd }
  | { type: typeof LEAD_ERROR }
  /** A valid edit of the plan (an invalid one never reaches the planner: the monitor checks that). */
  | { type: 'plan.edit' }
  | { type: 'plan.approve' }
  | { type: 'plan.send_back' }
  | { type: 'plan.retry' }
  | { type: 'planner.trust_override'; override: TrustOverride };

export interface PlannerModelContext {
  /** The configuration: a tech lead (tier 2) reviews the plan. */
  lead: boolean;
  override: TrustOverride;
  /** Times the plan was sent back, of at most `maxRounds`. */
  rounds: number;
  maxRounds: number;
  /** Runs of the pm and of the tech lead so far (the attempts of their workers). */
  proposals: number;
  reviews: number;
}

export type PlannerModelSnapshot = AbstractSnapshot<PlannerModelContext>;

/** agents.toml `max_plan_rounds` of the planned runs. */
export const MAX_PLAN_ROUNDS = 1;
/** The pm is asked at most this often (retries and send-backs), which keeps the state space finite. */
export const MAX_PROPOSALS = 3;

export const plannerSpec: AbstractSpec<PlannerModelContext, PlannerModelEvent> = {
  context: { lead: true, override: 'none', rounds: 0, maxRounds: MAX_PLAN_ROUNDS, proposals: 0, reviews: 0 },
  guards: {
    proposedWithLead: (context, event) => context.lead && event.type === PM_DONE && event.end === 'proposed',
    proposed: (_context, event) => event.type === PM_DONE && event.end === 'proposed',
    revised: (_context, event) => event.type === LEAD_DONE && event.end === 'revised',
    roundsLeft: (context) => context.rounds < context.maxRounds,
  },
  actions: {
    startPm: (context) => ({ context: { proposals: context.proposals + 1 } }),
    startLead: (context) => ({ context: { reviews: context.reviews + 1 } }),
    recordOverride: (context, event) => ({ context: { override: event.type === 'planner.trust_override' ? event.override : context.override } }),
  },
  // The plan itself, the notes and reasons, and the relays to the agents: no abstract state.
  ignoredActions: ['stopPm', 'stopLead', 'recordProposal', 'recordRevision', 'recordLeadNote', 'recordPmFailure', 'relayToPm', 'relayToLead'],
  inline: {
    'planner.awaitingApproval plan.send_back[0]': (context) => ({ context: { rounds: context.rounds + 1 } }),
  },
};

export const abstractPlanner = deriveAbstractMachine(plannerMachine, plannerSpec);

/** The planner without a tech lead: the pm's plan goes to the human at once. */
export const abstractPlannerWithoutLead = deriveAbstractMachine(plannerMachine, { ...plannerSpec, context: { ...plannerSpec.context, lead: false } });

const overrides = (context: PlannerModelContext): PlannerModelEvent[] =>
  (['none', 'step', 'auto'] as const).filter((override) => override !== context.override).map((override) => ({ type: 'planner.trust_override', override }));

/** What can happen next: each agent's ends while it works, the human's answers at the pauses, an override at any time. */
export function plannerEvents(snapshot: PlannerModelSnapshot): PlannerModelEvent[] {
  const context = snapshot.context;
  if (snapshot.status !== 'active') return [];
  if (snapshot.matches('proposing')) {
    return [...(['proposed', 'unfinished', 'failed'] as const).map((end): PlannerModelEvent => ({ type: PM_DONE, end })), { type: PM_ERROR }, ...overrides(context)];
  }
  if (snapshot.matches('reviewing')) {
    return [...(['revised', 'kept', 'failed'] as const).map((end): PlannerModelEvent => ({ type: LEAD_DONE, end })), { type: LEAD_ERROR }, ...overrides(context)];
  }
  if (snapshot.matches('awaitingApproval')) {
    return [
      { type: 'plan.edit' },
      { type: 'plan.approve' },
      ...(context.rounds < context.maxRounds && context.proposals < MAX_PROPOSALS ? [{ type: 'plan.send_back' } as const] : []),
      ...overrides(context),
    ];
  }
  if (snapshot.matches('failed')) return [...(context.proposals < MAX_PROPOSALS ? [{ type: 'plan.retry' } as const] : []), ...overrides(context)];
  return [];
}

export function plannerStateKey(snapshot: PlannerModelSnapshot): string {
  return JSON.stringify(snapshot.status === 'done' ? [snapshot.value] : [snapshot.value, snapshot.context]);
}

/**
 * Whole runs the generators leave to chance: the human edits the plan the tech lead kept, sends
 * it back once (then no round is left), edits the revision and approves it; with the override at
 * step, the agents stop at their pauses (the test approves their calls there) and crash where a
 * pause previews their call, and an override set at plan approval reaches the next pm. Without a tech lead
 * (the other configuration), a proposal goes straight to plan approval; with the override at step,
 * a failed pm is asked again and the plan sent back once before it is approved.
 */
export const PLANNER_TARGETED: PlannerModelEvent[][] = [
  [
    { type: PM_DONE, end: 'proposed' },
    { type: LEAD_DONE, end: 'kept' },
    { type: 'plan.edit' },
    { type: 'plan.send_back' },
    { type: PM_DONE, end: 'proposed' },
    { type: LEAD_DONE, end: 'revised' },
    { type: 'plan.edit' },
    { type: 'plan.approve' },
  ],
  [
    { type: 'planner.trust_override', override: 'step' },
    { type: PM_DONE, end: 'unfinished' },
    { type: 'plan.retry' },
    { type: PM_DONE, end: 'proposed' },
    { type: LEAD_DONE, end: 'revised' },
    { type: 'plan.edit' },
    { type: 'plan.approve' },
  ],
  [
    { type: PM_DONE, end: 'proposed' },
    { type: 'planner.trust_override', override: 'step' },
    { type: LEAD_ERROR },
    { type: 'plan.send_back' },
    { type: PM_ERROR },
    { type: 'planner.trust_override', override: 'none' },
    { type: 'plan.retry' },
    { type: PM_DONE, end: 'proposed' },
    { type: LEAD_DONE, end: 'kept' },
    { type: 'plan.approve' },
  ],
];

export const WITHOUT_LEAD_TARGETED: PlannerModelEvent[][] = [
  [{ type: PM_DONE, end: 'proposed' }, { type: 'plan.approve' }],
  [{ type: 'planner.trust_override', override: 'step' }, { type: PM_DONE, end: 'failed' }, { type: 'plan.retry' }, { type: PM_DONE, end: 'proposed' }, { type: 'plan.send_back' }, { type: PM_DONE, end: 'proposed' }, { type: 'plan.approve' }],
];
