import { useEffect, useRef } from 'react';
import { useCommand, useView } from '../hooks.js';
import { ticketKey } from '../../protocol/actor-keys.js';
import type { TicketView } from '../views.js';
import { CommandStatus } from './CommandStatus.js';

/**
 * Retry of a ticket whose earlier attempts changed files: a new attempt would start from their
 * half-made changes, so the human chooses. "Restore" puts the files the ticket wrote or edited
 * back as they were before the ticket; "Keep" starts from them as they are now.
 */
export function RetryDialog({ ticket, onClose }: { ticket: string; onClose: () => void }) {
  const view = useView<TicketView>(ticketKey(ticket));
  const { status, send } = useCommand({ kind: 'ticket', id: ticket });
  const first = useRef<HTMLButtonElement>(null);
  // The latest onClose, so the focus and the key handler are set up once, not at every render.
  const close = useRef(onClose);
  close.current = onClose;
  const files = view?.context.changed_files ?? [];
  const can = view?.accepts.includes('ticket.retry') ?? false;

  useEffect(() => {
    first.current?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') close.current();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const retry = async (files: 'restore' | 'keep') => {
    const reply = await send({ type: 'ticket.retry', files });
    if (reply.ok) onClose();
  };
  const busy = status.state === 'pending';

  return (
    <div className="dialog-backdrop" onClick={onClose}>
      <div
        className="dialog card retry-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="retry-dialog-title"
        data-testid="retry-dialog"
        data-ticket={ticket}
        onClick={(event) => event.stopPropagation()}
      >
        <h2 id="retry-dialog-title">Retry {ticket}</h2>
        <p>
          The earlier attempts changed {files.length === 1 ? 'this file' : `these ${files.length} files`}. A new attempt starts from the workspace as it
          is, half-made changes included, unless you restore them.
        </p>
        <ul className="retry-files" data-testid="retry-files">
          {files.map((file) => (
            <li key={file} data-testid="retry-file">
              <code>{file}</code>
            </li>
          ))}
        </ul>
        <p className="hint" data-testid="retry-commands-note">
          Only files written with write_file or edit_file are listed and restored. Commands the ticket ran (run_command) may have changed other files too.
        </p>
        {!can && <p className="inline-error">{ticket} cannot be retried now.</p>}
        <div className="actions">
          <button ref={first} type="button" className="button primary" data-testid="retry-restore" disabled={busy || !can} onClick={() => void retry('restore')}>
            Restore the ticket's files
          </button>
          <button type="button" className="button" data-testid="retry-keep" disabled={busy || !can} onClick={() => void retry('keep')}>
            Keep the changes
          </button>
          <button type="button" className="button link" data-testid="retry-cancel" onClick={onClose}>
            Cancel
          </button>
          <CommandStatus status={status} />
        </div>
      </div>
    </div>
  );
}
