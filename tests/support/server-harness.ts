import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { WebSocket } from 'ws';
import type { Engine } from '../../src/actors/engine.js';
import type {
  ActorView,
  BatchMessage,
  CallName,
  CallParams,
  CallValue,
  ClientMessage,
  Command,
  CommandTarget,
  Reply,
  RunList,
  ServerMessage,
  SessionInfo,
  TestRunProgress,
} from '../../src/protocol/wire.js';
import { pauseCommandTypes, workerKey } from '../../src/protocol/wire.js';
import { pauseOf, pauseRef } from '../../src/ui/pause.js';
import type { WorkerView } from '../../src/ui/views.js';
import { storeRuns } from '../../src/server/run-sessions.js';
import { createSession, type Session, type SessionOptions } from '../../src/server/session.js';
import { startServer, type RunningServer, type RunSessions } from '../../src/server/server.js';
import { tempDir } from './engine-harness.js';

export const SECRET_FILE_TEXT = 'top secret: this file is outside the UI folder';

export interface ServerHarness {
  /** The first run's engine and session (after a switch, server.hub has the current one's). */
  engine: Engine;
  session: SessionInfo;
  first: Session;
  server: RunningServer;
  root: string;
  staticDir: string;
  base: string;
  cleanup(): Promise<void>;
}

export interface TestServerOptions extends Partial<SessionOptions> {
  batchIntervalMs?: number;
  start?: boolean;
  /** The folder to work in (its run store may hold runs already); a new temp folder unless given. */
  root?: string;
  /** The Runs calls: true for the runs of the session's own store, or these. Refused without. */
  runs?: boolean | RunSessions;
}

