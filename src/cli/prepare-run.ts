import { resolve } from 'node:path';
import { Engine } from '../actors/engine.js';
import { modelsFromConfig, withModelProfile } from '../actors/models.js';
import { SimulatedClock } from '../actors/simulated-clock.js';
import type { ModelClient } from '../models/model-client.js';
import type { ClutchConfig, ExecutionMode, Track, TrustLevel } from '../protocol/index.js';
import { loadInputs, UsageError } from './load-inputs.js';
import { createRunFolder } from './run-folder.js';

export interface PrepareOptions {
  cwd: string;
  config?: string;
  track: string;
  workspace?: string;
  mode?: ExecutionMode;
  trust?: TrustLevel;
  /** Points every agent at this model profile. */
  model?: string;
  record?: string;
  replay?: string;
  env?: NodeJS.ProcessEnv;
  chunkDelayMs?: number;
  chunkSize?: number;
  /** Runs once the configuration is final and before anything is created; throws UsageError to refuse. */
  check?: (config: ClutchConfig, track: Track) => void;
}

export interface PreparedRun {
  engine: Engine;
  config: ClutchConfig;
  track: Track;
  run: { id: string; runDir: string; workspace: string };
  modelFor: (profile: string) => ModelClient;
}

/** Bad input (a missing script, an unknown profile, no API key) is a UsageError: exit 2, like a bad file. */
async function asUsage<T>(build: () => T | Promise<T>): Promise<T> {
  try {
    return await build();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/**
 * What `clutch run` and `clutch serve` share: the inputs loaded and checked, the model clients, a
 * run folder with its own copy of the workspace, and the engine (not started yet).
 */
export async function prepareRun(options: PrepareOptions): Promise<PreparedRun> {
  const inputs = loadInputs(options);
  const { track } = inputs;
  if (options.record && options.replay) throw new UsageError('--record and --replay cannot be used together');
  const config = options.model ? await asUsage(() => withModelProfile(inputs.config, options.model!)) : inputs.config;
  options.check?.(config, track);
  // A replay has nothing to wait for: its clock jumps over backoffs and rate-limit waits.
  const clock = options.replay ? new SimulatedClock(Date.now()) : undefined;
  const modelFor = await asUsage(() =>
    modelsFromConfig(config, track.tickets.map((ticket) => ticket.worker_archetype), {
      ...(options.env ? { env: options.env } : {}),
      ...(options.chunkDelayMs !== undefined ? { chunkDelayMs: options.chunkDelayMs } : {}),
      ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
      ...(options.record ? { record: resolve(options.cwd, options.record) } : {}),
      ...(options.replay ? { replay: resolve(options.cwd, options.replay) } : {}),
      ...(clock ? { now: clock.now } : {}),
    }),
  );
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
  return { engine, config, track, run, modelFor };
}
