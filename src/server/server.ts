import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Engine } from '../actors/engine.js';
import type { SessionInfo } from '../protocol/wire.js';
import { checkAccess, newToken, tokenChecker } from './auth.js';
import type { Clock } from './clock.js';
import { createRequestHandler, refuseUpgrade, requestUrl } from './http.js';
import { Hub } from './hub.js';
import { MAX_MESSAGE_BYTES } from './inbound.js';
import type { Timeline } from './timeline.js';

export interface ServerOptions {
  engine: Engine;
  session: SessionInfo;
  /** 0 (the default) takes a free port. */
  port?: number;
  /** 32 random bytes, hex, unless given. */
  token?: string;
  /** The built UI: index.html and its assets. */
  staticDir: string;
  batchIntervalMs?: number;
  clock?: Clock;
  /** The inspector's timeline; the engine's own (timelineOf) unless given. */
  timeline?: Timeline;
}

export interface RunningServer {
  /** The one URL to open: http://127.0.0.1:PORT/?token=TOKEN. */
  url: string;
  port: number;
  token: string;
  hub: Hub;
  close(): Promise<void>;
}

/** Frames above this close the socket (ws's own limit); frames above MAX_MESSAGE_BYTES get an error reply. */
const HARD_FRAME_LIMIT = 16 * 1024 * 1024;

function bufferOf(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Serves the UI and its socket on 127.0.0.1 only; everything needs the token and a loopback Host. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const token = options.token ?? newToken();
  const tokenMatches = tokenChecker(token);
  const hub = new Hub(options.engine, options.session, {
    ...(options.batchIntervalMs !== undefined ? { intervalMs: options.batchIntervalMs } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.timeline ? { timeline: options.timeline } : {}),
  });
  let port = 0;
  const server = createServer(createRequestHandler({ staticDir: options.staticDir, token, tokenMatches, port: () => port }));
  const sockets = new WebSocketServer({ noServer: true, maxPayload: HARD_FRAME_LIMIT, perMessageDeflate: false });

  server.on('upgrade', (request, socket, head) => {
    socket.on('error', () => socket.destroy());
    const url = requestUrl(request);
    if (!url || url.pathname !== '/ws') return refuseUpgrade(socket, 404, 'not found');
    const access = checkAccess(request, url, { port, tokenMatches, upgrade: true });
    if (!access.ok) return refuseUpgrade(socket, access.status, access.reason);
    sockets.handleUpgrade(request, socket, head, (ws) => attach(ws));
  });

  function attach(ws: WebSocket): void {
    const client = hub.connect({ send: (data) => ws.send(data), bufferedAmount: () => ws.bufferedAmount });
    ws.on('message', (data) => {
      const buffer = bufferOf(data);
      // An oversize frame is refused by its size; there is no point decoding it.
      client.receive(buffer.length > MAX_MESSAGE_BYTES ? '' : buffer.toString('utf8'), buffer.length);
    });
    ws.on('close', () => client.disconnect());
    ws.on('error', () => ws.terminate());
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    hub,
    close() {
      closing ??= new Promise<void>((resolve) => {
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
      });
      return closing;
    },
  };
}
