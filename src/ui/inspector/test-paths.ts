import { useEffect, useState } from 'react';
import type { ActorKind, TestPathInfo, TestPathsReply, TestRunEvent, TestStepResult } from '../../protocol/wire.js';
import type { ClutchClient } from '../client.js';
import { leafPaths } from './state-value.js';

export type PathListState = { state: 'loading' } | { state: 'ready'; paths: TestPathInfo[]; candidates: number } | { state: 'failed'; error: string };

// The server generates each machine's paths once; the page asks once per machine too.
const asked = new WeakMap<ClutchClient, Map<ActorKind, Promise<TestPathsReply>>>();

function listOf(client: ClutchClient, machine: ActorKind): Promise<TestPathsReply> {
  let lists = asked.get(client);
  if (!lists) asked.set(client, (lists = new Map()));
  let list = lists.get(machine);
  if (!list) {
    list = client.testPaths(machine);
    lists.set(machine, list);
    // A refusal (not connected yet, a failed generation) is asked again next time.
    void list.then((reply) => !reply.ok && lists.delete(machine));
  }
  return list;
}

export function useTestPaths(client: ClutchClient, machine: ActorKind): PathListState {
  const [state, setState] = useState<{ machine: ActorKind; value: PathListState }>({ machine, value: { state: 'loading' } });
  useEffect(() => {
    let current = true;
    void listOf(client, machine).then((reply) => {
      if (!current) return;
      setState({ machine, value: reply.ok ? { state: 'ready', paths: reply.paths, candidates: reply.candidates } : { state: 'failed', error: reply.error } });
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
  summary?: Extract<TestRunEvent, { kind: 'finished' }>;
  error?: string;
}

export function applyRunEvent(run: PathRun, event: TestRunEvent): PathRun {
  switch (event.kind) {
    case 'started':
      return run;
    case 'step':
      return { ...run, results: { ...run.results, [event.result.index]: event.result } };
    case 'finished':
      return { ...run, state: 'finished', summary: event };
    case 'refused':
      return { ...run, state: 'refused', error: event.error };
  }
}

/** Case-insensitive words, each found in the path's id, events or end state. */
export function matchesFilter(path: TestPathInfo, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const text = [path.id, path.description, path.source, path.synthetic ? 'synthetic' : '', ...leafPaths(path.ends)].join(' ').toLowerCase();
  return words.every((word) => text.includes(word));
}
