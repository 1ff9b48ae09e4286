import { useSelector } from '@xstate/react';
import { createContext, useCallback, useContext, useRef, useState, useSyncExternalStore } from 'react';
import { workerKey } from '../protocol/actor-keys.js';
import type { ActorView, Command, CommandTarget, Reply } from '../protocol/wire.js';
import type { ClutchClient, ConnectionState } from './client.js';
import { pauseOf, type Waiting } from './pause.js';
import type { Store } from './store.js';
import type { WorkerView } from './views.js';

export const ClientContext = createContext<ClutchClient | null>(null);

export function useClient(): ClutchClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('useClient() outside <ClientContext.Provider>');
  return client;
}

const identity = <T,>(value: T): T => value;

export function useStore<T>(store: Store<T>): T {
  return useSelector(store, identity<T>);
}

/** The latest view the server pushed for an actor key, or null. */
export function useView<Context>(key: string): ActorView<Context> | null {
  const client = useClient();
  return useSelector(client.actors.ref<Context>(key), (snapshot) => snapshot.view);
}

/**
 * Why no command can be sent now, or null when one can: with the socket closed a button would only
 * be refused, so it is disabled and says why. A fixture (static) page records what it is sent.
 */
export function offlineReason(connection: ConnectionState): string | null {
  switch (connection.state) {
    case 'open':
    case 'static':
      return null;
    case 'connecting':
      return 'Not connected to the server yet';
    case 'reconnecting':
      return `The server is gone: reconnecting (attempt ${connection.attempt})…`;
    case 'switching':
      return 'The server is opening another run';
  }
}

export function useOffline(): string | null {
  return offlineReason(useStore(useClient().connection));
}

/** A worker that waits for a human now, with the view it was read from. */
export type PendingPause = Waiting;

/** Every worker of these tickets that waits at a pause now, in the tickets' order; updated live. */
export function usePendingPauses(tickets: readonly string[]): PendingPause[] {
  const client = useClient();
  const joined = tickets.join('\n');
  const cache = useRef<{ joined: string; views: (ActorView | null)[]; pending: PendingPause[] } | null>(null);
  const subscribe = useCallback(
    (onChange: () => void) => {
      const subscriptions = (joined === '' ? [] : joined.split('\n')).map((id) => client.actors.ref(workerKey(id)).subscribe(onChange));
      return () => subscriptions.forEach((subscription) => subscription.unsubscribe());
    },
    [client, joined],
  );
  const read = useCallback((): PendingPause[] => {
    const ids = joined === '' ? [] : joined.split('\n');
    const views = ids.map((id) => client.actors.view<WorkerView>(workerKey(id)));
    const last = cache.current;
    // The same views give the same array, as useSyncExternalStore needs.
    if (last && last.joined === joined && last.views.length === views.length && last.views.every((view, index) => view === views[index])) return last.pending;
    const pending: PendingPause[] = [];
    views.forEach((view, index) => {
      const pause = pauseOf(view);
      if (view && pause) pending.push({ ticket: ids[index]!, view, pause });
    });
    cache.current = { joined, views, pending };
    return pending;
  }, [client, joined]);
  return useSyncExternalStore(subscribe, read, read);
}

export type CommandState = { state: 'idle' } | { state: 'pending' } | { state: 'ok' } | { state: 'error'; error: string };

/**
 * Sends commands to one actor and keeps the outcome of the last one, for the control that sent
 * it. Each control has its own, so a slow reply never holds up another control.
 */
export function useCommand(target: CommandTarget): {
  status: CommandState;
  send: (command: Command) => Promise<Reply<null>>;
  /** Shows an outcome that needed no round trip (a command not sent, and why). */
  setStatus: (status: CommandState) => void;
} {
  const client = useClient();
  const [status, setStatus] = useState<CommandState>({ state: 'idle' });
  const targetKey = JSON.stringify(target);
  const send = useCallback(
    async (command: Command) => {
      setStatus({ state: 'pending' });
      const reply = await client.call('command', { target: JSON.parse(targetKey) as CommandTarget, command });
      setStatus(reply.ok ? { state: 'ok' } : { state: 'error', error: reply.error });
      return reply;
    },
    [client, targetKey],
  );
  return { status, send, setStatus };
}
