import type {
  ActorKind,
  ClientMessage,
  Command,
  CommandReply,
  CommandTarget,
  OpenRunMessage,
  RunsMessage,
  RunsReply,
  ServerMessage,
  SessionInfo,
  SnapshotAtMessage,
  SnapshotReply,
  TestPathRunMessage,
  TestPathsMessage,
  TestPathsReply,
  TestRunEvent,
} from '../protocol/wire.js';
import { RUN_SWITCH_CLOSE } from '../protocol/wire.js';
import type { ClutchClient, ConnectionState } from './client.js';
import { RemoteActors } from './remote-actors.js';
import { Store } from './store.js';
import { TimelineLog } from './timeline-log.js';

export interface LiveClientOptions {
  /** ws:// URL of the socket, token included. */
  url: string;
  /** For tests in Node; the browser's WebSocket by default. */
  WebSocket?: typeof WebSocket;
  /** Milliseconds before the first reconnection attempt; doubles up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
}

/** The socket URL for the page the app was loaded from: same host, /ws, the page's token. */
export function socketUrl(location: Pick<Location, 'protocol' | 'host' | 'search'>): string {
  const token = new URLSearchParams(location.search).get('token');
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

interface Pending {
  resolve: (reply: CommandReply) => void;
}

interface PendingSnapshot {
  resolve: (reply: SnapshotReply) => void;
}

/**
 * The WebSocket client. It reconnects on its own (the server resends everything on a new
 * connection), and turns each command into a promise of the server's reply.
 */
export function connectLive(options: LiveClientOptions): ClutchClient {
  const Socket = options.WebSocket ?? WebSocket;
  const retryMs = options.retryMs ?? 250;
  const maxRetryMs = options.maxRetryMs ?? 5000;
  const session = new Store<SessionInfo | null>(null);
  const connection = new Store<ConnectionState>({ state: 'connecting' });
  const serverError = new Store<string | null>(null);
  const actors = new RemoteActors();
  const timeline = new TimelineLog();
  const pending = new Map<string, Pending>();
  const pendingSnapshots = new Map<string, PendingSnapshot>();
  const pendingLists = new Map<string, { machine: ActorKind; resolve: (reply: TestPathsReply) => void }>();
  const runs = new Map<string, (event: TestRunEvent) => void>();
  const pendingRunLists = new Map<string, (reply: RunsReply) => void>();
  let socket: WebSocket | null = null;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let nextId = 1;

  function receive(message: ServerMessage): void {
    switch (message.type) {
      case 'hello':
        session.set(message.session);
        actors.expectFullBatch();
        timeline.expectFullBatch();
        return;
      case 'batch':
        // Views first: a reply's handler then reads the state the command produced.
        actors.apply(message.actors, message.removed);
        timeline.apply(message.timeline);
        for (const reply of message.replies) {
          pending.get(reply.id)?.resolve(reply);
          pending.delete(reply.id);
          // A snapshot_at the server could not even read is refused as a plain reply.
          pendingSnapshots.get(reply.id)?.resolve({ id: reply.id, ok: false, error: reply.error ?? 'refused' });
          pendingSnapshots.delete(reply.id);
          const list = pendingLists.get(reply.id);
          list?.resolve({ id: reply.id, ok: false, machine: list.machine, error: reply.error ?? 'refused' });
          pendingLists.delete(reply.id);
          runs.get(reply.id)?.({ id: reply.id, kind: 'refused', error: reply.error ?? 'refused' });
          runs.delete(reply.id);
          pendingRunLists.get(reply.id)?.({ id: reply.id, ok: false, error: reply.error ?? 'refused' });
          pendingRunLists.delete(reply.id);
        }
        for (const reply of message.runs ?? []) {
          pendingRunLists.get(reply.id)?.(reply);
          pendingRunLists.delete(reply.id);
        }
        for (const reply of message.test_paths ?? []) {
          pendingLists.get(reply.id)?.resolve(reply);
          pendingLists.delete(reply.id);
        }
        for (const event of message.test_runs ?? []) {
          runs.get(event.id)?.(event);
          if (event.kind === 'finished' || event.kind === 'refused') runs.delete(event.id);
        }
        for (const reply of message.snapshots ?? []) {
          pendingSnapshots.get(reply.id)?.resolve(reply);
          pendingSnapshots.delete(reply.id);
        }
        return;
      case 'error':
        serverError.set(message.error);
        return;
    }
  }

  function failPending(error: string): void {
    for (const [id, entry] of pending) entry.resolve({ id, ok: false, error });
    pending.clear();
    for (const [id, entry] of pendingSnapshots) entry.resolve({ id, ok: false, error });
    pendingSnapshots.clear();
    for (const [id, entry] of pendingLists) entry.resolve({ id, ok: false, machine: entry.machine, error });
    pendingLists.clear();
    for (const [id, listener] of runs) listener({ id, kind: 'refused', error });
    runs.clear();
    for (const [id, resolve] of pendingRunLists) resolve({ id, ok: false, error });
    pendingRunLists.clear();
  }

  function open(): void {
    const current = new Socket(options.url);
    socket = current;
    current.addEventListener('open', () => {
      attempt = 0;
      connection.set({ state: 'open' });
    });
    current.addEventListener('message', (event: MessageEvent) => {
      let message: ServerMessage;
      try {
        message = JSON.parse(String(event.data)) as ServerMessage;
      } catch {
        serverError.set('the server sent a message that is not JSON');
        return;
      }
      receive(message);
    });
    current.addEventListener('close', (event: CloseEvent) => {
      if (socket !== current) return;
      socket = null;
      if (event.code === RUN_SWITCH_CLOSE && !closed) {
        // The server serves another run now: reconnect at once, into its hello and full state.
        failPending('the server opened another run before it replied');
        attempt = 0;
        connection.set({ state: 'switching' });
        timer = setTimeout(open, 0);
        return;
      }
      failPending('the connection was lost before the server replied');
      if (closed) return;
      attempt += 1;
      connection.set({ state: 'reconnecting', attempt });
      timer = setTimeout(open, Math.min(maxRetryMs, retryMs * 2 ** (attempt - 1)));
    });
  }

  open();

  return {
    session,
    connection,
    serverError,
    actors,
    timeline,
    snapshotAt(actor: string, seq: number): Promise<SnapshotReply> {
      const id = `s${nextId++}`;
      if (!socket || socket.readyState !== Socket.OPEN) {
        return Promise.resolve({ id, ok: false, error: 'not connected to the server' });
      }
      const message: SnapshotAtMessage = { type: 'snapshot_at', id, actor, seq };
      return new Promise<SnapshotReply>((resolve) => {
        pendingSnapshots.set(id, { resolve });
        socket!.send(JSON.stringify(message));
      });
    },
    testPaths(machine: ActorKind): Promise<TestPathsReply> {
      const id = `l${nextId++}`;
      if (!socket || socket.readyState !== Socket.OPEN) {
        return Promise.resolve({ id, ok: false, machine, error: 'not connected to the server' });
      }
      const message: TestPathsMessage = { type: 'test_paths', id, machine };
      return new Promise<TestPathsReply>((resolve) => {
        pendingLists.set(id, { machine, resolve });
        socket!.send(JSON.stringify(message));
      });
    },
    runTestPath(machine: ActorKind, path: string, onEvent: (event: TestRunEvent) => void): void {
      const id = `r${nextId++}`;
      if (!socket || socket.readyState !== Socket.OPEN) {
        onEvent({ id, kind: 'refused', error: 'not connected to the server' });
        return;
      }
      const message: TestPathRunMessage = { type: 'test_path_run', id, machine, path };
      runs.set(id, onEvent);
      socket.send(JSON.stringify(message));
    },
    runs(): Promise<RunsReply> {
      const id = `n${nextId++}`;
      if (!socket || socket.readyState !== Socket.OPEN) return Promise.resolve({ id, ok: false, error: 'not connected to the server' });
      const message: RunsMessage = { type: 'runs', id };
      return new Promise<RunsReply>((resolve) => {
        pendingRunLists.set(id, resolve);
        socket!.send(JSON.stringify(message));
      });
    },
    openRun(run: string): Promise<CommandReply> {
      const id = `o${nextId++}`;
      if (!socket || socket.readyState !== Socket.OPEN) return Promise.resolve({ id, ok: false, error: 'not connected to the server' });
      const message: OpenRunMessage = { type: 'open_run', id, run };
      return new Promise<CommandReply>((resolve) => {
        pending.set(id, { resolve });
        socket!.send(JSON.stringify(message));
      });
    },
    send(target: CommandTarget, command: Command): Promise<CommandReply> {
      const id = `c${nextId++}`;
      if (!socket || socket.readyState !== Socket.OPEN) {
        return Promise.resolve({ id, ok: false, error: 'not connected to the server' });
      }
      const message: ClientMessage = { type: 'command', id, target, command };
      return new Promise<CommandReply>((resolve) => {
        pending.set(id, { resolve });
        socket!.send(JSON.stringify(message));
      });
    },
    close(): void {
      closed = true;
      clearTimeout(timer);
      socket?.close();
      failPending('the client was closed');
    },
  };
}
