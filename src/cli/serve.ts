import type { ExecutionMode, TrustLevel } from '../protocol/index.js';
import { ensureUiBuilt } from '../server/build-ui.js';
import { createSession } from '../server/session.js';
import { startServer } from '../server/server.js';
import { checkInspectorUrl, forwardInspection } from '../server/stately-forward.js';
import { UsageError } from './load-inputs.js';

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
  record?: string;
  replay?: string;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Resolves when the server should stop; SIGINT or SIGTERM by default. */
  until?: Promise<unknown>;
  /** Also forward every inspection event to this Stately inspector (ws:// URL). */
  inspectWs?: string;
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
  const { engine, session, runDir } = await createSession({
    cwd: options.cwd,
    ...(options.config ? { config: options.config } : {}),
    ...(options.track ? { track: options.track } : {}),
    ...(options.workspace ? { workspace: options.workspace } : {}),
    ...(options.mode ? { mode: options.mode } : {}),
    ...(options.trust ? { trust: options.trust } : {}),
    ...(options.model ? { model: options.model } : {}),
    ...(options.record ? { record: options.record } : {}),
    ...(options.replay ? { replay: options.replay } : {}),
  });
  let staticDir: string;
  try {
    staticDir = await ensureUiBuilt({ log });
  } catch (error) {
    await engine.stop();
    throw error;
  }
  const stop = options.until ? undefined : signalled();
  // Before the engine starts, so the inspector sees the run from its first event.
  const forwarder = inspectUrl?.ok ? forwardInspection(engine, { url: inspectUrl.url, log }) : undefined;
  engine.start();
  let server;
  try {
    server = await startServer({ engine, session, staticDir, ...(options.port !== undefined ? { port: options.port } : {}) });
  } catch (error) {
    stop?.dispose();
    forwarder?.stop();
    await engine.stop();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UsageError(`port ${options.port} is already in use`);
    throw error;
  }
  options.stdout.write(`Clutch is running: ${server.url}\n`);
  options.stdout.write(`model: ${session.model_label}\n`);
  options.stdout.write(`run folder: ${runDir}\n`);
  await (options.until ?? stop!.promise);
  stop?.dispose();
  await server.close();
  forwarder?.stop();
  await engine.stop();
  return 0;
}
