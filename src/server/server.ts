import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Engine } from '../actors/engine.js';
import { RUN_SWITCH_CLOSE, type RunListEntry, type SessionInfo } from '../protocol/wire.js';
import type { StartRequestParams, StartRunParams, TrackFileList } from '../protocol/workbench.js';
import { checkAccess, newToken, tokenChecker } from './auth.js';
import type { Clock } from './clock.js';
import { createRequestHandler, refuseUpgrade, requestUrl } from './http.js';
import { Hub } from './hub.js';
import { MAX_MESSAGE_BYTES } from './inbound.js';
import { errorMessage, type RunHost } from './run-host.js';
import type { Timeline } from './timeline.js';

/** A run the server serves: its engine (started), what the UI is told about it, and how to let it go. */
export interface ServedRun {
  engine: Engine;
  session: SessionInfo;
  /** The inspector's timeline; the engine's own (timelineOf) unless given. */
  timeline?: Timeline;
  /** Stops the engine and lets go of the run; its state is already durable. */
  close(): Promise<void>;
}

/** The run store behind the Runs tab: how to list its runs and open one to serve. */
export interface RunSessions {
  /** Every run, newest first. */
  list(): readonly RunListEntry[];
  /** Opens a stored run, its engine started; rejects (a UsageError) with the reason it cannot. */
  open(runId: string): Promise<ServedRun>;
  /** The track files a new run may start from; without it `tracks` and `startRun` are refused. */
  tracks?(): Promise<TrackFileList>;
  /** Starts a new run of a listed track file, its engine started; rejects (a UsageError) with the reason it cannot. */
  start?(params: StartRunParams): Promise<ServedRun>;
  /** Starts a new run from a request on the served workspace, its engine started (planning). */
  startRequest?(params: StartRequestParams): Promise<ServedRun>;
  /** Lets go of what the list holds open; the server calls it on close(). */
  close?(): void;
}

export interface ServerOptions {
  /** The run served first: its engine (started by the caller) and session. */
  engine: Engine;
  session: SessionInfo;
  /** The inspector's timeline of the first run; the engine's own (timelineOf) unless given. */
  timeline?: Timeline;
  /**
   * Lets the app list the store's runs and switch to one. Without it the Runs calls are
   * refused and the server serves its first run only.
   */
  runs?: RunSessions;
  /**
   * Lets go of the first run when the server switches away from it. The first run stays the
   * caller's otherwise (close() leaves it running); runs the server opened itself it closes.
   */
  closeSession?: () => Promise<void>;
  /** Where the server reports what it did on its own (a switch, a run that failed to close). */
  log?: (line: string) => void;
  /** 0 (the default) takes a free port. */
  port?: number;
  /** Tried when `port` is not given: the port the last server used, say. Taken, a free port is used instead. */
  preferredPort?: number;
  /** 32 random bytes, hex, unless given. */
  token?: string;
  /** The built UI: index.html and its assets. */
  staticDir: string;
  batchIntervalMs?: number;
  clock?: Clock;
}

export interface RunningServer {
  /** The one URL to open: http://127.0.0.1:PORT/?token=TOKEN. */
  url: string;
  port: number;
  token: string;
  /** The hub of the run served now (a switch to another run replaces it). */
  readonly hub: Hub;
  close(): Promise<void>;
}

/** Frames above this close the socket (ws's own limit); frames above MAX_MESSAGE_BYTES get an error reply. */
const HARD_FRAME_LIMIT = 16 * 1024 * 1024;

