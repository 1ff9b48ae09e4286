import type { Actor, createActor } from 'xstate';
import { conductorMachine, type ConductorInput, type PlanningSettings } from '../machines/conductor.js';
import { ticketMachine, type WorkerProfile } from '../machines/ticket.js';
import { workerMachine } from '../machines/worker.js';
import { plannerMachine } from '../machines/planner.js';
import type { ClutchConfig, Track } from '../protocol/index.js';
import { callModelLogic, mergeWorkspaceLogic, prepareWorkspaceLogic, previewToolLogic, qaHintLogic, reviewBriefLogic, runToolLogic, waitUntilLogic, type IoDependencies, type WaitUntil } from './io-actors.js';
import { executionDefaults } from '../protocol/config-schema.js';
import type { AgentArchetype } from '../protocol/index.js';
import { rateLimiterLogic } from './rate-limiter-actor.js';
import type { RateLimiter } from './rate-limiter.js';

export type ConductorActor = Actor<typeof conductorMachine>;
export type TicketRef = ReturnType<typeof createActor<typeof ticketMachine>>;
export type WorkerRef = ReturnType<typeof createActor<typeof workerMachine>>;
export type PlannerRef = ReturnType<typeof createActor<typeof plannerMachine>>;

/** The tools a reviewer may use: the archetype's reading tools, and the two verdicts (never task_complete). */
export const REVIEW_READ_TOOLS: ReadonlySet<string> = new Set(['read_file', 'list_files', 'search_files', 'read_skeleton']);

function baseProfile(name: string, agent: AgentArchetype): WorkerProfile {
  return {
    archetype: name,
    profile: agent.model,
    system: agent.system_prompt,
    tools: agent.tools.includes('task_complete') ? agent.tools : [...agent.tools, 'task_complete'],
    trust: agent.trust_level,
    maxTurns: agent.max_turns,
  };
}

/** What a worker of each archetype gets, from agents.toml: with its QA and its reviewer, if it has them. */
export function workerProfiles(config: ClutchConfig): Record<string, WorkerProfile> {
  return Object.fromEntries(
    Object.entries(config.agents).map(([name, agent]) => {
      const profile = baseProfile(name, agent);
      const qa = agent.qa_by ? config.agents[agent.qa_by] : undefined;
      if (agent.qa_by && qa) {
        profile.qa = {
          archetype: agent.qa_by,
          profile: qa.model,
          system: qa.system_prompt,
          trust: qa.trust_level,
          rawLines: config.execution.qa_raw_lines ?? executionDefaults.qa_raw_lines,
        };
      }
      const reviewer = agent.review_by ? config.agents[agent.review_by] : undefined;
      if (agent.review_by && reviewer) {
        const worker = baseProfile(agent.review_by, reviewer);
        worker.tools = [...reviewer.tools.filter((tool) => REVIEW_READ_TOOLS.has(tool)), 'approve_change', 'request_changes'];
        worker.finish = ['approve_change', 'request_changes'];
        profile.review = { worker, maxRounds: config.execution.max_review_rounds ?? executionDefaults.max_review_rounds };
      }
      return [name, profile];
    }),
  );
}

/** The actor wiring: the pure statecharts with the engine's I/O actors provided at every level. */
export function engineMachine(deps: IoDependencies, limiters: ReadonlyMap<string, RateLimiter>, wait: WaitUntil) {
  // One worker logic for every agent: ticket workers, reviewers and the planner's pm and tech lead.
  const worker = workerMachine.provide({
    actors: {
      callModel: callModelLogic(deps),
      runTool: runToolLogic(deps),
      previewTool: previewToolLogic(deps),
      waitUntil: waitUntilLogic(wait),
      qaHint: qaHintLogic(deps),
    },
  });
  return conductorMachine.provide({
    actors: {
      ticket: ticketMachine.provide({
        actors: {
          prepareWorkspace: prepareWorkspaceLogic(deps),
          mergeWorkspace: mergeWorkspaceLogic(deps),
          reviewBrief: reviewBriefLogic(deps),
          worker,
        },
      }),
      rateLimiter: rateLimiterLogic(limiters),
      planner: plannerMachine.provide({
        actors: {
          worker,
        },
      }),
    },
  });
}

/** The conductor's input for a track: its tickets in track order, the archetypes, the limits. */
export function conductorInput(track: Track, config: ClutchConfig, maxConcurrency: number, limiters: ReadonlyMap<string, RateLimiter>, isolated = false): ConductorInput {
  return {
    trackId: track.id,
    tickets: track.tickets.map(({ id, target_file, prompt, worker_archetype, dependencies }) => ({ id, target_file, prompt, worker_archetype, dependencies })),
    workers: workerProfiles(config),
    maxConcurrency,
    rateLimiters: [...limiters.keys()],
    ...(isolated ? { isolation: 'worktree' as const } : {}),
    ...(planningOf(config) ? { planning: planningOf(config)! } : {}),
  };
}

/** Who plans a request: the tier 1 archetype (`pm` first), checked by the tier 2 one (`tech_lead` first). */
export function planningOf(config: ClutchConfig): PlanningSettings | undefined {
  const ofTier = (tier: number, preferred: string) => {
    const names = Object.keys(config.agents).filter((name) => config.agents[name]!.tier === tier);
    return names.includes(preferred) ? preferred : names[0];
  };
  const pm = ofTier(1, 'pm');
  if (!pm) return undefined;
  return { pm, lead: ofTier(2, 'tech_lead') ?? null, maxRounds: config.execution.max_plan_rounds ?? executionDefaults.max_plan_rounds };
}
