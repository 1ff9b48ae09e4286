import type { TicketInfo } from '../machines/schedule.js';
import type { WorkerContext } from '../machines/worker-types.js';
import type { ExecutionMode, TicketStatus, TrustLevel, TrustOverride } from '../protocol/index.js';
import type { ActorKind } from '../protocol/wire.js';

export type {
  ConductorViewContext as ConductorView,
  TicketViewContext as TicketView,
  WorkerViewContext as WorkerView,
} from '../machines/view-types.js';

export const conductorKey = 'conductor';
export const ticketKey = (id: string) => `ticket:${id}`;
export const workerKey = (id: string) => `worker:${id}`;

/** The machine behind an actor key: 'worker:T1' → worker. */
export function kindOfKey(key: string): ActorKind {
  if (key.startsWith('ticket:')) return 'ticket';
  if (key.startsWith('worker:')) return 'worker';
  return 'conductor';
}

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

export function effectiveTrust(context: { trust: TrustLevel; trustOverride: TrustOverride }): TrustLevel {
  return context.trustOverride === 'none' ? context.trust : context.trustOverride;
}
