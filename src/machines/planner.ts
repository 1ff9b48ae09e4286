import { assign, enqueueActions, sendTo, setup, stopChild, type DoneActorEvent, type ErrorActorEvent } from 'xstate';
import type { ProposedTrack, TrustOverride } from '../protocol/index.js';
import { errorText } from '../protocol/error-text.js';
import { workerKey } from '../protocol/actor-keys.js';
import { workerMachine } from './worker.js';
import type { WorkerProfile } from './ticket.js';
import type { WorkerInput, WorkerOutput, WorkerToTicketEvent } from './worker-types.js';

/** The planner's agents are workers keyed `worker:@plan` (the pm) and `worker:@plan-review` (the tech lead). */
export const PLAN_PM = '@plan';
export const PLAN_LEAD = '@plan-review';

export interface PlannerInput {
  /** The person's request (the UserRequestEvent's text). */
  request: string;
  /** Tier 1: proposes the track. */
  pm: WorkerProfile;
  /** Tier 2: checks it and may revise it; none skips that step. */
  lead: WorkerProfile | null;
  trustOverride: TrustOverride;
  /** Times the human may send the plan back to the pm. */
  maxRounds: number;
}

export interface PlannerContext extends PlannerInput {
  /** The plan as it stands: proposed, revised, or edited by the human. */
  proposal: ProposedTrack | null;
  /** Who last changed the plan. */
  author: 'pm' | 'tech_lead' | 'human' | null;
  /** The tech lead's notes on the plan (or why its review did not happen). */
  note: string | null;
  /** The human's comment when sending the plan back (the pm is told). */
  comment: string | null;
  /** Times the plan was sent back. */
  rounds: number;
  /** Runs of the pm and of the tech lead so far (their workers' attempt numbers). */
  proposals: number;
  reviews: number;
  /** Why planning stopped (failed). */
  reason: string | null;
}

export interface PlannerOutput {
  proposal: ProposedTrack;
}

export type PlannerEvent =
  /** The human's edit of the plan: the engine has checked it like a track file before it gets here. */
  | { type: 'plan.edit'; track: ProposedTrack }
  | { type: 'plan.approve' }
  | { type: 'plan.send_back'; comment: string }
  | { type: 'plan.retry' }
  | { type: 'planner.trust_override'; override: TrustOverride }
  | WorkerToTicketEvent
  | DoneActorEvent<WorkerOutput, 'pm'>
  | ErrorActorEvent<unknown, 'pm'>
  | DoneActorEvent<WorkerOutput, 'lead'>
  | ErrorActorEvent<unknown, 'lead'>;

const pmDone = 'xstate.done.actor.pm' as const;
const leadDone = 'xstate.done.actor.lead' as const;

function finishedPlan(event: PlannerEvent, name: string): ProposedTrack | null {
  if ((event.type !== pmDone && event.type !== leadDone) || event.output.outcome !== 'completed') return null;
  const finished = event.output.finished;
  if (!finished || finished.name !== name) return null;
  const { note: _note, ...plan } = finished.input as ProposedTrack & { note?: string };
  return plan;
}

/** The pm's first message: the request, and after a send-back the comment and the plan it answers. */
export function proposePrompt(context: PlannerContext): string {
  return [
    `Request: ${context.request}`,
    '',
    'Read the workspace as far as you need, then call propose_track with the whole track: small tickets, each with one target file, ' +
      'a precise prompt that says how to check the work, the archetype that carries it out, and the ids it depends on.',
    ...(context.comment && context.proposal
      ? ['', `The human sent your previous plan back with this comment: ${context.comment}`, 'Your previous plan:', JSON.stringify(context.proposal, null, 2)]
      : []),
  ].join('\n');
}

/** The tech lead's first message: the request and the plan to check. */
export function leadPrompt(context: PlannerContext): string {
  return [
    `Request: ${context.request}`,
    '',
    'The pm proposes this track:',
    JSON.stringify(context.proposal, null, 2),
    '',
    'Check that each ticket is feasible, correctly ordered by its dependencies and given to the right archetype. ' +
      'Call revise_track with the whole corrected track if it must change, else task_complete with your notes.',
  ].join('\n');
}

/**
 * The planner (tier 1, then tier 2): the pm proposes a track with propose_track (checked like a
 * track file, problems back to the model), the tech lead may revise it, then ◆ plan approval: the
 * human edits it, approves it, or sends it back to the pm with a comment. Approved, it is the
 * planner's output and the conductor runs it.
 */
