import { Store } from '../store.js';
import { resetArming } from './arming.js';

/**
 * What the page knows about answers beyond the engine's views: the last refusal of a pause command
 * per worker (it must stay visible when the card that sent it has been replaced: a stale click is
 * refused after the pause it named has gone) and the pauses whose editor holds an edit the engine
 * does not have yet (so no other control approves them as if the edit were not there).
 */
export const pauseRefusals = new Store<ReadonlyMap<string, string>>(new Map());
export const unappliedEdits = new Store<ReadonlyMap<string, string>>(new Map());

function update<V>(store: Store<ReadonlyMap<string, V>>, key: string, value: V | null): void {
  const current = store.getSnapshot();
  if (value === null ? !current.has(key) : current.get(key) === value) return;
  const next = new Map(current);
  if (value === null) next.delete(key);
  else next.set(key, value);
  store.set(next);
}

/** The outcome of a pause command sent to a worker: a refusal stays until the next accepted answer. */
export function noteAnswer(ticket: string, reply: { ok: true } | { ok: false; error: string }): void {
  update(pauseRefusals, ticket, reply.ok ? null : reply.error);
}

export function dismissRefusal(ticket: string): void {
  update(pauseRefusals, ticket, null);
}

/** A card's editor differs from the engine (pauseKey) or not (null). */
export function markUnapplied(ticket: string, pauseKey: string | null): void {
  update(unappliedEdits, ticket, pauseKey);
}

let noted: string | null | undefined;

/** Another run: what was noted about the last one's workers means nothing here (the same run keeps it). */
export function answersForRun(run: string | null): void {
  if (run === noted) return;
  noted = run;
  resetAnswerState();
}

export function resetAnswerState(): void {
  pauseRefusals.set(new Map());
  unappliedEdits.set(new Map());
  resetArming();
}
