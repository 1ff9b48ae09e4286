import { useSelector } from '@xstate/react';
import { createContext, useCallback, useContext, useState } from 'react';
import type { ActorView, Command, CommandTarget, Reply } from '../protocol/wire.js';
import type { ClutchClient } from './client.js';
import type { Store } from './store.js';

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

export type CommandState = { state: 'idle' } | { state: 'pending' } | { state: 'ok' } | { state: 'error'; error: string };

/**
 * Sends commands to one actor and keeps the outcome of the last one, for the control that sent
 * it. Each control has its own, so a slow reply never holds up another control.
 */
export function useCommand(target: CommandTarget): { status: CommandState; send: (command: Command) => Promise<Reply<null>> } {
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
  return { status, send };
}
