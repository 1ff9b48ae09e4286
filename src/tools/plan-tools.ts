import { toolInputSchemas, type ProposedTrack, type ToolInput, type ToolPreview } from '../protocol/index.js';
import type { Tool, ToolContext } from './tool.js';
import { toolError, toolOk } from './files.js';

/**
 * The tools of the planning and review tiers. propose_track and revise_track are checked like a
 * track file (the planner gives the check); the worker ends, completed, once one is accepted. A
 * verdict (approve_change, request_changes) is always accepted and ends the reviewer.
 */

function planText(plan: ProposedTrack): string {
  const lines = [`${plan.title}${plan.description ? ` — ${plan.description}` : ''}`];
  for (const ticket of plan.tickets) {
    const after = ticket.dependencies && ticket.dependencies.length > 0 ? ` (after ${ticket.dependencies.join(', ')})` : '';
    lines.push(`${ticket.id} [${ticket.worker_archetype}] ${ticket.target_file}${after}: ${ticket.prompt}`);
  }
  return lines.join('\n');
}

function checkPlan(name: string, input: ProposedTrack, context: ToolContext) {
  if (!context.checkTrack) return toolError(`${name} is the planner's tool; this agent is not planning a track`);
  const problems = context.checkTrack(input);
  if (problems.length > 0) {
    return toolError(
      `the proposed track was not accepted; ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n` +
        problems.map((problem) => `- ${problem}`).join('\n') +
        `\nFix every one and call ${name} again with the whole track.`,
    );
  }
  return toolOk(`track accepted: ${input.tickets.length} ticket${input.tickets.length === 1 ? '' : 's'}; it goes to the human for approval`);
}

export const proposeTrackTool: Tool<ToolInput<'propose_track'>> = {
  name: 'propose_track',
  description:
    'Propose the track of tickets that carries out the request: each ticket has one target file, a precise prompt, ' +
    'the archetype that does it and the ids it depends on. It is checked like a track file (unique ids, known ' +
    'dependencies, no cycles, known archetypes, targets inside the workspace); problems come back as an error to fix.',
  inputSchema: toolInputSchemas.propose_track,
  async preview(input): Promise<ToolPreview> {
    return { kind: 'text', text: planText(input) };
  },
  async execute(input, context) {
    return checkPlan('propose_track', input, context);
  },
};

export const reviseTrackTool: Tool<ToolInput<'revise_track'>> = {
  name: 'revise_track',
  description:
    'Replace the proposed track with a revised one (the whole track), saying in note what changed and why. ' +
    'It is checked like propose_track. Call task_complete instead to keep the plan as proposed.',
  inputSchema: toolInputSchemas.revise_track,
  async preview(input): Promise<ToolPreview> {
    return { kind: 'text', text: `${input.note}\n\n${planText(input)}` };
  },
  async execute(input, context) {
    // The note says why; the track is the rest.
    const { note: _note, ...track } = input;
    return checkPlan('revise_track', track, context);
  },
};

export const approveChangeTool: Tool<ToolInput<'approve_change'>> = {
  name: 'approve_change',
  description: 'The verdict that the change does what the ticket asks, and can be merged.',
  inputSchema: toolInputSchemas.approve_change,
  async preview(input): Promise<ToolPreview> {
    return { kind: 'text', text: `Verdict: approve${input.comment ? `\n${input.comment}` : ''}` };
  },
  async execute() {
    return toolOk('verdict recorded: approve');
  },
};

export const requestChangesTool: Tool<ToolInput<'request_changes'>> = {
  name: 'request_changes',
  description: 'The verdict that the change needs more work: comments go to the worker, who changes it and submits again.',
  inputSchema: toolInputSchemas.request_changes,
  async preview(input): Promise<ToolPreview> {
    return { kind: 'text', text: `Verdict: request changes\n${input.comments}` };
  },
  async execute() {
    return toolOk('verdict recorded: request changes');
  },
};
