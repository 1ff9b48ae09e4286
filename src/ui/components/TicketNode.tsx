import type { TicketInfo } from '../../machines/schedule.js';
import type { TicketSummary } from '../../protocol/wire.js';
import { durationText, type ActivityItem, type TicketSpan } from '../activity.js';
import { useView } from '../hooks.js';
import { conflictFilesOf } from '../patch.js';
import { pauseLabel, pauseOf } from '../pause.js';
import { ticketKey, workerKey } from '../../protocol/actor-keys.js';
import { statusLabel, type TicketView, type WorkerView } from '../views.js';
import { CommandButton } from './CommandButton.js';
import { reviewerOf } from '../agents.js';
import { reviewStageOf } from '../review.js';
import { stopText } from '../budget.js';

/** How long the latest attempt has been at work, or took; nothing when its start is not known. */
function spanText(span: TicketSpan | undefined, now: number | null): string | null {
  if (!span) return null;
  if (span.end !== null) return durationText(span.end - span.start);
  return now === null ? null : durationText(now - span.start);
}

/**
 * One ticket on the board: its status from the conductor, its actions from its own actor, its
 * running time and the call it runs now from the journal. Retry asks first what to do with the
 * files the earlier attempts changed, when there are any (onRetry opens that dialog).
 */
export function TicketNode(props: {
  ticket: TicketSummary;
  info: TicketInfo | undefined;
  selected: boolean;
  onSelect: () => void;
  onRetry: () => void;
  span?: TicketSpan | undefined;
  tool?: Extract<ActivityItem, { kind: 'tool' }> | undefined;
  now?: number | null;
}) {
  const { ticket, info } = props;
  const view = useView<TicketView>(ticketKey(ticket.id));
  const worker = useView<WorkerView>(workerKey(ticket.id));
  const reviewer = useView<WorkerView>(workerKey(reviewerOf(ticket.id)));
  const stage = reviewStageOf(view?.value);
  // Under review the ticket's own worker has stopped; a pause is its reviewer's.
  const reviewPause = stage ? pauseOf(reviewer) : null;
  const pause = stage ? reviewPause : pauseOf(worker);
  const round = (view?.context.review_round ?? 0) + 1;
  const status = info?.status ?? 'pending';
  const reason = info?.blocked_reason ?? view?.context.blocked_reason ?? null;
  const target = { kind: 'ticket', id: ticket.id } as const;
  const accepts = view?.accepts ?? [];
  const changed = view?.context.changed_files ?? [];
  const took = spanText(props.span, props.now ?? null);
  // A merge conflict's reason is long (branch, files, what retry does): the card says which files.
  const conflict = conflictFilesOf(reason);
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
        {took && (
          <span className="ticket-time" data-testid={`ticket-time-${ticket.id}`} title={props.span?.end === null ? 'at work for (this attempt)' : 'this attempt took'}>
            {took}
          </span>
        )}
        <span className={`status-chip status-${status}`} data-testid={`ticket-status-${ticket.id}`}>
          {info?.skipped ? 'skipped' : pause?.kind === 'interrupted' ? 'interrupted' : statusLabel[status]}
        </span>
      </div>
      <div className="ticket-file" title={ticket.prompt}>{ticket.target_file}</div>
      <div className="ticket-meta">
        {ticket.worker_archetype}
        {info && info.attempts > 0 ? ` · attempt ${info.attempts}` : ''}
      </div>
      {!pause && props.tool && (
        <div className="ticket-note running-tool" data-testid={`ticket-tool-${ticket.id}`} data-call={props.tool.tool_use_id}>
          ▶ <code>{props.tool.tool}</code>
          {props.now !== null && props.now !== undefined ? ` · ${durationText(props.now - props.tool.at)}` : ''}
        </div>
      )}
      {stage && (
        <div className={`ticket-note in-review${reviewPause ? ` paused pause-${reviewPause.kind}` : ''}`} data-testid={`ticket-review-${ticket.id}`} data-round={round} data-stage={stage} data-pause={reviewPause?.kind}>
          in review · round {round}
          {reviewPause && (
            <span title={reviewPause.kind === 'budget' ? `the reviewer waits at its budget pause: ${reviewPause.stop.reason}` : `the reviewer waits at ${pauseLabel[reviewPause.kind]}: ${reviewPause.call?.name ?? 'a call'}`}>
              {' '}· waits for you
            </span>
          )}
        </div>
      )}
      {pause && !reviewPause && (
        <div
          className={`ticket-note paused pause-${pause.kind}`}
          data-testid={`ticket-pause-${ticket.id}`}
          data-pause={pause.kind}
          title={pause.kind === 'budget' ? pause.stop.reason : undefined}
        >
          {pause.kind === 'budget' ? (
            <>
              {pauseLabel.budget} · {stopText(pause.stop)}
            </>
          ) : (
            <>
              {pauseLabel[pause.kind]} <code>{pause.call?.name}</code>
            </>
          )}
        </div>
      )}
      {status === 'pending' && ticket.dependencies.length > 0 && <div className="ticket-note">after {ticket.dependencies.join(', ')}</div>}
      {status === 'completed' && info?.summary && !info.skipped && (
        <div className="ticket-note done" title={info.summary}>
          {info.summary}
        </div>
      )}
      {status === 'blocked' && reason && (
        <div className="ticket-reason" data-testid={`ticket-reason-${ticket.id}`} data-conflict={conflict !== null} title={reason}>
          {conflict ? `merge conflict in ${conflict.join(', ')}` : reason}
        </div>
      )}
      {accepts.length > 0 && (
        <div className="ticket-actions">
          {changed.length > 0 && accepts.includes('ticket.retry') ? (
            <button
              type="button"
              className="button primary"
              data-testid={`ticket-retry-${ticket.id}`}
              data-changed={changed.length}
              title={`the earlier attempts changed ${changed.length} file${changed.length === 1 ? '' : 's'}: choose whether to restore them`}
              onClick={(event) => {
                event.stopPropagation();
                props.onRetry();
              }}
            >
              Retry…
            </button>
          ) : (
            <CommandButton target={target} command={{ type: 'ticket.retry' }} accepts={accepts} label="Retry" variant="primary" testId={`ticket-retry-${ticket.id}`} />
          )}
          <CommandButton target={target} command={{ type: 'ticket.skip' }} accepts={accepts} label="Skip" testId={`ticket-skip-${ticket.id}`} />
        </div>
      )}
    </div>
  );
}