function bufferOf(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

interface Current {
  hub: Hub;
  /** How to let this run go when the server switches away from it. */
  close: (() => Promise<void>) | undefined;
  /** Whether the server opened it (and so closes it on close()). */
  owned: boolean;
}

/** Serves the UI and its socket on 127.0.0.1 only; everything needs the token and a loopback Host. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const token = options.token ?? newToken();
  const tokenMatches = tokenChecker(token);
  const log = options.log ?? (() => {});
  let opening: string | undefined;
  let closing: Promise<void> | undefined;
  /** A run being opened or let go on the way out: close() waits for it, so nothing is left open. */
  let inFlight: Promise<unknown> = Promise.resolve();
  const host: RunHost | undefined = options.runs ? runHost(options.runs) : undefined;
  const hubFor = (run: { engine: Engine; session: SessionInfo; timeline?: Timeline | undefined }) =>
    new Hub(run.engine, run.session, {
      ...(options.batchIntervalMs !== undefined ? { intervalMs: options.batchIntervalMs } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(run.timeline ? { timeline: run.timeline } : {}),
      ...(host ? { runs: host } : {}),
    });
  let current: Current = { hub: hubFor(options), close: options.closeSession, owned: false };
  let port = 0;
  const server = createServer(createRequestHandler({ staticDir: options.staticDir, token, tokenMatches, port: () => port }));
  const sockets = new WebSocketServer({ noServer: true, maxPayload: HARD_FRAME_LIMIT, perMessageDeflate: false });

  function runHost(runs: RunSessions): RunHost {
    return {
      list: () => runs.list().map(({ id, track, title, status, completed, total, created, updated }) => ({ id, track, title, status, completed, total, created, updated })),
      open: async (runId) => (await switchTo(`run ${runId}`, () => runs.open(runId))).activate,
      tracks() {
        if (!runs.tracks) throw new Error('this server cannot list track files');
        return runs.tracks();
      },
      async start(params) {
        const start = runs.start?.bind(runs);
        if (!start) throw new Error('this server cannot start a run');
        const { run, activate } = await switchTo(`a new run of ${params.track}`, () => start(params));
        return { run: run.session.run_id, activate };
      },
      async startRequest(params) {
        const start = runs.startRequest?.bind(runs);
        if (!start) throw new Error('this server cannot start a run from a request');
        const { run, activate } = await switchTo('a new run of the request', () => start(params));
        return { run: run.session.run_id, activate };
      },
    };

    /** Gets a run ready while the current one goes on; `activate` then serves it. */
    async function switchTo(what: string, prepare: () => Promise<ServedRun>): Promise<{ run: ServedRun; activate: () => void }> {
      if (closing) throw new Error('the server is shutting down');
      // One switch at a time: two at once would each close the other's run.
      if (opening !== undefined) throw new Error(`${opening} is being opened; try again once it is open`);
      opening = what;
      const ready = (async () => {
        const next = await prepare();
        try {
          if (closing) throw new Error('the server is shutting down');
          // Its hub is built now, so that nothing is left to fail once the switch has been promised.
          return { run: next, hub: hubFor(next) };
        } catch (error) {
          await next.close();
          throw error;
        }
      })();
      inFlight = ready.catch(() => {});
      try {
        const next = await ready;
        return { run: next.run, activate: () => activate(next.run, next.hub) };
      } catch (error) {
        opening = undefined;
        throw error;
      }
    }
  }

  /** Serves `next` from now on: the old run's sockets close with RUN_SWITCH_CLOSE and reconnect into it. */
  function activate(next: ServedRun, hub: Hub): void {
    opening = undefined;
    if (closing) {
      hub.close();
      inFlight = next.close().catch((error: unknown) => log(`run ${next.session.run_id} did not close cleanly: ${errorMessage(error)}`));
      return;
    }
    const previous = current;
    current = { hub, close: next.close, owned: true };
    previous.hub.close();
    // A socket stays bound to the run it opened on, so a click meant for the old run can never
    // reach the new one: each is closed, and the page reconnects into the new run.
    for (const ws of sockets.clients) ws.close(RUN_SWITCH_CLOSE, 'the server opened another run');
    log(`switched to run ${next.session.run_id}`);
    inFlight = previous.close?.().catch((error: unknown) => log(`run ${previous.hub.session.run_id} did not close cleanly: ${errorMessage(error)}`)) ?? Promise.resolve();
  }

  server.on('upgrade', (request, socket, head) => {
    socket.on('error', () => socket.destroy());
    const url = requestUrl(request);
    if (!url || url.pathname !== '/ws') return refuseUpgrade(socket, 404, 'not found');
    const access = checkAccess(request, url, { port, tokenMatches, upgrade: true });
    if (!access.ok) return refuseUpgrade(socket, access.status, access.reason);
    sockets.handleUpgrade(request, socket, head, (ws) => attach(ws));
  });

  function attach(ws: WebSocket): void {
    const client = current.hub.connect({
      send: (data) => ws.send(data),
      bufferedAmount: () => ws.bufferedAmount,
      // Stops reading the socket: its client then waits in TCP, not in the server's memory.
      pause: () => ws.pause(),
      resume: () => ws.resume(),
    });
    ws.on('message', (data) => {
      const buffer = bufferOf(data);
      // An oversize frame is refused by its size; there is no point decoding it.
      client.receive(buffer.length > MAX_MESSAGE_BYTES ? '' : buffer.toString('utf8'), buffer.length);
    });
    ws.on('close', () => client.disconnect());
    ws.on('error', () => ws.terminate());
  }

  const listen = (on: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(on, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  try {
    if (options.port === undefined && options.preferredPort !== undefined) {
      // The last port, so that open tabs reconnect; taken by something else, any free one.
      await listen(options.preferredPort).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EADDRINUSE' && error.code !== 'EACCES') throw error;
        return listen(0);
      });
    } else {
      await listen(options.port ?? 0);
    }
  } catch (error) {
    // Nothing is served: the hub lets go of the engine it follows.
    current.hub.close();
    sockets.close();
    throw error;
  }
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    get hub() {
      return current.hub;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        const { hub } = current;
        hub.close();
        // The test paths' thread and its scratch folder go before close() resolves.
        const testPaths = hub.testPaths.close();
        for (const ws of sockets.clients) ws.close(1001, 'server shutting down');
        sockets.close();
        server.close(() => void testPaths.then(() => resolve()));
        server.closeAllConnections();
        // Sockets that do not finish the closing handshake promptly are cut.
        setTimeout(() => {
          for (const ws of sockets.clients) ws.terminate();
        }, 500).unref();
      }).then(async () => {
        await inFlight;
        options.runs?.close?.();
        if (current.owned) await current.close?.();
      });
      return closing;
    },
  };
}
