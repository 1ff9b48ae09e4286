/**
 * What the real actors did, from the engine's inspection stream: every snapshot and every
 * microstep (with the transitions it took) per actor, and the coverage of each machine's
 * definition. A test waits here until a real actor reaches the state an abstract path predicts.
 */
import { isDeepStrictEqual } from 'node:util';
import type { AnyActorRef, InspectionEvent, StateValue } from 'xstate';
import type { Engine } from '../actors/engine.js';
import { keyOfTaken } from './derive.js';
import { kindOfKey } from '../protocol/actor-keys.js';

export type MachineKind = 'conductor' | 'ticket' | 'worker' | 'planner';

export type Entry =
  | { kind: 'micro'; transitions: string[] }
  | { kind: 'snap'; value: StateValue; status: string; event: string; context: unknown };

export interface Visited {
  states: Set<string>;
  transitions: Set<string>;
}

export function kindOf(key: string): MachineKind {
  return kindOfKey(key) ?? 'worker';
}

const REACH_TIMEOUT_MS = 5_000;

export class Recorder {
  readonly entries = new Map<string, Entry[]>();
  readonly visited: Record<MachineKind, Visited> = {
    conductor: { states: new Set(), transitions: new Set() },
    ticket: { states: new Set(), transitions: new Set() },
    worker: { states: new Set(), transitions: new Set() },
    planner: { states: new Set(), transitions: new Set() },
  };
  readonly #listeners = new Set<() => void>();
  readonly #engine: Engine;

  constructor(engine: Engine) {
    this.#engine = engine;
    engine.subscribeInspection((event) => this.#record(event));
  }

  #record(event: InspectionEvent): void {
    if (event.type !== '@xstate.microstep' && event.type !== '@xstate.snapshot') return;
    const key = this.#engine.keyOf(event.actorRef as AnyActorRef);
    if (!key) return;
    const snapshot = event.snapshot as { value?: StateValue; status: string; context?: unknown; _nodes?: Array<{ id: string; parent?: unknown }> };
    if (!snapshot._nodes) return;
    const visited = this.visited[kindOf(key)];
    for (const node of snapshot._nodes) if (node.parent) visited.states.add(node.id);
    const list = this.entries.get(key) ?? [];
    this.entries.set(key, list);
    if (event.type === '@xstate.microstep') {
      const transitions = event._transitions.map(keyOfTaken);
      for (const transition of transitions) visited.transitions.add(transition);
      list.push({ kind: 'micro', transitions });
    } else {
      list.push({ kind: 'snap', value: snapshot.value!, status: snapshot.status, event: event.event.type, context: snapshot.context });
    }
    for (const listener of [...this.#listeners]) listener();
  }

  /** Resolves once `check` holds, re-checked after every recorded entry; rejects after a timeout. */
  until<T>(check: () => T | undefined, describe: () => string): Promise<T> {
    const first = check();
    if (first !== undefined) return Promise.resolve(first);
    return new Promise((resolve, reject) => {
      const listener = () => {
        let result: T | undefined;
        try {
          result = check();
        } catch (error) {
          done();
          reject(error);
          return;
        }
        if (result === undefined) return;
        done();
        resolve(result);
      };
      // The timer only turns a hang into a readable failure; nothing waits on it to pass.
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out: ${describe()}`));
      }, REACH_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        this.#listeners.delete(listener);
      };
      this.#listeners.add(listener);
    });
  }

  /**
   * Waits until the actor, after entry `from`, has taken every one of `transitions` and then
   * rests in `value` with a context that `accept` agrees with; returns the index of that snapshot.
   */
  reach(key: string, value: StateValue, transitions: readonly string[], from: number, accept: (context: any) => string | null = () => null): Promise<number> {
    let mismatch = '';
    const find = () => {
      const list = this.entries.get(key) ?? [];
      const seen = new Set<string>();
      for (let index = from; index < list.length; index += 1) {
        const entry = list[index]!;
        if (entry.kind === 'micro') entry.transitions.forEach((transition) => seen.add(transition));
        else if (isDeepStrictEqual(entry.value, value) && transitions.every((transition) => seen.has(transition))) {
          const problem = accept(entry.context);
          if (problem === null) return index;
          mismatch = `; the state matched but its context did not: ${problem}`;
        }
      }
      return undefined;
    };
    return this.until(find, () => {
      const recent = (this.entries.get(key) ?? []).slice(from).map((entry) => (entry.kind === 'micro' ? entry.transitions.join(', ') : `=> ${JSON.stringify(entry.value)} (${entry.event})`));
      return `${key} to reach ${JSON.stringify(value)} via [${transitions.join(', ')}]${mismatch}; since entry ${from} it did:\n  ${recent.join('\n  ')}`;
    });
  }

  length(key: string): number {
    return this.entries.get(key)?.length ?? 0;
  }
}

/** Coverage of one machine over a whole test file, against its catalog. */
export class Coverage {
  readonly states = new Set<string>();
  readonly transitions = new Set<string>();
  paths = 0;

  add(visited: Visited): void {
    visited.states.forEach((state) => this.states.add(state));
    visited.transitions.forEach((transition) => this.transitions.add(transition));
  }
}
