import { useClient, useStore, useView } from '../hooks.js';
import { reviewerOf } from '../agents.js';
import { pauseOf } from '../pause.js';
import { reviewRounds, reviewStageOf, verdictLabel } from '../review.js';
import { ticketKey, workerKey } from '../../protocol/actor-keys.js';
import type { TicketView, WorkerView } from '../views.js';
import { PauseCards } from './PauseCards.js';

/** Whether a ticket has a review to show: it is reviewed (its archetype has a reviewer), or has verdicts. */
export function useHasReview(ticket: string): boolean {
  const view = useView<TicketView>(ticketKey(ticket));
  const reviewer = useView<WorkerView>(workerKey(reviewerOf(ticket)));
  return (view?.context.reviewer ?? null) !== null || (view?.context.verdict ?? null) !== null || reviewer !== null;
}

/**
 * The code review of one ticket (tier 2): where it stands, every round's verdict and comments, and
 * the reviewer's pause. In step trust the reviewer's verdict is a call at its pause 1, whose preview
 * reads "Verdict: request changes …": the human approves it, edits it, or aborts it there.
 */
export function ReviewSection({ ticket, onTranscript }: { ticket: string; onTranscript?: () => void }) {
  const client = useClient();
  const rows = useStore(client.journal.rows);
  const view = useView<TicketView>(ticketKey(ticket));
  const agent = reviewerOf(ticket);
  const reviewer = useView<WorkerView>(workerKey(agent));
  const pause = reviewer?.status === 'active' ? pauseOf(reviewer) : null;
  const stage = reviewStageOf(view?.value);
  const rounds = reviewRounds(ticket, rows, view?.context.verdict);
  const current = stage ? (view?.context.review_round ?? 0) + 1 : null;
  const who = reviewer?.context.archetype ?? 'the tech lead';
  const last = rounds.at(-1);
  const state = stage ? 'reviewing' : last ? last.verdict : 'waiting';
  return (
    <section className={`review-section state-${state}`} data-testid="review-section" data-ticket={ticket} data-state={state} data-round={current ?? last?.round ?? 0}>
      <header className="review-head">
        <h3>Code review</h3>
        <span className="muted">by {who}</span>
        {stage && (
          <span className="review-chip in-review" data-testid="review-status">
            in review · round {current}
            {stage === 'paused' ? ' · waits for you' : ''}
          </span>
        )}
        {!stage && last && (
          <span className={`review-chip verdict-${last.verdict}`} data-testid="review-status">
            {verdictLabel[last.verdict]}
          </span>
        )}
        {!stage && !last && (
          <span className="review-chip" data-testid="review-status">
            not reviewed yet
          </span>
        )}
        {reviewer && onTranscript && (
          <button type="button" className="button link" data-testid="review-transcript-open" onClick={onTranscript}>
            Reviewer's transcript
          </button>
        )}
      </header>
      {rounds.length > 0 && (
        <ol className="review-rounds">
          {rounds.map((round, index) => (
            <li key={index} className={`review-round verdict-${round.verdict}`} data-testid="review-round" data-round={round.round} data-verdict={round.verdict}>
              <strong>
                Review {round.round}: {verdictLabel[round.verdict]}
              </strong>
              {round.comments && <p className="review-comments" data-testid="review-comments">{round.comments}</p>}
            </li>
          ))}
        </ol>
      )}
      {stage === 'briefing' && <p className="muted">Preparing the ticket's diff for the reviewer…</p>}
      {stage === 'reviewer' && !pause && <p className="muted">The reviewer is reading the ticket's diff…</p>}
      {!stage && last?.verdict === 'request_changes' && view?.value === 'running' && (
        <p className="hint">The worker is making the changes the review asked for; the change is reviewed again when it is done.</p>
      )}
      {reviewer && <PauseCards agent={agent} view={reviewer} pause={pause} />}
    </section>
  );
}
