import { currentCall } from '../machines/transcript.js';
import type { WorkerContext } from '../machines/worker-types.js';
import type { PauseRef } from '../protocol/index.js';

interface WorkerSnapshotLike {
  status: string;
  context: WorkerContext;
  matches(value: unknown): boolean;
}

/** The pause a worker waits at now, as a pause command must name it; null while it is not paused. */
export function pauseNow(snapshot: WorkerSnapshotLike): PauseRef | null {
  if (snapshot.status !== 'active') return null;
  const { context } = snapshot;
  if (snapshot.matches({ toolCycle: 'reviewingResult' }) && context.review) return { kind: 'review', tool_use_id: context.review.tool_use_id };
  if (snapshot.matches('budgetPaused') && context.budget.stop) return { kind: 'budget', tool_use_id: budgetPauseId(context.budget.pauses) };
  const kind = snapshot.matches({ toolCycle: 'awaitingApproval' }) ? 'approval' : snapshot.matches({ toolCycle: 'interrupted' }) ? 'interrupted' : null;
  if (!kind) return null;
  const call = currentCall(context.messages, context.results, context.review);
  return call ? { kind, tool_use_id: call.id } : null;
}

const words: Record<PauseRef['kind'], string> = {
  approval: 'pause 1 (approval)',
  review: 'pause 2 (review)',
  interrupted: 'the interrupted pause',
  budget: 'the budget pause',
};

/** A budget pause has no call: it is named by its number in the attempt. */
export function budgetPauseId(n: number): string {
  return `budget-${n}`;
}

export function describePause(pause: PauseRef): string {
  return pause.kind === 'budget' ? `${words.budget} ${pause.tool_use_id}` : `${words[pause.kind]} of call ${pause.tool_use_id}`;
}

/**
 * Why a pause command does not answer the pause the worker is at now (a stale or double click,
 * another tab, a CLI answer overtaken by the UI), or null when it does.
 */
export function pauseMismatch(named: PauseRef, now: PauseRef | null): string | null {
  if (now && now.kind === named.kind && now.tool_use_id === named.tool_use_id) return null;
  const at = now ? `it is at ${describePause(now)}` : 'it is not paused';
  return `this answers ${describePause(named)}, but ${at}: nothing was done`;
}
