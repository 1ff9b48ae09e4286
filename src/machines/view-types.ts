import type { BudgetLimits, TrustOverride, ExecutionMode, ProposedTrack, UsageSummary } from '../protocol/index.js';
import type { TicketInfo } from './schedule.js';
import type { FlatWorkerContext } from './worker-types.js';

/**
 * The JSON projections of actor context that the server sends and the UI renders, declared once
 * for both sides.
 */
export interface ConductorViewContext {
  mode: ExecutionMode;
  trustOverride: TrustOverride;
  active: number;
  completed: number;
  maxConcurrency: number;
  /** In track order (session.track.tickets). */
  tickets: TicketInfo[];
  /** Tokens and estimated cost so far (live views only; a past snapshot has none). */
  usage?: UsageSummary;
  /**
   * The budgets in force (live views only): the run's cost limit, and each ticket's limits (only
   * tickets that have one), with the raises given. The spend beside them is `usage`.
   */
  budgets?: { run: { max_cost?: number }; tickets: Record<string, BudgetLimits> };
  /** The request the run began with (planned into its tickets), if any. */
  request: string | null;
  /** Why the last planning stopped short, if it did. */
  planError: string | null;
  /** Whether a request may be planned now (a run begun without tickets, not planned yet). */
  canPlan: boolean;
}

/** The planner as the plan approval shows it. */
export interface PlannerViewContext {
  request: string;
  /** The plan as it stands (null until the pm proposes one). */
  proposal: ProposedTrack | null;
  author: 'pm' | 'tech_lead' | 'human' | null;
  note: string | null;
  comment: string | null;
  rounds: number;
  maxRounds: number;
  reason: string | null;
  /** The pm's and the tech lead's worker keys, for their transcripts and pauses. */
  agents: { pm: string; lead: string | null };
}

export interface TicketViewContext {
  attempts: number;
  blocked_reason: string | null;
  summary: string | null;
  skipped: boolean;
  trustOverride: TrustOverride;
  archetype: string;
  /**
   * The workspace files this ticket's attempts changed with write_file and edit_file (sorted):
   * what a retry offers to restore to how they were before the ticket, or keep.
   */
  changed_files: string[];
  /** The last code review's verdict, and the reviews of this attempt so far. */
  verdict: { verdict: 'approve' | 'request_changes'; comments: string; round: number } | null;
  review_round: number;
  /** The reviewer's key (`worker:T2@review`) when the ticket's archetype is reviewed. */
  reviewer: string | null;
}

/** The worker's context flat, as views carry it (worker-types.ts says why the machine's is grouped). */
export type WorkerViewContext = FlatWorkerContext;
