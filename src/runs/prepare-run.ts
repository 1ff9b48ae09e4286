import { rmSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { Engine } from '../actors/engine.js';
import { modelsFromConfig, withModelProfile } from '../actors/models.js';
import { SimulatedClock } from '../actors/simulated-clock.js';
import type { ModelClient } from '../models/model-client.js';
import { ModelSetupError } from '../models/model-setup-error.js';
import type { ClutchConfig, ExecutionMode, Track, TrustLevel } from '../protocol/index.js';
import type { RunLog, RunStore, StoredRunOptions } from '../store/index.js';
import { loadInputs, loadRequestInputs, runsFolderOf, UsageError } from './load-inputs.js';
import { errorText } from '../protocol/error-text.js';
import { createRunFolder } from './run-folder.js';
import { isolationOf, runWorkspaces } from './run-workspaces.js';
import { secretsOf } from '../protocol/redact.js';
import { hashFile, openStore, storePathOf } from './store-path.js';

export interface PrepareOptions {
  cwd: string;
  config?: string;
  /** The track file to run; or, with `request`, none (the planner makes the track). */
  track: string;
  /** Begin from this request: the planner turns it into the track, which runs once the human approves it. */
  request?: string;
  workspace?: string;
  mode?: ExecutionMode;
  trust?: TrustLevel;
  /** Points every agent at this model profile. */
  model?: string;
  /** The scripted profile replays this script instead of its own (see loadInputs). */
  script?: string;
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
  store: RunStore;
  log: RunLog;
  /** Whether the engine goes on from a stored snapshot. */
  resumed: boolean;
  /** The workspace the run copied (the user's folder, never changed by the run). */
  sourceWorkspace?: string;
  /** Stops the engine (committing its last changes), lets go of the run and closes the store. */
  close(): Promise<void>;
}

/** Bad input (a missing script, an unknown profile, no API key) is a UsageError: exit 2, like a bad file. */
async function asUsage<T>(build: () => T | Promise<T>): Promise<T> {
  try {
    return await build();
  } catch (error) {
    if (error instanceof ModelSetupError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
}

export interface EngineParts {
  cwd: string;
  config: ClutchConfig;
  track: Track;
  options: StoredRunOptions & { env?: NodeJS.ProcessEnv; chunkDelayMs?: number; chunkSize?: number };
}

/** The model clients of a run, and the simulated clock a replay runs on. */
export async function modelsOf({ cwd, config, track, options }: EngineParts) {
  // A replay has nothing to wait for: its clock jumps over backoffs and rate-limit waits.
  const clock = options.replay ? new SimulatedClock(Date.now()) : undefined;
  // A run begun from a request may use any archetype: the plan decides.
  const archetypes = options.request !== undefined ? Object.keys(config.agents) : track.tickets.map((ticket) => ticket.worker_archetype);
  const modelFor = await asUsage(() =>
    modelsFromConfig(config, archetypes, {
      ...(options.env ? { env: options.env } : {}),
      ...(options.chunkDelayMs !== undefined ? { chunkDelayMs: options.chunkDelayMs } : {}),
      ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
      ...(options.record ? { record: resolve(cwd, options.record) } : {}),
      ...(options.replay ? { replay: resolve(cwd, options.replay) } : {}),
      ...(clock ? { now: clock.now } : {}),
    }),
  );
  return { modelFor, clock };
}

/** The configuration as the run uses it: --model points every agent at one profile. */
export async function effectiveConfig(config: ClutchConfig, model: string | undefined): Promise<ClutchConfig> {
  return model ? asUsage(() => withModelProfile(config, model)) : config;
}

/**
 * What `clutch run` and `clutch serve` share: the inputs loaded and checked, the model clients, a
 * run folder with its own copy of the workspace, the run recorded in the store, and the engine
 * (not started yet).
 */
export async function prepareRun(options: PrepareOptions): Promise<PreparedRun> {
  if (options.record && options.replay) throw new UsageError('--record and --replay cannot be used together');
  // Every check validate makes, before anything is created: --model and --script come applied.
  const inputs = options.request !== undefined ? loadRequestInputs({ ...options, request: options.request }) : loadInputs(options);
  const { track, config } = inputs;
  options.check?.(config, track);
  // The script is kept with the run, so that a resume replays the same one.
  const stored: StoredRunOptions = {
    ...(options.mode ? { mode: options.mode } : {}),
    ...(options.trust ? { trust: options.trust } : {}),
    ...(options.model ? { model: options.model } : {}),
    ...(options.script ? { script: resolve(options.cwd, options.script) } : {}),
    ...(options.record ? { record: resolve(options.cwd, options.record) } : {}),
    ...(options.replay ? { replay: resolve(options.cwd, options.replay) } : {}),
    ...(options.request !== undefined ? { request: options.request.trim() } : {}),
  };
  const { modelFor, clock } = await modelsOf({ cwd: options.cwd, config, track, options: { ...options, ...stored } });
  const store = openStore(storePathOf(config, options.cwd));
  try {
    const run = copyWorkspace(runsFolderOf(options.cwd), inputs.workspace);
    const isolated = isolationOf(config) === 'worktree';
    let workspaces;
    try {
      workspaces = isolated ? runWorkspaces(run, { create: true, ...(options.env ? { env: options.env } : {}) }) : undefined;
    } catch (error) {
      rmSync(run.runDir, { recursive: true, force: true });
      throw error;
    }
    if (isolated) stored.isolation = 'worktree';
    // A request's track is written to the run folder once its plan is approved (no hash before).
    const trackPath = options.request !== undefined ? resolve(run.runDir, 'track.toml') : resolve(options.cwd, options.track);
    const log = store.createRun({
      id: run.id,
      track_id: track.id,
      track_title: track.title,
      track_path: trackPath,
      track_hash: options.request !== undefined ? '' : hashFile(trackPath),
      config_path: inputs.config.source,
      config_hash: hashFile(inputs.config.source),
      source_workspace: inputs.workspace,
      run_dir: run.runDir,
      workspace: run.workspace,
      options: stored,
      tickets_total: track.tickets.length,
      created: Date.now(),
    });
    const engine = new Engine({
      config,
      track,
      workspace: run.workspace,
      runDir: run.runDir,
      modelFor,
      log,
      ...(workspaces ? { workspaces } : {}),
      ...(options.request !== undefined ? { request: { text: options.request.trim(), sourceWorkspace: inputs.workspace } } : {}),
      ...(options.env ? { secrets: secretsOf(options.env) } : {}),
      ...(options.mode ? { mode: options.mode } : {}),
      ...(options.trust ? { trustOverride: options.trust } : {}),
      ...(clock ? { now: clock.now, waitUntil: clock.waitUntil } : {}),
    });
    return { engine, config, track, run, modelFor, store, log, resumed: false, sourceWorkspace: inputs.workspace, close: closer(engine, store) };
  } catch (error) {
    store.close();
    throw error;
  }
}

/**
 * The run's folder with its copy of the workspace. The workspace was checked a moment ago, but it
 * may change in between (a FIFO made since): the copy's error is then bad input, said with the
 * path, and the half-made folder goes, so nothing of the refused run is left.
 */
function copyWorkspace(base: string, workspace: string): ReturnType<typeof createRunFolder> {
  try {
    return createRunFolder(base, workspace);
  } catch (error) {
    const code = String((error as NodeJS.ErrnoException).code ?? '');
    if (!code.startsWith('ERR_FS_CP') && !['EACCES', 'EPERM', 'ENOENT', 'ELOOP'].includes(code)) throw error;
    const runDir = runFolderIn(base, error);
    if (runDir) rmSync(runDir, { recursive: true, force: true });
    throw new UsageError(`workspace ${workspace} cannot be copied into a run: ${errorText(error)}; nothing was run`, { cause: error });
  }
}

/** The run folder a failed copy was writing: the first folder below `base` on a path the error names. */
function runFolderIn(base: string, error: unknown): string | undefined {
  const fields = error as { path?: unknown; dest?: unknown; info?: { path?: unknown; dest?: unknown } };
  for (const candidate of [fields.info?.dest, fields.info?.path, fields.dest, fields.path]) {
    if (typeof candidate !== 'string') continue;
    const inside = relative(base, resolve(candidate));
    const first = inside.split(sep)[0];
    if (first && first !== '..' && !isAbsolute(inside)) return resolve(base, first);
  }
  return undefined;
}

export function closer(engine: Engine, store: RunStore): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () =>
    (closing ??= (async () => {
      await engine.stop();
      store.close();
    })());
}
