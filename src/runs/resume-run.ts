import { existsSync } from 'node:fs';
import { Engine } from '../actors/engine.js';
import { pauseNow } from '../actors/pause-check.js';
import type { ExecutionMode, TrustLevel } from '../protocol/index.js';
import type { RunRecord, RunStore } from '../store/index.js';
import { StoreError } from '../store/index.js';
import { removeStrayTempFilesOfRun, runWorkspaces } from './run-workspaces.js';
import { secretsOf } from '../protocol/redact.js';
import { loadInputs, loadRequestInputs, UsageError } from './load-inputs.js';
import { closer, modelsOf, type PreparedRun } from './prepare-run.js';
import { hashFile, openStore, storePathFor } from './store-path.js';
import type { Snapshot } from 'xstate';
import { errorText } from '../protocol/error-text.js';

export interface ResumeOptions {
  cwd: string;
  /** The run's id, as `clutch runs` lists it. */
  run: string;
  /** Which agents.toml names the store ([execution] store); the default one unless given. */
  config?: string;
  /** The store itself, instead of the one the config names. */
  store?: string;
  env?: NodeJS.ProcessEnv;
  chunkDelayMs?: number;
  chunkSize?: number;
}

/** An input of the run must still be what the run started from: a changed plan is a different run. */
function checkUnchanged(run: RunRecord, what: 'track' | 'config', path: string, hash: string): void {
  const name = what === 'track' ? 'track file' : 'configuration';
  if (!existsSync(path)) {
    throw new UsageError(`run ${run.id} cannot go on: its ${name} ${path} is gone. Put it back as it was, or start a new run`);
  }
  if (hashFile(path) !== hash) {
    throw new UsageError(
      `run ${run.id} cannot go on: its ${name} ${path} changed since the run started (sha256 was ${hash.slice(0, 12)}…). ` +
        'Put the file back as it was to resume, or start a new run with the changed file',
    );
  }
}

/**
 * Takes a stored run up again: checks that its inputs are unchanged and that no other process has
 * it, then builds its engine from the latest committed snapshot (not started yet). A run killed
 * before its first commit starts from the beginning on its untouched workspace copy.
 */
export async function resumeRun(options: ResumeOptions): Promise<PreparedRun> {
  const store: RunStore = openStore(options.store ?? storePathFor(options.cwd, options.config));
  try {
    const run = store.run(options.run);
    if (!run) {
      const known = store.runs().slice(0, 5).map((summary) => summary.id);
      throw new UsageError(
        `there is no run "${options.run}" in ${store.path}` + (known.length ? ` (latest: ${known.join(', ')}; \`clutch runs\` lists them all)` : ' (it has no runs yet)'),
      );
    }
    // A run begun from a request has its track file once its plan is approved; before, it is still planning.
    const request = run.options.request;
    const planning = request !== undefined && run.track_hash === '';
    if (!planning) checkUnchanged(run, 'track', run.track_path, run.track_hash);
    checkUnchanged(run, 'config', run.config_path, run.config_hash);
    if (!existsSync(run.workspace)) {
      throw new UsageError(`run ${run.id} cannot go on: its workspace copy ${run.workspace} is gone`);
    }
    // The run's own --model and --script come applied, as they were when it started.
    const given = {
      cwd: options.cwd,
      config: run.config_path,
      workspace: run.workspace,
      ...(run.options.model ? { model: run.options.model } : {}),
      ...(run.options.script ? { script: run.options.script } : {}),
      ...(run.options.replay ? { replay: run.options.replay } : {}),
    };
    const inputs = planning ? loadRequestInputs({ ...given, request: request! }) : loadInputs({ ...given, track: run.track_path });
    // A crash between a write's temp file and its rename leaves the temp file: not part of the work.
    removeStrayTempFilesOfRun({ runDir: run.run_dir, workspace: run.workspace });
    const workspaces =
      run.options.isolation === 'worktree'
        ? runWorkspaces({ id: run.id, runDir: run.run_dir, workspace: run.workspace }, { create: false, ...(options.env ? { env: options.env } : {}) })
        : undefined;
    const config = inputs.config;
    const { track } = inputs;
    const { modelFor, clock } = await modelsOf({
      cwd: options.cwd,
      config,
      track,
      options: { ...run.options, ...(options.env ? { env: options.env } : {}), ...pick(options) },
    });
    let log;
    try {
      log = store.openRun(run.id);
    } catch (error) {
      if (error instanceof StoreError) throw new UsageError(error.message, { cause: error });
      throw error;
    }
    let snapshot: Snapshot<unknown> | undefined;
    try {
      snapshot = log.snapshot() as Snapshot<unknown> | undefined;
    } catch (error) {
      log.release();
      throw new UsageError(`${store.path}: the saved state of run ${run.id} cannot be read (${errorText(error)}); nothing was changed`, { cause: error });
    }
    const engine = new Engine({
      config,
      track,
      workspace: run.workspace,
      runDir: run.run_dir,
      modelFor,
      log,
      ...(workspaces ? { workspaces } : {}),
      ...(request !== undefined ? { request: { text: request, sourceWorkspace: run.source_workspace } } : {}),
      ...(options.env ? { secrets: secretsOf(options.env) } : {}),
      ...(snapshot ? { snapshot } : {}),
      ...(!snapshot && run.options.mode ? { mode: run.options.mode } : {}),
      ...(!snapshot && run.options.trust ? { trustOverride: run.options.trust } : {}),
      ...(clock ? { now: clock.now, waitUntil: clock.waitUntil } : {}),
    });
    return {
      engine,
      config,
      track,
      run: { id: run.id, runDir: run.run_dir, workspace: run.workspace },
      modelFor,
      store,
      log,
      resumed: snapshot !== undefined,
      sourceWorkspace: run.source_workspace,
      close: closer(engine, store),
    };
  } catch (error) {
    store.close();
    throw error;
  }
}

function pick(options: ResumeOptions) {
  return {
    ...(options.chunkDelayMs !== undefined ? { chunkDelayMs: options.chunkDelayMs } : {}),
    ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
  };
}

/**
 * `--mode` and `--trust` on resume, as human commands (journaled like a click in the app). The
 * switch to --trust auto releases the approvals and result reviews that wait at the restored
 * pauses itself (each journaled as an auto approval, see the worker's tool cycle); the notes say
 * which. An interrupted command is never released: it waits for a human.
 */
export async function applyResumeFlags(engine: Engine, flags: { mode?: ExecutionMode; trust?: TrustLevel }): Promise<string[]> {
  if (flags.mode) engine.command({ kind: 'conductor' }, { type: 'conductor.set_mode', mode: flags.mode });
  if (!flags.trust) return [];
  const waiting = flags.trust === 'auto' ? waitingPauses(engine) : [];
  engine.command({ kind: 'conductor' }, { type: 'conductor.set_trust_override', override: flags.trust });
  return waiting.map(({ ticket, kind }) => `${ticket}: approved the ${kind === 'review' ? 'result review' : 'tool call'} that was waiting`);
}

function waitingPauses(engine: Engine): { ticket: string; kind: 'approval' | 'review' }[] {
  return engine.options.track.tickets.flatMap((ticket) => {
    const worker = engine.worker(ticket.id);
    const pause = worker ? pauseNow(worker.getSnapshot()) : null;
    return pause && (pause.kind === 'approval' || pause.kind === 'review') ? [{ ticket: ticket.id, kind: pause.kind }] : [];
  });
}
