import type { TicketInfo } from '../../machines/schedule.js';
import type { TicketSummary } from '../../protocol/wire.js';
import { useView } from '../hooks.js';
import { pauseLabel, pauseOf } from '../pause.js';
import { ticketKey, workerKey } from '../../protocol/actor-keys.js';
import { statusLabel, type TicketView, type WorkerView } from '../views.js';
import { CommandButton } from './CommandButton.js';

/** One ticket on the board: its status from the conductor, its actions from its own actor. */
export function TicketNode(props: { ticket: TicketSummary; info: TicketInfo | undefined; selected: boolean; onSelect: () => void }) {
  const { ticket, info } = props;
  const view = useView<TicketView>(ticketKey(ticket.id));
  const worker = useView<WorkerView>(workerKey(ticket.id));
  const pause = pauseOf(worker);
  const status = info?.status ?? 'pending';
  const reason = info?.blocked_reason ?? view?.context.blocked_reason ?? null;
  const target = { kind: 'ticket', id: ticket.id } as const;
  const accepts = view?.accepts ?? [];
  return (
    <div
      className={`ticket-node status-${status}${props.selected ? ' selected' : ''}`}
      data-testid={`ticket-node-${ticket.id}`}
      data-status={status}
      role="button"
      tabIndex={0}
      aria-pressed={props.selected}
      aria-label={`ticket ${ticket.id}, ${statusLabel[status]}`}
      onClick={props.onSelect}
      onKeyDown={(event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          props.onSelect();
        }
      }}
    >
      <div className="ticket-head">
        <span className="ticket-id">{ticket.id}</span>
        <span className={`status-chip status-${status}`} data-testid={`ticket-status-${ticket.id}`}>
          {info?.skipped ? 'skipped' : pause?.kind === 'interrupted' ? 'interrupted' : statusLabel[status]}
        </span>
      </div>
      <div className="ticket-file" title={ticket.prompt}>{ticket.target_file}</div>
      <div className="ticket-meta">
        {ticket.worker_archetype}
        {info && info.attempts > 0 ? ` · attempt ${info.attempts}` : ''}
      </div>
      {pause && (
        <div className={`ticket-note paused pause-${pause.kind}`} data-testid={`ticket-pause-${ticket.id}`} data-pause={pause.kind}>
          {pauseLabel[pause.kind]} <code>{pause.call?.name}</code>
        </div>
      )}
      {status === 'pending' && ticket.dependencies.length > 0 && <div className="ticket-note">after {ticket.dependencies.join(', ')}</div>}
      {status === 'completed' && info?.summary && !info.skipped && (
        <div className="ticket-note done" title={info.summary}>
          {info.summary}
        </div>
      )}
      {status === 'blocked' && reason && (
        <div className="ticket-reason" data-testid={`ticket-reason-${ticket.id}`} title={reason}>
          {reason}
        </div>
      )}
      {accepts.length > 0 && (
        <div className="ticket-actions">
          <CommandButton target={target} command={{ type: 'ticket.retry' }} accepts={accepts} label="Retry" variant="primary" testId={`ticket-retry-${ticket.id}`} />
          <CommandButton target={target} command={{ type: 'ticket.skip' }} accepts={accepts} label="Skip" testId={`ticket-skip-${ticket.id}`} />
        </div>
      )}
    </div>
  );
}
