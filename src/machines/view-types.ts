import type { TrustOverride, ExecutionMode, UsageSummary } from '../protocol/index.js';
import type { TicketInfo } from './schedule.js';
import type { WorkerContext } from './worker-types.js';

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
}

export type WorkerViewContext = WorkerContext;
