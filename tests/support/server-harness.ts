import { request as httpRequest } from 'node:http';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { Engine } from '../../src/actors/engine.js';
import type { ActorView, ClientMessage, CommandReply, ServerMessage, SessionInfo } from '../../src/protocol/wire.js';
import { createSession, type SessionOptions } from '../../src/server/session.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { tempDir } from './engine-harness.js';

export const SECRET_FILE_TEXT = 'top secret: this file is outside the UI folder';

export interface ServerHarness {
  engine: Engine;
  session: SessionInfo;
  server: RunningServer;
  root: string;
  staticDir: string;
  base: string;
  cleanup(): Promise<void>;
}

/** A real session (the demo track unless told otherwise) in a temp folder, served with a tiny fake UI. */
export async function startTestServer(options: Partial<SessionOptions> & { batchIntervalMs?: number; start?: boolean } = {}): Promise<ServerHarness> {
  const root = tempDir('clutch-server-');
  const staticDir = join(root, 'ui');
  mkdirSync(join(staticDir, 'assets'), { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Clutch</title><script type="module" src="./assets/app.js"></script>\n');
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log("clutch");\n');
  writeFileSync(join(staticDir, 'assets', 'app.css'), 'body { margin: 0 }\n');
  writeFileSync(join(root, 'secret.txt'), SECRET_FILE_TEXT);
  const { batchIntervalMs, start, ...sessionOptions } = options;
  const { engine, session } = await createSession({ cwd: root, ...sessionOptions });
  if (start !== false) engine.start();
  const server = await startServer({ engine, session, staticDir, ...(batchIntervalMs !== undefined ? { batchIntervalMs } : {}) });
  return {
    engine,
    session,
    server,
    root,
    staticDir,
    base: `http://127.0.0.1:${server.port}`,
    cleanup: async () => {
      await server.close();
      await engine.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An HTTP GET with exactly the path and headers given (fetch would normalize the path and refuse a Host). */
export function rawGet(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, method, headers: { Host: `127.0.0.1:${port}`, ...headers } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('error', reject);
    request.end();
  });
}

type Batch = Extract<ServerMessage, { type: 'batch' }>;

/** A socket client that keeps every message and the views as the UI would hold them. */
export class TestClient {
  readonly socket: WebSocket;
  readonly raw: string[] = [];
  readonly messages: ServerMessage[] = [];
  readonly views = new Map<string, ActorView>();
  #waiters: { check: () => boolean; resolve: () => void }[] = [];
  #nextId = 1;

  constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data) => {
      const text = String(data);
      this.raw.push(text);
      const message = JSON.parse(text) as ServerMessage;
      this.messages.push(message);
      if (message.type === 'batch') {
        for (const view of message.actors) this.views.set(view.key, view);
        for (const key of message.removed) this.views.delete(key);
      }
      this.#wake();
    });
    socket.on('close', () => this.#wake());
  }

  get batches(): Batch[] {
    return this.messages.filter((message): message is Batch => message.type === 'batch');
  }

  get replies(): CommandReply[] {
    return this.batches.flatMap((batch) => batch.replies);
  }

  #wake(): void {
    this.#waiters = this.#waiters.filter((waiter) => {
      if (!waiter.check()) return true;
      waiter.resolve();
      return false;
    });
  }

  /** Resolves once the check holds (checked now and after every message), or fails after the timeout. */
  until(check: () => boolean, what = 'condition', timeoutMs = 10_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; last views: ${JSON.stringify([...this.views.values()].map((view) => [view.key, view.value, view.accepts]))}`)), timeoutMs);
      this.#waiters.push({
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  view(key: string): ActorView | undefined {
    return this.views.get(key);
  }

  untilView(key: string, check: (view: ActorView) => boolean, what = key): Promise<ActorView> {
    return this.until(() => {
      const view = this.views.get(key);
      return view !== undefined && check(view);
    }, what).then(() => this.views.get(key)!);
  }

  sendRaw(data: string | Buffer): void {
    this.socket.send(data);
  }

  /** Sends a command and resolves with the server's reply to it. */
  async command(target: ClientMessage['target'], command: ClientMessage['command']): Promise<CommandReply> {
    const id = `t${this.#nextId++}`;
    this.sendRaw(JSON.stringify({ type: 'command', id, target, command } satisfies ClientMessage));
    await this.until(() => this.replies.some((reply) => reply.id === id), `reply ${id}`);
    return this.replies.find((reply) => reply.id === id)!;
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}

export interface Refusal {
  status: number;
  body: string;
}

/** Opens the socket; resolves with a client once open, or with the HTTP refusal. */
export function openSocket(
  port: number,
  options: { token?: string | null; origin?: string | null; host?: string; headers?: Record<string, string>; path?: string } = {},
  token?: string,
): Promise<TestClient | Refusal> {
  const query = options.token === null ? '' : `?token=${options.token ?? token ?? ''}`;
  const url = `ws://127.0.0.1:${port}${options.path ?? '/ws'}${query}`;
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.host) headers['Host'] = options.host;
  const socket = new WebSocket(url, {
    headers,
    ...(options.origin === null ? {} : { origin: options.origin ?? `http://127.0.0.1:${port}` }),
  });
  return new Promise((resolve, reject) => {
    // The client is built before the socket opens so that no early message is missed.
    const client = new TestClient(socket);
    socket.once('open', () => resolve(client));
    socket.once('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    socket.once('error', (error) => {
      if (socket.readyState !== WebSocket.OPEN) reject(error);
    });
  });
}

export async function connect(harness: ServerHarness): Promise<TestClient> {
  const result = await openSocket(harness.server.port, {}, harness.server.token);
  if (!(result instanceof TestClient)) throw new Error(`socket refused: ${result.status} ${result.body}`);
  return result;
}

/** Waits for hello and the first (full) batch. */
export async function connectSynced(harness: ServerHarness): Promise<TestClient> {
  const client = await connect(harness);
  await client.until(() => client.batches.length > 0, 'the first batch');
  return client;
}

export const pausedAtApproval = (view: ActorView) => JSON.stringify(view.value) === JSON.stringify({ toolCycle: { awaitingApproval: 'ready' } });
export const pausedAtReview = (view: ActorView) => JSON.stringify(view.value) === JSON.stringify({ toolCycle: 'reviewingResult' });
