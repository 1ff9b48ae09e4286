import { RUN_SWITCH_CLOSE, type Batch, type ClientMessage, type Reply, type ServerMessage, type SessionInfo, type TestRunProgress } from '../protocol/wire.js';
import type { Call, ClutchClient, ConnectionState } from './client.js';
import { JournalLog } from './journal-log.js';
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

/** A call sent and not answered yet. */
interface Pending {
  resolve(reply: Reply): void;
  progress?: (event: TestRunProgress) => void;
}

/**
 * The WebSocket client. It reconnects on its own (the server resends everything on a new
 * connection), and turns each call into a promise of the server's one reply to it.
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
  const journal = new JournalLog();
  const pending = new Map<string, Pending>();
  let socket: WebSocket | null = null;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let nextId = 1;

  function apply(batch: Batch): void {
    // Views first: a reply's handler then reads the state the call produced; a run's progress before its reply.
    actors.apply(batch.actors, batch.removed);
    timeline.apply(batch.timeline);
    journal.apply(batch.journal);
    for (const event of batch.test_runs) pending.get(event.id)?.progress?.(event);
    for (const reply of batch.replies) {
      pending.get(reply.id)?.resolve(reply);
      pending.delete(reply.id);
    }
  }

  function receive(message: ServerMessage): void {
    switch (message.type) {
      case 'hello':
        session.set(message.session);
        actors.expectFullBatch();
        timeline.expectFullBatch();
        journal.expectFullBatch();
        return;
      case 'batch':
        return apply(message);
      case 'error':
        serverError.set(message.error);
        return;
    }
  }

  function failPending(error: string): void {
    const calls = [...pending];
    pending.clear();
    for (const [id, call] of calls) call.resolve({ id, ok: false, error });
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

  const call: Call = (type, params, onProgress) => {
    const id = `c${nextId++}`;
    if (!socket || socket.readyState !== Socket.OPEN) return Promise.resolve({ id, ok: false, error: 'not connected to the server' });
    const message = { type, id, ...params } as ClientMessage;
    const sent = socket;
    return new Promise((resolve) => {
      pending.set(id, { resolve: resolve as (reply: Reply) => void, ...(onProgress ? { progress: onProgress } : {}) });
      sent.send(JSON.stringify(message));
    });
  };

  open();

  return {
    session,
    connection,
    serverError,
    actors,
    timeline,
    journal,
    call,
    close(): void {
      closed = true;
      clearTimeout(timer);
      socket?.close();
      failPending('the client was closed');
    },
  };
}
