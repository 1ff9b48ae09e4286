import type { ActorKind } from './actor-keys.js';

/** One step of a generated path: the abstract state before and after its event. */
export interface TestPathStep {
  index: number;
  /** The event type; `xstate.init` for step 0. */
  event: string;
  /** The event's payload, shortened ('' when it has none). */
  payload: string;
  /** null for step 0. */
  before: unknown;
  after: unknown;
}

export interface TestPathInfo {
  /** Stable for a given machine definition: `worker-12`. */
  id: string;
  /** The events in order, readable: `model.reply{"calls":["write"]} → clutch.approve`. */
  description: string;
  source: 'shortest' | 'simple' | 'targeted';
  /** Some event is sent by the test because the real actor never sends it there. */
  synthetic: boolean;
  /** The abstract state it ends in. */
  ends: unknown;
  steps: TestPathStep[];
}

/** The generated paths of one machine, and how many candidates they were chosen from. */
export interface TestPathList {
  machine: ActorKind;
  paths: TestPathInfo[];
  candidates: number;
}

export interface TestStepResult {
  index: number;
  ok: boolean;
  /** The state value the real actor was in when the step was checked (null if it never started). */
  value: unknown;
  /** What failed: a safety invariant, the step's expected state or context, or the run itself. */
  failure?: { kind: 'invariant' | 'assertion' | 'error'; message: string };
}

/** What a run of a path reports, in order, under the id of the call that started it. */
export type TestRunEvent =
  | { id: string; kind: 'started'; machine: ActorKind; path: string; steps: number }
  | { id: string; kind: 'step'; result: TestStepResult }
  | { id: string; kind: 'finished'; ok: boolean; passed: number; failed: number; skipped: number; ms: number }
  | { id: string; kind: 'refused'; error: string };

/** On the wire, a run's progress streams as events; its end (finished or refused) is the call's reply. */
export type TestRunProgress = Extract<TestRunEvent, { kind: 'started' | 'step' }>;

/** The value of a runTestPath reply. */
export type TestRunSummary = Omit<Extract<TestRunEvent, { kind: 'finished' }>, 'id' | 'kind'>;
