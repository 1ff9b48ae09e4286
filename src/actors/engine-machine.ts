import type { Actor, createActor } from 'xstate';
import { conductorMachine, type ConductorInput } from '../machines/conductor.js';
import { ticketMachine, type WorkerProfile } from '../machines/ticket.js';
import { workerMachine } from '../machines/worker.js';
import type { ClutchConfig, Track } from '../protocol/index.js';
import { callModelLogic, mergeWorkspaceLogic, prepareWorkspaceLogic, previewToolLogic, runToolLogic, waitUntilLogic, type IoDependencies, type WaitUntil } from './io-actors.js';
import { rateLimiterLogic } from './rate-limiter-actor.js';
import type { RateLimiter } from './rate-limiter.js';

export type ConductorActor = Actor<typeof conductorMachine>;
export type TicketRef = ReturnType<typeof createActor<typeof ticketMachine>>;
export type WorkerRef = ReturnType<typeof createActor<typeof workerMachine>>;

/** What a worker of each archetype gets, from agents.toml. */
export function workerProfiles(config: ClutchConfig): Record<string, WorkerProfile> {
  return Object.fromEntries(
    Object.entries(config.agents).map(([name, agent]) => [
      name,
      {
        archetype: name,
        profile: agent.model,
        system: agent.system_prompt,
        tools: agent.tools.includes('task_complete') ? agent.tools : [...agent.tools, 'task_complete'],
        trust: agent.trust_level,
        maxTurns: agent.max_turns,
      },
    ]),
  );
}

/** The actor wiring: the pure statecharts with the engine's I/O actors provided at every level. */
export function engineMachine(deps: IoDependencies, limiters: ReadonlyMap<string, RateLimiter>, wait: WaitUntil) {
  return conductorMachine.provide({
    actors: {
      ticket: ticketMachine.provide({
        actors: {
          prepareWorkspace: prepareWorkspaceLogic(deps),
          mergeWorkspace: mergeWorkspaceLogic(deps),
          worker: workerMachine.provide({
            actors: {
              callModel: callModelLogic(deps),
              runTool: runToolLogic(deps),
              previewTool: previewToolLogic(deps),
              waitUntil: waitUntilLogic(wait),
            },
          }),
        },
      }),
      rateLimiter: rateLimiterLogic(limiters),
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
  };
}
