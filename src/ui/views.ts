import type { TicketInfo } from '../machines/schedule.js';
import { effectiveTrust, type ExecutionMode, type TicketStatus, type TrustLevel, type TrustOverride } from '../protocol/index.js';

export type {
  ConductorViewContext as ConductorView,
  TicketViewContext as TicketView,
  WorkerViewContext as WorkerView,
} from '../machines/view-types.js';

export const statuses: readonly TicketStatus[] = ['pending', 'running', 'step_paused', 'blocked', 'completed'];

export const statusLabel: Record<TicketStatus, string> = {
  pending: 'pending',
  running: 'running',
  step_paused: 'paused',
  blocked: 'blocked',
  completed: 'completed',
};

/** The state of one region of a parallel state value ({mode: 'async', run: 'running', ...}). */
export function regionOf(value: unknown, region: string): string | undefined {
  if (!value || typeof value !== 'object' || !(region in value)) return undefined;
  const state = (value as Record<string, unknown>)[region];
  return typeof state === 'string' ? state : undefined;
}

/** A worker's trust as it runs: the global override over its own (one rule, in protocol/). */
export function workerTrust(context: { trust: TrustLevel; trustOverride: TrustOverride }): TrustLevel {
  return effectiveTrust(context.trust, context.trustOverride);
}
