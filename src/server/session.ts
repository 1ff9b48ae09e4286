import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../actors/engine.js';
import { modelsFromConfig, withModelProfile } from '../actors/models.js';
import { SimulatedClock } from '../actors/simulated-clock.js';
import { loadInputs, UsageError } from '../cli/load-inputs.js';
import { createRunFolder } from '../cli/run-folder.js';
import type { ModelClient } from '../models/model-client.js';
import type { ClutchConfig, ExecutionMode, Track, TrustLevel } from '../protocol/index.js';
import type { SessionInfo } from '../protocol/wire.js';
import { timelineOf, type Timeline } from './timeline.js';

export interface SessionOptions {
  /** Relative paths resolve here; the run folder goes to .clutch/runs under it. */
  cwd: string;
  config?: string;
  /** The package's demo/track.toml unless given. */
  track?: string;
  workspace?: string;
  mode?: ExecutionMode;
  trust?: TrustLevel;
  /** Pause between the scripted model's streamed deltas, for a demo that looks alive. */
  chunkDelayMs?: number;
  /** Characters per scripted delta (the scripted model's default unless given). */
  chunkSize?: number;
  /** Points every agent at this model profile. */
  model?: string;
  /** Writes every model request and response to this JSONL cassette. */
  record?: string;
  /** Answers model requests from this cassette, with no network. */
  replay?: string;
}

export interface Session {
  engine: Engine;
  session: SessionInfo;
  runDir: string;
  /** The inspector's timeline, recording from before the engine starts. */
  timeline: Timeline;
}

export const demoTrackPath = fileURLToPath(new URL('../../demo/track.toml', import.meta.url));

/**
 * Everything `clutch serve` needs before it listens: the inputs loaded and checked, a run folder
 * with its own copy of the workspace, the model clients, and the engine (not started yet).
 * Bad input is a UsageError, so the CLI can print it and exit 2.
 */
export async function createSession(options: SessionOptions): Promise<Session> {
  const inputs = loadInputs({ ...options, track: options.track ?? demoTrackPath });
  const { track } = inputs;
  if (options.record && options.replay) throw new UsageError('--record and --replay cannot be used together');
  const archetypes = track.tickets.map((ticket) => ticket.worker_archetype);
  // A replay has nothing to wait for: its clock jumps over backoffs and rate-limit waits.
  const clock = options.replay ? new SimulatedClock(Date.now()) : undefined;
  let config: ClutchConfig;
  let modelFor: (profile: string) => ModelClient;
  try {
    config = options.model ? withModelProfile(inputs.config, options.model) : inputs.config;
    modelFor = await modelsFromConfig(config, archetypes, {
      ...(options.chunkDelayMs !== undefined ? { chunkDelayMs: options.chunkDelayMs } : {}),
      ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
      ...(options.record ? { record: resolve(options.cwd, options.record) } : {}),
      ...(options.replay ? { replay: resolve(options.cwd, options.replay) } : {}),
      ...(clock ? { now: clock.now } : {}),
    });
  } catch (error) {
    // A missing script or an unsupported provider is bad input, like a bad config file.
    throw new UsageError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  const run = createRunFolder(resolve(options.cwd, '.clutch', 'runs'), inputs.workspace);
  const engine = new Engine({
    config,
    track,
    workspace: run.workspace,
    runDir: run.runDir,
    modelFor,
    ...(options.mode ? { mode: options.mode } : {}),
    ...(options.trust ? { trustOverride: options.trust } : {}),
    ...(clock ? { now: clock.now, waitUntil: clock.waitUntil } : {}),
  });
  const labels = [...new Set(archetypes.map((name) => modelFor(config.agents[name]!.model).label))];
  return { engine, runDir: run.runDir, timeline: timelineOf(engine), session: sessionInfo(run.id, track, config, labels.join(', '), run.workspace) };
}

/** What the UI shows about the run. Built field by field: nothing from the environment gets in. */
export function sessionInfo(runId: string, track: Track, config: ClutchConfig, modelLabel: string, workspace: string): SessionInfo {
  return {
    run_id: runId,
    track: {
      id: track.id,
      title: track.title,
      description: track.description,
      tickets: track.tickets.map(({ id, target_file, prompt, worker_archetype, dependencies }) => ({
        id,
        target_file,
        prompt,
        worker_archetype,
        dependencies: [...dependencies],
      })),
    },
    model_label: modelLabel,
    workspace,
    archetypes: Object.fromEntries(
      Object.entries(config.agents).map(([name, agent]) => [name, { tier: agent.tier, trust_level: agent.trust_level, model: agent.model }]),
    ),
  };
}
