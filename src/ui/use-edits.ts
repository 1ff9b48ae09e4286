import { createContext, useCallback, useEffect, useState } from 'react';
import type { EditEntry } from '../protocol/workbench.js';
import type { WorkerView } from './views.js';
import { fromRecord, ofAttempt, type EditLike } from './edits.js';
import { useClient, useStore } from './hooks.js';

/** The ticket whose worker's transcript is shown (set by the page around the worker panel). */
export const TranscriptTicket = createContext<string | null>(null);

export interface TicketEdits {
  /** The current attempt's edits, oldest first. */
  edits: EditLike[];
  /** Where they were read: the run's journal (every edit), or the worker's view (its recent ones). */
  source: 'journal' | 'view';
  /** Why the journal could not be read, when it could not. */
  error: string | null;
  /** Reads the journal again (a mark opened). */
  refresh: () => void;
}

/** What changes when the worker's view gains an edit (the view keeps only the recent ones: not its length alone). */
function editsKey(worker: WorkerView | undefined): string {
  const edits = worker?.edits ?? [];
  const last = edits.at(-1);
  return `${worker?.attempt ?? 0}:${edits.length}:${last ? `${last.kind}:${last.toolUseId ?? ''}:${last.accepted}` : ''}`;
}

/**
 * The human's edits of a ticket's current attempt, from the journal with the `edits` call: asked
 * again whenever the worker's view gains one. Until the journal answers, or if it cannot (a
 * fixture), the edits the view carries.
 */
export function useTicketEdits(ticket: string | null, worker: WorkerView | undefined): TicketEdits {
  const client = useClient();
  const connection = useStore(client.connection);
  const ready = connection.state === 'open' || connection.state === 'static';
  const [journal, setJournal] = useState<{ ticket: string; entries: EditEntry[] } | { ticket: string; error: string } | null>(null);
  const [asked, setAsked] = useState(0);
  const key = editsKey(worker);
  const hasEdits = (worker?.edits.length ?? 0) > 0;
  useEffect(() => {
    if (!ticket || !ready || (!hasEdits && asked === 0)) return;
    let current = true;
    void client.call('edits', { ticket }).then((reply) => {
      if (!current) return;
      setJournal(reply.ok ? { ticket, entries: reply.value } : { ticket, error: reply.error });
    });
    return () => {
      current = false;
    };
  }, [client, ticket, ready, key, hasEdits, asked]);
  const refresh = useCallback(() => setAsked((count) => count + 1), []);
  const attempt = worker?.attempt ?? 1;
  const fromView = (worker?.edits ?? []).map(fromRecord);
  if (journal && journal.ticket === ticket && 'entries' in journal) {
    const logged = ofAttempt(journal.entries, attempt);
    // The journal answered before the view's newest edit was committed: the view's list is newer.
    if (logged.filter((edit) => edit.accepted).length >= fromView.filter((edit) => edit.accepted).length) return { edits: logged, source: 'journal', error: null, refresh };
  }
  return { edits: fromView, source: 'view', error: journal && journal.ticket === ticket && 'error' in journal ? journal.error : null, refresh };
}
