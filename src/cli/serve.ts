import type { ExecutionMode, TrustLevel } from '../protocol/index.js';
import { ensureUiBuilt } from '../server/build-ui.js';
import { readServeState, serveStateFile, writeServeState } from '../server/serve-state.js';
import { storeRuns } from '../server/run-sessions.js';
import { createSession, type Session } from '../server/session.js';
import { startServer } from '../server/server.js';
import { checkInspectorUrl, forwardInspection } from '../server/stately-forward.js';
import { UsageError } from '../runs/load-inputs.js';
import { applyResumeFlags } from '../runs/resume-run.js';

export interface ServeOptions {
  cwd: string;
  config?: string;
  /** The package's demo track unless given. */
  track?: string;
  workspace?: string;
  port?: number;
  mode?: ExecutionMode;
  trust?: TrustLevel;
  model?: string;
  /** The scripted profile replays this script instead of its own. */
  script?: string;
  record?: string;
  replay?: string;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Resolves when the server should stop; SIGINT or SIGTERM by default. */
  until?: Promise<unknown>;
  /** Also forward every inspection event to this Stately inspector (ws:// URL). */
  inspectWs?: string;
  /** Goes on with this stored run (`clutch runs` lists them). */
  resume?: string;
}

export function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535 (got "${value}")`);
  return port;
}

function signalled(): { promise: Promise<string>; dispose(): void } {
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const promise = new Promise<string>((resolve) => {
    onSignal = (signal) => resolve(signal);
  });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    promise,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/**
 * `clutch serve`: the web app. The engine starts before the server listens, so a step-mode run
 * already waits at its first pause when the page opens. Runs until SIGINT/SIGTERM.
 */
export async function serveCommand(options: ServeOptions): Promise<number> {
  const log = (line: string) => options.stderr.write(`${line}\n`);
  const inspectUrl = options.inspectWs === undefined ? undefined : checkInspectorUrl(options.inspectWs);
  if (inspectUrl && !inspectUrl.ok) throw new UsageError(inspectUrl.error);
  // Inputs first: a typo in a flag is reported at once, not after a build of the UI.
  if (options.resume && (options.track || options.workspace || options.model || options.script || options.record || options.replay)) {
    throw new UsageError('--resume goes on with the run as it was started: --track, --workspace, --model, --script, --record and --replay cannot change it');
  }
  const prepared = await createSession({
    cwd: options.cwd,
    ...(options.config ? { config: options.config } : {}),
    ...(options.track ? { track: options.track } : {}),
    ...(options.workspace ? { workspace: options.workspace } : {}),
    ...(options.mode ? { mode: options.mode } : {}),
    ...(options.trust ? { trust: options.trust } : {}),
    ...(options.model ? { model: options.model } : {}),
    ...(options.script ? { script: options.script } : {}),
    ...(options.record ? { record: options.record } : {}),
    ...(options.replay ? { replay: options.replay } : {}),
    ...(options.resume ? { resume: options.resume } : {}),
  });
  const { engine, session, runDir } = prepared;
  let staticDir: string;
  try {
    staticDir = await ensureUiBuilt({ log });
  } catch (error) {
    await prepared.close();
    throw error;
  }
  const stop = options.until ? undefined : signalled();
  // Before the engine starts, so the inspector sees the run from its first event.
  const forward = (run: Session) => {
    if (!inspectUrl?.ok) return undefined;
    const forwarder = forwardInspection(run.engine, { url: inspectUrl.url, log });
    let stopped = false;
    return () => {
      if (!stopped) forwarder.stop();
      stopped = true;
    };
  };
  const stopForwarding = forward(prepared);
  // The first run is let go when the app switches to another one, or on the way out.
  const closeFirst = async () => {
    stopForwarding?.();
    await prepared.close();
  };
  engine.start();
  if (prepared.resumed) {
    for (const note of await applyResumeFlags(engine, { ...(options.mode ? { mode: options.mode } : {}), ...(options.trust ? { trust: options.trust } : {}) })) log(note);
  }
  // Without --port, the port of the last start if it is free, and its token: open tabs reconnect to a restarted server.
  const stateFile = serveStateFile(prepared.storePath);
  const last = readServeState(stateFile);
  if (last.note) log(last.note);
  let server;
  try {
    server = await startServer({
      engine,
      session,
      timeline: prepared.timeline,
      staticDir,
      // The Runs tab: the runs of this run's store, each opened the way --resume opens it.
      runs: storeRuns({
        cwd: options.cwd,
        ...(options.config ? { config: options.config } : {}),
        ...(options.model ? { model: options.model } : {}),
        ...(options.script ? { script: options.script } : {}),
        storePath: prepared.storePath,
        ...(prepared.sourceWorkspace ? { requestWorkspace: prepared.sourceWorkspace } : {}),
        beforeStart: forward,
        log,
      }),
      closeSession: closeFirst,
      log,
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.port === undefined && last.port !== undefined ? { preferredPort: last.port } : {}),
      ...(last.token !== undefined ? { token: last.token } : {}),
    });
  } catch (error) {
    stop?.dispose();
    await closeFirst();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UsageError(`port ${options.port} is already in use`);
    throw error;
  }
  const unrecorded = writeServeState(stateFile, { port: server.port, token: server.token });
  if (unrecorded) log(unrecorded);
  options.stdout.write(`Clutch is running: ${server.url}\n`);
  options.stdout.write(`model: ${session.model_label}\n`);
  options.stdout.write(`run folder: ${runDir}\n`);
  options.stdout.write(`${prepared.resumed ? 'resumed run' : 'run'} id: ${session.run_id}\n`);
  await (options.until ?? stop!.promise);
  stop?.dispose();
  // Closes the run the app switched to, if it did; the first run goes after it.
  await server.close();
  await closeFirst();
  return 0;
}
