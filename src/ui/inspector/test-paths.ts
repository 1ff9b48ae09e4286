import { useEffect, useState } from 'react';
import type { ActorKind, Reply, TestPathInfo, TestPathList, TestRunProgress, TestRunSummary, TestStepResult } from '../../protocol/wire.js';
import type { ClutchClient } from '../client.js';
import { leafPaths } from './state-value.js';

export type PathListState = { state: 'loading' } | { state: 'ready'; paths: TestPathInfo[]; candidates: number } | { state: 'failed'; error: string };

// The server generates each machine's paths once; the page asks once per machine too.
const asked = new WeakMap<ClutchClient, Map<ActorKind, Promise<Reply<TestPathList>>>>();

function listOf(client: ClutchClient, machine: ActorKind): Promise<Reply<TestPathList>> {
  let lists = asked.get(client);
  if (!lists) asked.set(client, (lists = new Map()));
  const known = lists.get(machine);
  if (known) return known;
  const list = client.call('testPaths', { machine });
  lists.set(machine, list);
  // A refusal (not connected yet, a failed generation) is asked again next time.
  void list.then((reply) => !reply.ok && lists.delete(machine));
  return list;
}

export function useTestPaths(client: ClutchClient, machine: ActorKind): PathListState {
  const [state, setState] = useState<{ machine: ActorKind; value: PathListState }>({ machine, value: { state: 'loading' } });
  useEffect(() => {
    let current = true;
    void listOf(client, machine).then((reply) => {
      if (!current) return;
      setState({ machine, value: reply.ok ? { state: 'ready', paths: reply.value.paths, candidates: reply.value.candidates } : { state: 'failed', error: reply.error } });
    });
    return () => {
      current = false;
    };
  }, [client, machine]);
  return state.machine === machine ? state.value : { state: 'loading' };
}

/** One run of a path as the page saw it arrive. */
export interface PathRun {
  state: 'running' | 'finished' | 'refused';
  results: Record<number, TestStepResult>;
  summary?: TestRunSummary;
  error?: string;
}

/** A step of the run streamed in. */
export function applyRunProgress(run: PathRun, event: TestRunProgress): PathRun {
  return event.kind === 'step' ? { ...run, results: { ...run.results, [event.result.index]: event.result } } : run;
}

/** The run's reply: it finished, with its summary, or was refused. */
export function endRun(run: PathRun, reply: Reply<TestRunSummary>): PathRun {
  return reply.ok ? { ...run, state: 'finished', summary: reply.value } : { ...run, state: 'refused', error: reply.error };
}

/** Case-insensitive words, each found in the path's id, events or end state. */
export function matchesFilter(path: TestPathInfo, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const text = [path.id, path.description, path.source, path.synthetic ? 'synthetic' : '', ...leafPaths(path.ends)].join(' ').toLowerCase();
  return words.every((word) => text.includes(word));
}
