import type { TicketStatus } from '../../protocol/index.js';
import { useOffline } from '../hooks.js';
import { useDiff } from '../use-diff.js';
import { DiffPanel } from './PatchView.js';

/**
 * One ticket's change: its worktree branch, with what is not committed yet, against the commit it
 * started from. Asked again when the ticket's status or attempt changes and as its worker's tool
 * calls come back (`progress`), and on Refresh.
 */
export function TicketDiff(props: { ticket: string; status: TicketStatus; attempts: number; progress: number }) {
  const diff = useDiff(props.ticket, `${props.status}:${props.attempts}:${props.progress}`);
  const offline = useOffline();
  return (
    <DiffPanel
      title={`Diff of ${props.ticket}`}
      diff={diff}
      empty="No changes in this ticket's worktree yet."
      offline={offline}
      testId="ticket-diff"
      ticket={props.ticket}
    />
  );
}
