import type { FlatWorkerContext, WorkerContext } from './worker-types.js';

/**
 * The worker's context in its two shapes: grouped, as the machine keeps it (worker-types.ts says
 * why), and flat, as views show it and as runs made before the grouping persisted it.
 */

const isGrouped = (context: WorkerContext | FlatWorkerContext): context is WorkerContext => 'settings' in context;

/** The context flat, for a view; one persisted flat is returned as it is. */
export function flatWorkerContext(context: WorkerContext | FlatWorkerContext): FlatWorkerContext {
  if (!isGrouped(context)) return context;
  const { settings, outcome, grant, budget, ...rest } = context;
  return { ...settings, ...rest, ...outcome, ...grant, budget: budget.stop, budgetPauses: budget.pauses };
}

/**
 * The context grouped, from one a run made before the grouping persisted flat. Fields that older
 * runs did not have yet get the values a new worker starts with.
 */
export function groupedWorkerContext(context: WorkerContext | FlatWorkerContext): WorkerContext {
  if (isGrouped(context)) return context;
  const flat = context as Partial<FlatWorkerContext> & Pick<FlatWorkerContext, 'ticketId' | 'attempt' | 'messages'>;
  // In the machine's own order, so that a restored context has the shape a new one has.
  return {
    settings: {
      ticketId: flat.ticketId,
      attempt: flat.attempt,
      archetype: flat.archetype ?? '',
      profile: flat.profile ?? '',
      system: flat.system ?? '',
      tools: flat.tools ?? [],
      maxTurns: flat.maxTurns ?? 0,
      finish: flat.finish ?? [],
      qa: flat.qa ?? null,
    },
    trust: flat.trust ?? 'step',
    trustOverride: flat.trustOverride ?? 'none',
    messages: flat.messages,
    turns: flat.turns ?? 0,
    draft: flat.draft ?? '',
    results: flat.results ?? [],
    review: flat.review ?? null,
    preview: flat.preview ?? null,
    refusal: flat.refusal ?? null,
    edits: flat.edits ?? [],
    usage: flat.usage ?? { input_tokens: 0, output_tokens: 0 },
    hint: flat.hint ?? null,
    waiting: flat.waiting ?? null,
    retries: flat.retries ?? 0,
    outcome: { summary: flat.summary ?? null, reason: flat.reason ?? null, finished: flat.finished ?? null },
    grant: { rerun: flat.rerun ?? null, approveEdited: flat.approveEdited ?? null },
    budget: { stop: flat.budget ?? null, pauses: flat.budgetPauses ?? 0 },
  };
}

interface PersistedNode {
  context?: unknown;
  children?: Record<string, { src?: unknown; snapshot?: unknown } | undefined>;
}

const isNode = (value: unknown): value is PersistedNode => typeof value === 'object' && value !== null;

/**
 * A persisted snapshot (the conductor's, or any actor's) with `change` applied to the context of
 * every worker below it. Unchanged parts stay the same objects; a snapshot with nothing to change is
 * returned as it is.
 */
function mapWorkers<T>(snapshot: T, change: (context: WorkerContext | FlatWorkerContext) => unknown): T {
  if (!isNode(snapshot) || !isNode(snapshot.children)) return snapshot;
  let children: PersistedNode['children'] | undefined;
  for (const [id, child] of Object.entries(snapshot.children)) {
    if (!isNode(child) || !isNode(child.snapshot)) continue;
    let next: PersistedNode = mapWorkers(child.snapshot, change);
    if (child.src === 'worker' && isNode(next.context)) {
      const context = change(next.context as WorkerContext | FlatWorkerContext);
      if (context !== next.context) next = { ...next, context };
    }
    if (next === child.snapshot) continue;
    children ??= { ...snapshot.children };
    children[id] = { ...child, snapshot: next };
  }
  return children ? { ...snapshot, children } : snapshot;
}

/** Every worker below a persisted snapshot grouped: the snapshot a run made before the grouping resumes as it was. */
export function upgradePersisted<T>(snapshot: T): T {
  return mapWorkers(snapshot, groupedWorkerContext);
}

/** Every worker below a persisted snapshot flat, as views show it (debug_state.json). */
export function flatPersisted<T>(snapshot: T): T {
  return mapWorkers(snapshot, flatWorkerContext);
}

/** One worker's persisted snapshot with its context flat. */
export function flatWorkerSnapshot<T>(snapshot: T): T {
  if (!isNode(snapshot) || !isNode(snapshot.context)) return snapshot;
  const context = flatWorkerContext(snapshot.context as WorkerContext | FlatWorkerContext);
  return context === snapshot.context ? snapshot : { ...snapshot, context };
}
