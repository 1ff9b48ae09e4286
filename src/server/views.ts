import type { Engine } from '../actors/engine.js';
import { at, toArray } from '../machines/chunked.js';
import type { ConductorContext } from '../machines/conductor.js';
import type { TicketInfo } from '../machines/schedule.js';
import type { TicketContext } from '../machines/ticket.js';
import type { WorkerContext } from '../machines/worker-types.js';
import { flatWorkerContext } from '../machines/worker-flat.js';
import type { ConductorViewContext, PlannerViewContext, TicketViewContext, WorkerViewContext } from '../machines/view-types.js';
import { PLAN_LEAD, PLAN_PM, type PlannerContext } from '../machines/planner.js';
import { reviewerId } from '../machines/ticket.js';
import type { ExecutionMode, TrustOverride } from '../protocol/index.js';
import { commandKey, conductorKey, parseKey, plannerKey, ticketKey, workerKey, type ActorKind, type ActorView, type Command } from '../protocol/wire.js';

export type { ConductorViewContext, PlannerViewContext, TicketViewContext, WorkerViewContext } from '../machines/view-types.js';
// The keys are the protocol's: one definition on both sides of the socket.
export { conductorKey, kindOfKey, ticketKey, workerKey } from '../protocol/actor-keys.js';

/**
 * One candidate event per command key. Payloads are placeholders: an edit is accepted as an event
 * (and refused in the worker's context if invalid), so the placeholder answers "may I edit now".
 */
const anyPause = { kind: 'approval', tool_use_id: '*' } as const;
const candidates: Record<ActorKind, Command[]> = {
  worker: [
    { type: 'clutch.approve', pause: anyPause },
    { type: 'clutch.edit_payload', pause: anyPause, input: {} },
    { type: 'clutch.edit_message', pause: anyPause, message: {} },
    { type: 'clutch.edit_result', pause: anyPause, output: '' },
    { type: 'clutch.abort', pause: anyPause },
    { type: 'clutch.set_trust', trust: 'step' },
    { type: 'clutch.set_trust', trust: 'auto' },
    { type: 'clutch.retry_now' },
    { type: 'clutch.rerun', pause: anyPause },
    { type: 'clutch.use_output', pause: anyPause },
    { type: 'clutch.raise_budget', pause: anyPause, max_tokens: 1 },
  ],
  ticket: [{ type: 'ticket.retry' }, { type: 'ticket.skip' }],
  planner: [
    { type: 'plan.edit', track: {} },
    { type: 'plan.approve' },
    { type: 'plan.send_back', comment: 'x' },
    { type: 'plan.retry' },
  ],
  conductor: [
    { type: 'conductor.start' },
    { type: 'conductor.request', text: 'x' },
    { type: 'conductor.set_mode', mode: 'async' },
    { type: 'conductor.set_mode', mode: 'linear' },
    { type: 'conductor.set_trust_override', override: 'none' },
    { type: 'conductor.set_trust_override', override: 'step' },
    { type: 'conductor.set_trust_override', override: 'auto' },
  ],
};

/** Every field of the worker's flat context, listed so that a new field is a compile error here until it is decided. */
const workerFields: Record<keyof WorkerViewContext, true> = {
  ticketId: true,
  attempt: true,
  archetype: true,
  finish: true,
  qa: true,
  finished: true,
  hint: true,
  profile: true,
  system: true,
  tools: true,
  maxTurns: true,
  trust: true,
  trustOverride: true,
  messages: true,
  turns: true,
  draft: true,
  results: true,
  review: true,
  preview: true,
  refusal: true,
  edits: true,
  usage: true,
  summary: true,
  reason: true,
  waiting: true,
  retries: true,
  rerun: true,
  approveEdited: true,
  budget: true,
  budgetPauses: true,
};
const workerFieldNames = Object.keys(workerFields) as (keyof WorkerViewContext)[];

