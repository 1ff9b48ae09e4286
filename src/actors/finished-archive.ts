import type { Snapshot } from 'xstate';
import type { RunLog } from '../store/index.js';

export interface FinishedTicket {
  /** The ticket's last snapshot, once it completed (a blocked ticket is still alive). */
  ticket?: Snapshot<unknown>;
  worker?: Snapshot<unknown>;
}

/** The last snapshots of tickets and workers that have ended, for the UI and debug_state.json. */
export interface FinishedArchive {
  get(ticketId: string): FinishedTicket | undefined;
  /** Whether the ticket has a finished worker to show. */
  hasWorker(ticketId: string): boolean;
  set(ticketId: string, snapshots: FinishedTicket): void;
}

/** Kept in memory: for engines without a run store (tests, model-based paths). */
export function memoryArchive(): FinishedArchive {
  const finished = new Map<string, FinishedTicket>();
  return {
    get: (ticketId) => finished.get(ticketId),
    hasWorker: (ticketId) => finished.get(ticketId)?.worker !== undefined,
    set: (ticketId, snapshots) => finished.set(ticketId, { ...finished.get(ticketId), ...snapshots }),
  };
}

/** Kept in the run store, committed with the snapshot: memory holds only which tickets have one. */
export function storeArchive(log: RunLog): FinishedArchive {
  return {
    get: (ticketId) => log.finished(ticketId) as FinishedTicket | undefined,
    hasWorker: (ticketId) => log.hasFinishedWorker(ticketId),
    set: (ticketId, snapshots) => log.stageFinished(ticketId, snapshots),
  };
}
