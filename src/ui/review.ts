import type { JournalRow } from './journal-log.js';
import type { TicketView } from './views.js';

/** One code review's verdict, as the ticket's panel lists it. */
export interface ReviewRound {
  /** The review's number (the first is 1). */
  round: number;
  verdict: 'approve' | 'request_changes';
  comments: string;
}

/** Where a ticket's review stands while it is under review: `{ reviewing: 'briefing' | 'reviewer' | 'paused' }`. */
export function reviewStageOf(value: unknown): 'briefing' | 'reviewer' | 'paused' | null {
  if (!value || typeof value !== 'object' || !('reviewing' in value)) return null;
  const stage = (value as { reviewing: unknown }).reviewing;
  return stage === 'briefing' || stage === 'reviewer' || stage === 'paused' ? stage : null;
}

/**
 * Every verdict of a ticket's reviews, oldest first: the journal's `review.verdict` entries, and the
 * ticket's last verdict should the journal tail the page holds not have it (a long run, a fixture).
 */
export function reviewRounds(ticket: string, rows: readonly JournalRow[], last: TicketView['verdict'] | undefined): ReviewRound[] {
  const rounds: ReviewRound[] = rows
    .filter((row) => row.kind === 'review.verdict' && row.ticket === ticket && (row.verdict === 'approve' || row.verdict === 'request_changes'))
    .map((row, index) => ({ round: row.round ?? index + 1, verdict: row.verdict as ReviewRound['verdict'], comments: row.comments ?? '' }));
  if (last) {
    const latest = rounds.at(-1);
    if (!latest || latest.verdict !== last.verdict || latest.comments !== last.comments) rounds.push({ round: Math.max(last.round, (latest?.round ?? 0) + 1), verdict: last.verdict, comments: last.comments });
  }
  return rounds;
}

export const verdictLabel: Record<ReviewRound['verdict'], string> = { approve: 'approved', request_changes: 'changes requested' };
