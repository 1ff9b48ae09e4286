import type { ActorView, RunListEntry } from '../protocol/wire.js';
import { regionOf, type ConductorView } from './views.js';

/** What the Runs tab offers for a run: open a finished one, resume an interrupted one, or nothing. */
export type RunAction = 'open' | 'resume' | null;

/**
 * The one button a run gets. The current run needs none; a run marked running that is not this
 * server's is open in another live process, and the server would refuse it, so none either.
 */
export function runAction(run: RunListEntry, current: string | null): RunAction {
  if (run.id === current) return null;
  if (run.status === 'interrupted') return 'resume';
  if (run.status === 'done' || run.status === 'stalled') return 'open';
  return null;
}

export const runStatusText: Record<RunListEntry['status'], string> = {
  running: 'running',
  interrupted: 'interrupted',
  done: 'done',
  stalled: 'stalled',
};

/**
 * The run served here as the engine has it now: the store's row lags behind by a commit, the
 * conductor's view does not.
 */
export function liveEntry(run: RunListEntry, conductor: ActorView<ConductorView> | null): RunListEntry {
  if (!conductor) return run;
  const state = regionOf(conductor.value, 'run');
  const status = state === 'done' || state === 'stalled' ? state : 'running';
  return { ...run, status, completed: conductor.context.completed };
}