export const plannerMachine = setup({
  types: {
    input: {} as PlannerInput,
    context: {} as PlannerContext,
    events: {} as PlannerEvent,
    output: {} as PlannerOutput,
  },
  actors: { worker: workerMachine },
  guards: {
    proposedWithLead: ({ context, event }) => context.lead !== null && finishedPlan(event, 'propose_track') !== null,
    proposed: ({ event }) => finishedPlan(event, 'propose_track') !== null,
    revised: ({ event }) => finishedPlan(event, 'revise_track') !== null,
    roundsLeft: ({ context }) => context.rounds < context.maxRounds,
  },
  actions: {
    startPm: enqueueActions(({ context, enqueue }) => {
      const input: WorkerInput = {
        ticketId: PLAN_PM,
        attempt: context.proposals + 1,
        profile: context.pm.profile,
        system: context.pm.system,
        prompt: proposePrompt(context),
        // The pm ends by proposing: task_complete would end it with no plan.
        tools: [...context.pm.tools.filter((tool) => tool !== 'task_complete' && tool !== 'propose_track'), 'propose_track'],
        trust: context.pm.trust,
        trustOverride: context.trustOverride,
        maxTurns: context.pm.maxTurns,
        archetype: context.pm.archetype,
        finish: ['propose_track'],
      };
      enqueue.spawnChild('worker', { id: 'pm', systemId: workerKey(PLAN_PM), input });
      enqueue.assign({ proposals: context.proposals + 1 });
    }),
    startLead: enqueueActions(({ context, enqueue }) => {
      const lead = context.lead!;
      const input: WorkerInput = {
        ticketId: PLAN_LEAD,
        attempt: context.reviews + 1,
        profile: lead.profile,
        system: lead.system,
        prompt: leadPrompt(context),
        tools: [...lead.tools.filter((tool) => tool !== 'revise_track'), 'revise_track'],
        trust: lead.trust,
        trustOverride: context.trustOverride,
        maxTurns: lead.maxTurns,
        archetype: lead.archetype,
        finish: ['revise_track'],
      };
      enqueue.spawnChild('worker', { id: 'lead', systemId: workerKey(PLAN_LEAD), input });
      enqueue.assign({ reviews: context.reviews + 1 });
    }),
    stopPm: stopChild('pm'),
    stopLead: stopChild('lead'),
    recordProposal: assign(({ event }) => ({ proposal: finishedPlan(event, 'propose_track'), author: 'pm' as const, note: null, comment: null })),
    recordRevision: assign(({ event }) => {
      const note = event.type === leadDone && event.output.outcome === 'completed' ? event.output.finished?.input['note'] : undefined;
      return { proposal: finishedPlan(event, 'revise_track'), author: 'tech_lead' as const, note: typeof note === 'string' ? note : null };
    }),
    recordLeadNote: assign(({ event }) => {
      if (event.type === leadDone) {
        const output = event.output;
        return { note: output.outcome === 'completed' ? output.summary || null : `the tech lead's review did not finish (${output.reason}); the plan is the pm's` };
      }
      if (event.type === 'xstate.error.actor.lead') return { note: `the tech lead's review failed (${errorText(event.error)}); the plan is the pm's` };
      return {};
    }),
    recordPmFailure: assign(({ event }) => {
      if (event.type === pmDone) {
        const output = event.output;
        return { reason: output.outcome === 'completed' ? 'the pm ended without proposing a track' : `the pm did not propose a track: ${output.reason}` };
      }
      if (event.type === 'xstate.error.actor.pm') return { reason: `the pm failed: ${errorText(event.error)}` };
      return {};
    }),
    recordOverride: assign({ trustOverride: ({ context, event }) => (event.type === 'planner.trust_override' ? event.override : context.trustOverride) }),
    relayToPm: sendTo('pm', ({ event }) => ({ type: 'worker.trust_override' as const, override: event.type === 'planner.trust_override' ? event.override : 'none' })),
    relayToLead: sendTo('lead', ({ event }) => ({ type: 'worker.trust_override' as const, override: event.type === 'planner.trust_override' ? event.override : 'none' })),
  },
}).createMachine({
  id: 'planner',
  context: ({ input }) => ({ ...input, proposal: null, author: null, note: null, comment: null, rounds: 0, proposals: 0, reviews: 0, reason: null }),
  initial: 'proposing',
  on: {
    'planner.trust_override': { actions: 'recordOverride' },
  },
  output: ({ context }) => ({ proposal: context.proposal! }),
  states: {
    // Tier 1: the pm reads the workspace and proposes a track.
    proposing: {
      entry: 'startPm',
      on: {
        'planner.trust_override': { actions: ['recordOverride', 'relayToPm'] },
        [pmDone]: [
          { guard: 'proposedWithLead', target: 'reviewing', actions: ['recordProposal', 'stopPm'] },
          { guard: 'proposed', target: 'awaitingApproval', actions: ['recordProposal', 'stopPm'] },
          { target: 'failed', actions: ['recordPmFailure', 'stopPm'] },
        ],
        'xstate.error.actor.pm': { target: 'failed', actions: ['recordPmFailure', 'stopPm'] },
      },
    },
    // Tier 2: the tech lead checks the order, the dependencies and the archetypes, and may revise.
    reviewing: {
      entry: 'startLead',
      on: {
        'planner.trust_override': { actions: ['recordOverride', 'relayToLead'] },
        [leadDone]: [
          { guard: 'revised', target: 'awaitingApproval', actions: ['recordRevision', 'stopLead'] },
          { target: 'awaitingApproval', actions: ['recordLeadNote', 'stopLead'] },
        ],
        'xstate.error.actor.lead': { target: 'awaitingApproval', actions: ['recordLeadNote', 'stopLead'] },
      },
    },
    // ◆ Plan approval: the human sees the tickets and their DAG, edits them, approves, or sends the plan back.
    awaitingApproval: {
      on: {
        'plan.edit': { actions: assign({ proposal: ({ event }) => event.track, author: 'human' as const }) },
        'plan.approve': { target: 'approved' },
        'plan.send_back': { guard: 'roundsLeft', target: 'proposing', actions: assign({ comment: ({ event }) => event.comment, rounds: ({ context }) => context.rounds + 1 }) },
      },
    },
    // The pm gave no plan (it failed, was aborted, or ran out of turns): the human may ask again.
    failed: {
      on: {
        'plan.retry': { target: 'proposing', actions: assign({ reason: null }) },
      },
    },
    approved: { type: 'final' },
  },
});
