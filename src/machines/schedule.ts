import type { ExecutionMode, TicketStatus } from '../protocol/index.js';
import { at, chunkedFrom, withEntries, type Chunked } from './chunked.js';
import type { TicketSpec } from './ticket.js';

/**
 * Dispatch bookkeeping for the conductor, addressed by track index in chunked lists. Re-spreading a
 * record keyed by id made 10k-ticket runs quadratic (4 ms per update at 10k keys); copying whole
 * arrays was still O(N) per update and grew GC time from 7% to 25% of a run between 1k and 10k.
 */
export interface TicketInfo {
  status: TicketStatus;
  attempts: number;
  blocked_reason: string | null;
  summary: string | null;
  skipped: boolean;
  /** Whether a ticket actor exists (or existed) for it. */
  spawned: boolean;
}

export interface Schedule {
  tickets: Chunked<TicketInfo>;
  /** How many dependencies of each ticket are not completed yet. */
  waitingOn: Chunked<number>;
  /** Indices of pending tickets whose dependencies are all completed, in track order. */
  ready: number[];
  /** Tickets running or step_paused. */
  active: number;
  completed: number;
}

export interface StaticPlan {
  specs: TicketSpec[];
  indexOf: Record<string, number>;
  dependents: number[][];
}

export function planOf(specs: TicketSpec[]): StaticPlan {
  const indexOf: Record<string, number> = {};
  specs.forEach((spec, index) => (indexOf[spec.id] = index));
  const dependents: number[][] = specs.map(() => []);
  specs.forEach((spec, index) => {
    for (const dependency of spec.dependencies) {
      const from = indexOf[dependency];
      if (from === undefined) throw new Error(`ticket ${spec.id} depends on unknown ticket ${dependency}`);
      dependents[from]!.push(index);
    }
  });
  return { specs, indexOf, dependents };
}

export function initialSchedule(plan: StaticPlan): Schedule {
  const waitingOn = plan.specs.map((spec) => spec.dependencies.length);
  return {
    tickets: chunkedFrom(
      plan.specs.map((): TicketInfo => ({
        status: 'pending',
        attempts: 0,
        blocked_reason: null,
        summary: null,
        skipped: false,
        spawned: false,
      })),
    ),
    waitingOn: chunkedFrom(waitingOn),
    ready: waitingOn.flatMap((count, index) => (count === 0 ? [index] : [])),
    active: 0,
    completed: 0,
  };
}

const isActive = (status: TicketStatus) => (status === 'running' || status === 'step_paused' ? 1 : 0);

function insertSorted(list: number[], value: number): number[] {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (list[middle]! < value) low = middle + 1;
    else high = middle;
  }
  if (list[low] === value) return list;
  return [...list.slice(0, low), value, ...list.slice(low)];
}

export interface Change {
  status: TicketStatus;
  attempts: number;
  blocked_reason: string | null;
  summary: string | null;
  skipped: boolean;
}

/** Applies one ticket status change; returns the new schedule. */
export function recordChange(plan: StaticPlan, schedule: Schedule, index: number, change: Change): Schedule {
  const before = at(schedule.tickets, index);
  const tickets = withEntries(schedule.tickets, [[index, {
    status: change.status,
    attempts: change.attempts,
    blocked_reason: change.blocked_reason,
    summary: change.summary,
    skipped: change.skipped,
    spawned: before.spawned,
  }]]);
  let { waitingOn, ready, completed } = schedule;
  const active = schedule.active + isActive(change.status) - isActive(before.status);
  if (change.status === 'completed' && before.status !== 'completed') {
    completed += 1;
    const dependents = plan.dependents[index]!;
    waitingOn = withEntries(waitingOn, dependents.map((dependent) => [dependent, at(waitingOn, dependent) - 1] as const));
    for (const dependent of dependents) {
      if (at(waitingOn, dependent) === 0 && at(tickets, dependent).status === 'pending') ready = insertSorted(ready, dependent);
    }
  }
  if (change.status === 'pending' && before.status !== 'pending' && at(waitingOn, index) === 0) {
    ready = insertSorted(ready, index);
  }
  return { tickets, waitingOn, ready, active, completed };
}

/** Which ready tickets start now: async fills up to the cap; linear starts the first, alone. */
export function pickStarts(schedule: Schedule, mode: ExecutionMode, maxConcurrency: number): number[] {
  if (mode === 'linear') return schedule.active === 0 && schedule.ready.length > 0 ? [schedule.ready[0]!] : [];
  const room = Math.max(0, maxConcurrency - schedule.active);
  return schedule.ready.slice(0, room);
}

export function markStarted(schedule: Schedule, starts: readonly number[]): Schedule {
  if (starts.length === 0) return schedule;
  const tickets = withEntries(
    schedule.tickets,
    starts.map((index) => [index, { ...at(schedule.tickets, index), status: 'running' as const, spawned: true }] as const),
  );
  // pickStarts starts a prefix of the ready list (in order): dropping it is a slice, not a scan of
  // every ready ticket (a track of 10k independent tickets has them all ready at the start).
  const prefix = starts.every((index, i) => schedule.ready[i] === index);
  const started = prefix ? undefined : new Set(starts);
  return {
    ...schedule,
    tickets,
    ready: started ? schedule.ready.filter((index) => !started.has(index)) : schedule.ready.slice(starts.length),
    active: schedule.active + starts.length,
  };
}
