/**
 * The "Test paths" worker thread: generating a machine's paths takes seconds of synchronous work,
 * and a run drives a whole engine, so both happen here, off the server's event loop. Each
 * machine's paths are generated once, on first use, and kept.
 */
import { parentPort } from 'node:worker_threads';
import type { EventObject } from 'xstate';
import type { ActorKind, TestPathInfo, TestStepResult } from '../protocol/wire.js';
import type { PlannedPath } from '../testing/paths.js';
import { planFor, type MachinePlan } from '../testing/plans.js';
import { describePath, pathId, runPlannedPath } from './test-path-runner.js';

export type ThreadRequest = { kind: 'list'; machine: ActorKind } | { kind: 'run'; run: number; machine: ActorKind; path: string };

export type ThreadReply =
  | { kind: 'list'; machine: ActorKind; ok: true; paths: TestPathInfo[]; candidates: number }
  | { kind: 'list'; machine: ActorKind; ok: false; error: string }
  | { kind: 'started'; run: number; steps: number }
  | { kind: 'step'; run: number; result: TestStepResult }
  | { kind: 'finished'; run: number; ok: boolean; passed: number; failed: number; skipped: number; ms: number }
  | { kind: 'refused'; run: number; error: string };

const plans = new Map<ActorKind, MachinePlan>();

function planOf(machine: ActorKind): MachinePlan {
  let plan = plans.get(machine);
  if (!plan) {
    plan = planFor(machine);
    plans.set(machine, plan);
  }
  return plan;
}

function post(reply: ThreadReply): void {
  parentPort!.postMessage(reply);
}

async function handle(request: ThreadRequest): Promise<void> {
  if (request.kind === 'list') {
    try {
      const { generated } = planOf(request.machine);
      post({ kind: 'list', machine: request.machine, ok: true, paths: generated.paths.map((path, index) => describePath(request.machine, path, index)), candidates: generated.candidates });
    } catch (error) {
      post({ kind: 'list', machine: request.machine, ok: false, error: `the ${request.machine} paths could not be generated: ${error instanceof Error ? error.message : String(error)}` });
    }
    return;
  }
  const { run, machine } = request;
  let plan: MachinePlan;
  try {
    plan = planOf(machine);
  } catch (error) {
    post({ kind: 'refused', run, error: `the ${machine} paths could not be generated: ${error instanceof Error ? error.message : String(error)}` });
    return;
  }
  const index = plan.generated.paths.findIndex((_path, position) => pathId(machine, position) === request.path);
  if (index < 0) {
    post({ kind: 'refused', run, error: `there is no ${machine} path ${request.path}` });
    return;
  }
  const path = plan.generated.paths[index] as PlannedPath<unknown, EventObject>;
  post({ kind: 'started', run, steps: path.steps.length });
  const summary = await runPlannedPath(plan, path, (result) => post({ kind: 'step', run, result }));
  post({ kind: 'finished', run, ...summary });
}

parentPort!.on('message', (request: ThreadRequest) => {
  void handle(request);
});

// A stray rejection from a run's engine after its outcome was posted must not end the thread
// (and with it every machine's generated paths); the run's report already stands.
process.on('unhandledRejection', () => {});
