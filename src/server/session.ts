import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Engine } from '../actors/engine.js';
import { prepareRun, type PreparedRun } from '../runs/prepare-run.js';
import { resumeRun } from '../runs/resume-run.js';
import type { ClutchConfig, ExecutionMode, Track, TrustLevel } from '../protocol/index.js';
import type { SessionInfo } from '../protocol/wire.js';
import { sandboxStatus } from '../tools/index.js';
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
  /** The scripted profile replays this script instead of its own (serve's --script). */
  script?: string;
  /** Writes every model request and response to this JSONL cassette. */
  record?: string;
  /** Answers model requests from this cassette, with no network. */
  replay?: string;
  /** Goes on with this stored run instead of starting a new one (track, workspace and model flags are the run's own). */
  resume?: string;
  /** Begins from this request (planned into the track) on `workspace`, instead of a track file. */
  request?: string;
}

export interface Session {
  engine: Engine;
  session: SessionInfo;
  runDir: string;
  /** The inspector's timeline, recording from before the engine starts. */
  timeline: Timeline;
  /** The workspace the run copied (the user's folder). */
  sourceWorkspace?: string;
  /** Whether the engine goes on from a stored snapshot. */
  resumed: boolean;
  /** Where the run's store is. */
  storePath: string;
  /** Stops the engine (committing its last changes), lets go of the run and closes the store. */
  close(): Promise<void>;
}

export const demoTrackPath = fileURLToPath(new URL('../../demo/track.toml', import.meta.url));
const demoWorkspace = fileURLToPath(new URL('../../demo/workspace', import.meta.url));
const demoRequest = fileURLToPath(new URL('../../demo/request.txt', import.meta.url));

/** The offline demo's request (demo/request.txt), offered for a run on the demo's workspace. */
function requestExampleFor(workspace: string | undefined): string | null {
  if (!workspace || resolve(workspace) !== resolve(demoWorkspace)) return null;
  try {
    return readFileSync(demoRequest, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/**
 * Everything `clutch serve` needs before it listens: the inputs loaded and checked, a run folder
 * with its own copy of the workspace, the model clients, and the engine (not started yet).
 * Bad input is a UsageError, so the CLI can print it and exit 2.
 */
export async function createSession(options: SessionOptions): Promise<Session> {
  const prepared: PreparedRun = options.resume
    ? await resumeRun({
        cwd: options.cwd,
        run: options.resume,
        ...(options.config ? { config: options.config } : {}),
        ...(options.chunkDelayMs !== undefined ? { chunkDelayMs: options.chunkDelayMs } : {}),
        ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
      })
    : await prepareRun({ ...options, track: options.track ?? demoTrackPath });
  const { engine, config, track, run, modelFor } = prepared;
  const planned = options.request !== undefined || prepared.log.store.run(run.id)?.options.request !== undefined;
  const archetypes = planned ? Object.keys(config.agents) : track.tickets.map((ticket) => ticket.worker_archetype);
  const labels = [...new Set(archetypes.map((name) => modelFor(config.agents[name]!.model).label))];
  const info = sessionInfo(run.id, track, config, labels.join(', '), run.workspace, engine.isolation);
  info.request = engine.options.request?.text ?? null;
  info.request_example = requestExampleFor(prepared.sourceWorkspace);
  if (info.sandbox === 'bwrap') {
    const status = await sandboxStatus();
    if (!status.usable) info.sandbox_problem = status.message;
  }
  return {
    engine,
    runDir: run.runDir,
    timeline: timelineOf(engine),
    session: info,
    ...(prepared.sourceWorkspace ? { sourceWorkspace: prepared.sourceWorkspace } : {}),
    resumed: prepared.resumed,
    storePath: prepared.store.path,
    close: prepared.close,
  };
}

/** What the UI shows about the run. Built field by field: nothing from the environment gets in. */
export function sessionInfo(
  runId: string,
  track: Track,
  config: ClutchConfig,
  modelLabel: string,
  workspace: string,
  isolation: 'worktree' | 'shared' = 'shared',
): SessionInfo {
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
    isolation,
    sandbox: config.execution.sandbox ?? 'bwrap',
    request: null,
    planning: Object.values(config.agents).some((agent) => agent.tier === 1) && Object.values(config.agents).some((agent) => agent.tier === 3),
    request_example: null,
  };
}