/**
 * The edits a worker's view carries: its most recent ones. A view goes out again on every change,
 * so a long list of edits (refused ones pile up) would go out again and again; the journal keeps
 * them all, and the `edits` call reads them from there.
 */
export const VIEW_EDITS = 20;

interface LiveSnapshot {
  status: string;
  value: unknown;
  context: unknown;
  can(event: unknown): boolean;
}

/** A persisted snapshot from engine.finishedSnapshots(). */
interface StoredSnapshot {
  status: string;
  value?: unknown;
  context?: unknown;
}

function accepted(snapshot: LiveSnapshot, kind: keyof typeof candidates): string[] {
  if (snapshot.status !== 'active') return [];
  return candidates[kind].filter((event) => snapshot.can(event)).map(commandKey);
}

function conductorContext(context: ConductorContext): ConductorViewContext {
  return {
    mode: context.mode,
    trustOverride: context.trustOverride,
    active: context.active,
    completed: context.completed,
    maxConcurrency: context.maxConcurrency,
    tickets: toArray(context.tickets),
    request: context.request ?? null,
    planError: context.planError ?? null,
    canPlan: (context.planning ?? null) !== null && context.specs.length === 0,
  };
}

export function conductorView(engine: Engine): ActorView<ConductorViewContext> {
  const snapshot = engine.conductor.getSnapshot();
  return {
    key: conductorKey,
    kind: 'conductor',
    status: snapshot.status,
    value: snapshot.value,
    context: { ...conductorContext(snapshot.context), usage: engine.usage(), budgets: engine.budgets() },
    accepts: accepted(snapshot as unknown as LiveSnapshot, 'conductor'),
  };
}

/** changed: the ticket's changed files now (a past snapshot's view has none). */
function ticketContext(context: TicketContext, changed: string[] = []): TicketViewContext {
  return {
    attempts: context.attempts,
    blocked_reason: context.blocked_reason,
    summary: context.summary,
    skipped: context.skipped,
    trustOverride: context.trustOverride,
    archetype: context.ticket.worker_archetype,
    changed_files: changed,
    verdict: context.verdict ?? null,
    review_round: context.round ?? 0,
    reviewer: context.worker.review ? workerKey(reviewerId(context.ticket.id)) : null,
  };
}

function plannerContext(context: PlannerContext): PlannerViewContext {
  return {
    request: context.request,
    proposal: context.proposal,
    author: context.author,
    note: context.note,
    comment: context.comment,
    rounds: context.rounds,
    maxRounds: context.maxRounds,
    reason: context.reason,
    agents: { pm: workerKey(PLAN_PM), lead: context.lead ? workerKey(PLAN_LEAD) : null },
  };
}

/** The planner while it plans (a run begun from a request); none before the request or after approval. */
export function plannerView(engine: Engine): ActorView<PlannerViewContext> | undefined {
  const live = engine.planner();
  if (!live) return undefined;
  const snapshot = live.getSnapshot();
  return {
    key: plannerKey,
    kind: 'planner',
    status: snapshot.status,
    value: snapshot.value,
    context: plannerContext(snapshot.context),
    accepts: accepted(snapshot as unknown as LiveSnapshot, 'planner'),
  };
}