/** A real session (the demo track unless told otherwise) in a temp folder, served with a tiny fake UI. */
export async function startTestServer(options: TestServerOptions = {}): Promise<ServerHarness> {
  const root = options.root ?? tempDir('clutch-server-');
  const staticDir = join(root, 'ui');
  mkdirSync(join(staticDir, 'assets'), { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Clutch</title><script type="module" src="./assets/app.js"></script>\n');
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log("clutch");\n');
  writeFileSync(join(staticDir, 'assets', 'app.css'), 'body { margin: 0 }\n');
  writeFileSync(join(root, 'secret.txt'), SECRET_FILE_TEXT);
  const { batchIntervalMs, start, root: _root, runs, ...sessionOptions } = options;
  const first = await createSession({ cwd: root, ...sessionOptions });
  const { engine, session } = first;
  if (start !== false) engine.start();
  const server = await startServer({
    engine,
    session,
    staticDir,
    ...(batchIntervalMs !== undefined ? { batchIntervalMs } : {}),
    ...(runs
      ? {
          runs: runs === true ? storeRuns({ cwd: root, storePath: first.storePath, ...(first.sourceWorkspace ? { requestWorkspace: first.sourceWorkspace } : {}) }) : runs,
          closeSession: first.close,
        }
      : {}),
  });
  return {
    engine,
    session,
    first,
    server,
    root,
    staticDir,
    base: `http://127.0.0.1:${server.port}`,
    cleanup: async () => {
      // Closes the run the server switched to, if any; then the first one (a no-op if already let go).
      await server.close();
      await first.close();
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

/** A socket client that keeps every message and the views as the UI would hold them. */
export class TestClient {
  readonly socket: WebSocket;
  readonly raw: string[] = [];
  readonly messages: ServerMessage[] = [];
  readonly views = new Map<string, ActorView>();
  /** The close code once the socket has closed (RUN_SWITCH_CLOSE when the server switched runs). */
  closeCode: number | undefined;
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
    socket.on('close', (code) => {
      this.closeCode = code;
      this.#wake();
    });
  }

  get batches(): BatchMessage[] {
    return this.messages.filter((message): message is BatchMessage => message.type === 'batch');
  }

  /** Every reply this client got, in order. */
  get replies(): Reply[] {
    return this.batches.flatMap((batch) => batch.replies);
  }

  /** The progress streamed for one runTestPath call, in order. */
  progress(id: string): TestRunProgress[] {
    return this.batches.flatMap((batch) => batch.test_runs).filter((event) => event.id === id);
  }

  reply(id: string): Reply | undefined {
    return this.replies.find((reply) => reply.id === id);
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

  /** Sends a call without waiting; returns its id. */
  send<Name extends CallName>(type: Name, params: CallParams<Name>): string {
    const id = `t${this.#nextId++}`;
    this.sendRaw(JSON.stringify({ type, id, ...params } as ClientMessage));
    return id;
  }

  /** Makes a call and resolves with the server's one reply to it. */
  async call<Name extends CallName>(type: Name, params: CallParams<Name>, timeoutMs = 10_000): Promise<Reply<CallValue<Name>>> {
    const id = this.send(type, params);
    await this.until(() => this.reply(id) !== undefined, `the reply to ${type} ${id}`, timeoutMs);
    return this.reply(id) as Reply<CallValue<Name>>;
  }

  /**
   * Sends a command and resolves with the server's reply to it. A pause command sent without its
   * pause names the one this client's view shows now, as the web app does.
   */
  command(target: CommandTarget, command: Command | Unnamed<Command>): Promise<Reply<null>> {
    return this.call('command', { target, command: this.named(target, command) });
  }

  /** The command as the web app would send it: a pause command names the pause this client sees. */
  named(target: CommandTarget, command: Command | Unnamed<Command>): Command {
    if (!pauseCommandTypes.has(command.type) || 'pause' in command) return command as Command;
    const view = target.kind === 'worker' ? this.views.get(workerKey(target.id)) : undefined;
    const pause = view ? pauseOf(view as ActorView<WorkerView>) : null;
    return { ...command, pause: pause ? pauseRef(pause) : { kind: 'approval', tool_use_id: 'none' } } as Command;
  }

  /** Asks for the store's runs. */
  runs(): Promise<Reply<RunList>> {
    return this.call('runs', {});
  }

  /** Asks the server to switch to a run; resolves with its reply. */
  openRun(run: string): Promise<Reply<null>> {
    return this.call('openRun', { run }, 30_000);
  }

  /** Resolves once the socket has closed. */
  closed(): Promise<void> {
    return this.until(() => this.socket.readyState === WebSocket.CLOSED, 'the socket to close');
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}

/** A command with its pause left for the client to fill in. */
export type Unnamed<C> = C extends { pause: unknown } ? Omit<C, 'pause'> : C;

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

const clutchBin = resolve(import.meta.dirname, '../../bin/clutch.js');

/** A `clutch` subprocess, its output kept. */
export interface ClutchProcess {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  /** Resolves with how it ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first match in stdout; rejects if the process ends first. */
  line(pattern: RegExp): Promise<RegExpMatchArray>;
  /** SIGKILLs it if it still runs, and waits for it to end. */
  kill(): Promise<void>;
}

/** Runs bin/clutch.js with these arguments in `cwd`; the environment is ours plus `env`, with no crash point unless given. */
export function spawnClutch(cwd: string, args: string[], env: Record<string, string> = {}): ClutchProcess {
  const { CLUTCH_TEST_CRASH_AT: _inherited, ...base } = process.env;
  const child = spawn(process.execPath, [clutchBin, ...args], { cwd, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  const waiters: (() => void)[] = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString('utf8');
    for (const wake of waiters) wake();
  });
  child.stderr!.on('data', (chunk: Buffer) => (output.stderr += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  let ended = false;
  void exited.then(() => {
    ended = true;
    for (const wake of waiters) wake();
  });
  return {
    child,
    output,
    exited,
    line(pattern) {
      return new Promise((done, fail) => {
        const check = () => {
          const match = output.stdout.match(pattern);
          if (match) done(match);
          else if (ended) fail(new Error(`clutch ${args.join(' ')} ended before printing ${pattern}: ${output.stderr}`));
        };
        waiters.push(check);
        check();
      });
    },
    async kill() {
      if (!ended) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The crash point that kills `clutch serve` right after the intent of its first run_command is committed. */
export const CRASH_AT_RUN_COMMAND = { CLUTCH_TEST_CRASH_AT: 'tool.intent:run_command' };

/**
 * Runs the demo with `clutch serve --trust auto` in `cwd` with the crash point at T1's run_command,
 * and waits for the process to kill itself. Returns how it ended and its output.
 */
export async function crashServe(cwd: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: ClutchProcess['output'] }> {
  const process = spawnClutch(cwd, ['serve', '--port', '0', '--trust', 'auto'], CRASH_AT_RUN_COMMAND);
  const ended = await process.exited;
  return { ...ended, output: process.output };
}
