import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatIssues, loadConfig } from '../config/index.js';
import { effectiveConfig } from '../runs/prepare-run.js';
import { defaultConfigPath, UsageError } from '../runs/load-inputs.js';
import { openStore } from '../runs/store-path.js';
import type { StartRequestParams, StartRunParams } from '../protocol/workbench.js';
import { errorText } from '../protocol/error-text.js';
import type { RunStore } from '../store/index.js';
import type { RunSessions, ServedRun } from './server.js';
import { createSession, type Session, type SessionOptions } from './session.js';
import { listTrackFiles, type TrackSearch } from './track-files.js';

export interface StoreRunsOptions {
  /** Relative paths resolve here, as for the first run; the track files of this folder are listed. */
  cwd: string;
  /** The agents.toml that names the store ([execution] store); the default one unless given. */
  config?: string;
  /** The model profile every agent of a new run is pointed at (serve's --model), if any. */
  model?: string;
  /** The script the scripted profile of a new run replays (serve's --script), if any. */
  script?: string;
  /** The store to list: the first run's (Session.storePath), so the list and open agree. */
  storePath: string;
  /** The workspace a new run begun from a request plans for (the first run's source workspace); none: no requests. */
  requestWorkspace?: string;
  /**
   * Called with each run opened or started, before its engine starts (to forward its inspection,
   * say); what it returns is undone when the run is let go.
   */
  beforeStart?: (session: Session) => (() => void) | undefined;
  log?: (line: string) => void;
}

/** The demo folder shipped with Clutch: its track files are offered beside the workspace's. */
export const demoDir = fileURLToPath(new URL('../../demo/', import.meta.url));

/**
 * The runs of one store for startServer: the Runs tab's list, a stored run opened to serve, the
 * track files of the folder, and a new run of one of them. Opening resumes the run from its last
 * committed snapshot (a finished one just shows as it ended), with the checks resume makes: an
 * unknown id, a changed track or config, or a run open in another live process is a UsageError
 * that says so, and nothing is started. A new run is prepared exactly as `clutch serve TRACK` does
 * it, in the same store.
 */
export function storeRuns(options: StoreRunsOptions): RunSessions {
  // One connection for the list, opened when first asked: opening one checks the whole file, which
  // is not a cost to pay on every refresh of the tab.
  let reader: RunStore | undefined;
  const config = options.config ? { config: options.config } : {};

  /** Starts the engine of a session got ready, and hands it over as a run to serve. */
  async function serve(session: Session, what: string): Promise<ServedRun> {
    const undo = options.beforeStart?.(session);
    try {
      session.engine.start();
    } catch (error) {
      undo?.();
      await session.close();
      throw error;
    }
    options.log?.(`${what} ${session.session.run_id} (run folder: ${session.runDir})`);
    return {
      engine: session.engine,
      session: session.session,
      timeline: session.timeline,
      async close() {
        undo?.();
        await session.close();
      },
    };
  }

  async function search(): Promise<TrackSearch> {
    const path = options.config ? resolve(options.cwd, options.config) : defaultConfigPath(options.cwd);
    const loaded = loadConfig(path);
    if (!loaded.ok) return { cwd: options.cwd, demoDir, config: { ok: false, error: formatIssues(loaded.errors) } };
    try {
      // With --model, the archetypes a track may name are those of the profile's configuration.
      const value = await effectiveConfig(loaded.value, options.model);
      return { cwd: options.cwd, demoDir, config: { ok: true, value } };
    } catch (error) {
      return { cwd: options.cwd, demoDir, config: { ok: false, error: errorText(error) } };
    }
  }

  return {
    list() {
      reader ??= openStore(options.storePath);
      return reader.runs();
    },
    close() {
      reader?.close();
      reader = undefined;
    },
    async open(runId): Promise<ServedRun> {
      return serve(await createSession({ cwd: options.cwd, ...config, resume: runId }), 'opened run');
    },
    async tracks() {
      return listTrackFiles(await search());
    },
    async startRequest(params: StartRequestParams): Promise<ServedRun> {
      // The workspace is the served run's, never one the client names.
      if (!options.requestWorkspace) throw new UsageError('this server has no workspace to plan a request for; start it with --workspace DIR or --track T');
      const session: SessionOptions = {
        cwd: options.cwd,
        ...config,
        track: '',
        request: params.request,
        workspace: options.requestWorkspace,
        mode: params.mode,
        ...(params.trust !== 'none' ? { trust: params.trust } : {}),
        ...(options.model ? { model: options.model } : {}),
        ...(options.script ? { script: options.script } : {}),
      };
      return serve(await createSession(session), 'started run (request)');
    },
    async start(params: StartRunParams): Promise<ServedRun> {
      // Only a file the list offers: a path of the client's own choosing is never read.
      const listed = (await listTrackFiles(await search())).files.find((file) => file.path === params.track);
      if (!listed) throw new UsageError(`${JSON.stringify(params.track)} is not one of the track files of this workspace or of demo/ (the tracks call lists them); nothing was started`);
      if (listed.error !== undefined) throw new UsageError(`${params.track} cannot be started:\n${listed.error}`);
      const session: SessionOptions = {
        cwd: options.cwd,
        ...config,
        track: listed.path,
        mode: params.mode,
        ...(params.trust !== 'none' ? { trust: params.trust } : {}),
        ...(options.model ? { model: options.model } : {}),
        ...(options.script ? { script: options.script } : {}),
      };
      return serve(await createSession(session), 'started run');
    },
  };
}