/** The ticket's actor while it lives, its final snapshot once done, or the conductor's record before it spawns. */
export function ticketView(engine: Engine, id: string): ActorView<TicketViewContext> | undefined {
  const key = ticketKey(id);
  const live = engine.ticket(id);
  if (live) {
    const snapshot = live.getSnapshot();
    return {
      key,
      kind: 'ticket',
      ticket: id,
      status: snapshot.status,
      value: snapshot.value,
      context: ticketContext(snapshot.context, engine.changedFiles(id)),
      accepts: accepted(snapshot as unknown as LiveSnapshot, 'ticket'),
    };
  }
  const stored = engine.finishedSnapshots().get(id)?.ticket as StoredSnapshot | undefined;
  if (stored?.context) {
    return { key, kind: 'ticket', ticket: id, status: stored.status, value: stored.value, context: ticketContext(stored.context as TicketContext, engine.changedFiles(id)), accepts: [] };
  }
  const conductor: ConductorContext = engine.conductor.getSnapshot().context;
  const index = conductor.indexOf[id];
  if (index === undefined) return undefined;
  const info = at(conductor.tickets, index);
  return {
    key,
    kind: 'ticket',
    ticket: id,
    status: 'pending',
    value: info.status,
    context: {
      attempts: info.attempts,
      blocked_reason: info.blocked_reason,
      summary: info.summary,
      skipped: info.skipped,
      trustOverride: conductor.trustOverride,
      archetype: conductor.specs[index]!.worker_archetype,
      changed_files: engine.changedFiles(id),
      verdict: null,
      review_round: 0,
      reviewer: null,
    },
    accepts: [],
  };
}

/** The flat view of a worker's context, grouped as the machine keeps it or flat as older runs persisted it. */
function workerContext(context: WorkerContext | WorkerViewContext): WorkerViewContext {
  const flat = flatWorkerContext(context);
  const projection: Partial<Record<keyof WorkerViewContext, unknown>> = {};
  for (const field of workerFieldNames) projection[field] = flat[field];
  if (flat.edits.length > VIEW_EDITS) projection.edits = flat.edits.slice(-VIEW_EDITS);
  return projection as WorkerViewContext;
}

/** The worker of the ticket's current attempt while it runs, else the last one's final snapshot. */
export function workerView(engine: Engine, id: string): ActorView<WorkerViewContext> | undefined {
  const key = workerKey(id);
  const live = engine.worker(id);
  if (live) {
    const snapshot = live.getSnapshot();
    return {
      key,
      kind: 'worker',
      ticket: id,
      status: snapshot.status,
      value: snapshot.value,
      context: workerContext(snapshot.context),
      accepts: accepted(snapshot as unknown as LiveSnapshot, 'worker'),
    };
  }
  const stored = engine.finishedSnapshots().get(id)?.worker as StoredSnapshot | undefined;
  if (!stored?.context) return undefined;
  return { key, kind: 'worker', ticket: id, status: stored.status, value: stored.value, context: workerContext(stored.context as WorkerContext), accepts: [] };
}

/** The JSON projection of an actor's context that its view carries, for any snapshot of it (past ones too). */
export function projectContext(kind: ActorKind, context: unknown): unknown {
  switch (kind) {
    case 'conductor':
      return conductorContext(context as ConductorContext);
    case 'ticket':
      return ticketContext(context as TicketContext);
    case 'worker':
      return workerContext(context as WorkerContext);
    case 'planner':
      return plannerContext(context as PlannerContext);
  }
}

/** The view for one key, or undefined when that actor has none (yet, or any more). */
export function viewOf(engine: Engine, key: string): ActorView | undefined {
  const parsed = parseKey(key);
  if (!parsed) return undefined;
  if (parsed.kind === 'conductor') return conductorView(engine);
  if (parsed.kind === 'planner') return plannerView(engine);
  return parsed.kind === 'ticket' ? ticketView(engine, parsed.id) : workerView(engine, parsed.id);
}

/** Every key that has a view now: the conductor, every ticket of the track, every worker so far. */
export function allKeys(engine: Engine): string[] {
  const ids = engine.track().tickets.map((ticket) => ticket.id);
  const finished = engine.finishedSnapshots();
  // Each ticket's worker, and its reviewer's; the planner's agents while it plans.
  const agents = [...ids.flatMap((id) => [id, reviewerId(id)]), ...(engine.planner() ? [PLAN_PM, PLAN_LEAD] : [])];
  const workers = agents.filter((id) => engine.worker(id) !== undefined || finished.get(id)?.worker !== undefined);
  return [conductorKey, ...(engine.planner() ? [plannerKey] : []), ...ids.map(ticketKey), ...workers.map(workerKey)];
}
