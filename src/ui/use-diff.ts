import { useCallback, useEffect, useRef, useState } from 'react';
import type { DiffView, Reply } from '../protocol/wire.js';
import { useClient, useStore } from './hooks.js';
import { OneAtATime } from './one-at-a-time.js';

/** A diff as the page holds it: asked, answered, or refused (a shared run, a ticket the track lacks…). */
export type DiffState =
  | { state: 'loading' }
  | { state: 'ok'; diff: DiffView; at: number }
  | { state: 'refused'; error: string };

export interface Diff {
  /** The last answer (kept while a newer one is asked, so the patch does not flash away). */
  shown: DiffState;
  /** A newer answer is on its way. */
  refreshing: boolean;
  refresh: () => void;
}

/**
 * One ticket's diff (`ticket` set) or the run's whole diff (`ticket` null), with the `diff` call:
 * asked when shown, again whenever `changes` changes (the ticket's status, attempt, tool results),
 * on refresh(), on a reconnect and when the server opens another run. An answer to a question
 * that is no longer the one shown is dropped.
 *
 * One call at a time: a question asked while another is on its way waits for it, and is not sent
 * at all when a newer one came meanwhile. Changes in quick succession (a worker's tool results)
 * make one call each at most, never a pile of git diffs of the same worktree at once.
 */
export function useDiff(ticket: string | null, changes: string): Diff {
  const client = useClient();
  const connection = useStore(client.connection);
  const runId = useStore(client.session)?.run_id ?? null;
  const ready = connection.state === 'open' || connection.state === 'static';
  const [asked, setAsked] = useState(0);
  const subject = `${runId ?? ''}\n${ticket ?? ''}`;
  const [answer, setAnswer] = useState<{ subject: string; shown: DiffState; version: string } | null>(null);
  const version = `${subject}\n${changes}\n${asked}`;
  const calls = useRef<OneAtATime<Reply<DiffView>> | null>(null);
  calls.current ??= new OneAtATime();
  // Counts the times the connection came back: a call sent before a drop is never shared after it.
  const connected = useRef({ ready, count: 0 });
  if (ready && !connected.current.ready) connected.current.count += 1;
  connected.current.ready = ready;
  const question = `${version}\n${connected.current.count}`;

  useEffect(() => {
    if (!ready) return;
    let current = true;
    void calls.current!.ask(question, () => client.call('diff', ticket === null ? {} : { ticket })).then((got) => {
      if (!current || got === null) return;
      const shown: DiffState = got.ok ? { state: 'ok', diff: got.value, at: Date.now() } : { state: 'refused', error: got.error };
      setAnswer({ subject, shown, version });
    });
    return () => {
      current = false;
    };
  }, [client, ticket, subject, version, question, ready]);

  const refresh = useCallback(() => setAsked((count) => count + 1), []);
  // An answer about another ticket or run is never shown for this one.
  const mine = answer && answer.subject === subject ? answer : null;
  return { shown: mine?.shown ?? { state: 'loading' }, refreshing: mine !== null && mine.version !== version && ready, refresh };
}
