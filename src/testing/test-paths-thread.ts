/**
 * The inspector's "Test paths", run in a worker thread of their own: the server starts this entry
 * by URL (src/server/test-paths.ts, through the tsx loader src/server/test-paths-thread.mjs) and
 * never imports it, so the production server loads none of src/testing. The two sides share only
 * protocol types: the server asks with the socket's own calls (testPaths, runTestPath), and the
 * thread answers as the socket does (a run's progress, then one reply per call).
 *
 * Generating a machine's paths takes seconds of synchronous work, and a run drives a whole engine,
 * so both happen here, off the server's event loop. Each machine's paths are generated once, on
 * first use, and kept. A run goes step by step on a fresh engine in its own temp workspace; a run
 * that throws is a failed step, never a throw.
 */
import type { MessagePort } from 'node:worker_threads';
import type { EventObject } from 'xstate';
import type { ActorKind, CallMessage, Reply, TestPathInfo, TestPathList, TestRunProgress, TestRunSummary, TestStepResult } from '../protocol/wire.js';
import type { PathDriver } from './driver.js';
import type { PlannedPath } from './paths.js';
import { planFor, type MachinePlan } from './plans.js';
import { errorText } from '../protocol/error-text.js';

type ThreadRequest = CallMessage<'testPaths'> | CallMessage<'runTestPath'>;
type ThreadReply = TestRunProgress | Reply<TestPathList> | Reply<TestRunSummary>;

type AnyPath = PlannedPath<unknown, EventObject>;

const PAYLOAD_CHARS = 80;

export const pathId = (machine: string, index: number) => `${machine}-${index + 1}`;

function payloadOf(event: EventObject): string {
  const { type: _type, ...payload } = event as EventObject & Record<string, unknown>;
  if (Object.keys(payload).length === 0) return '';
  const text = JSON.stringify(payload);
  return text.length > PAYLOAD_CHARS ? `${text.slice(0, PAYLOAD_CHARS - 1)}…` : text;
}

export function describePath(machine: string, path: AnyPath, index: number): TestPathInfo {
  return {
    id: pathId(machine, index),
    description: path.name,
    source: path.source,
    synthetic: path.steps.some((step) => 'synthetic' in step.event),
    ends: path.steps.at(-1)?.value ?? null,
    steps: path.steps.map((step, position) => ({
      index: position,
      event: step.event.type,
      payload: payloadOf(step.event),
      before: position === 0 ? null : path.steps[position - 1]!.value,
      after: step.value,
    })),
  };
}

function failureOf(error: unknown): NonNullable<TestStepResult['failure']> {
  const message = errorText(error);
  if (message.startsWith('safety properties violated')) return { kind: 'invariant', message };
  // The recorder's wait for the step's state, or a context that disagrees with the abstract one.
  if (message.startsWith('timed out:') || message.startsWith('an injected fault')) return { kind: 'assertion', message };
  return { kind: 'error', message };
}

/** The state the actor is in now: where a failed step left it. */
function realValue(driver: PathDriver<unknown, EventObject> | undefined): unknown {
  if (!driver) return null;
  const entries = driver.session.recorder.entries.get(driver.subject) ?? [];
  for (let index = entries.length - 1; index >= 0; index -= 1) {
    const entry = entries[index]!;
    if (entry.kind === 'snap') return entry.value;
  }
  return null;
}

/**
 * Runs one path the way tests/model does (`path.test` with the driver's perform and check), and
 * calls `onStep` once per step checked: passed, or failed with what failed. Steps after a failure
 * are skipped. The engine and its workspace are disposed of whatever happens.
 */
export async function runPlannedPath(plan: MachinePlan, path: AnyPath, onStep: (result: TestStepResult) => void): Promise<TestRunSummary> {
  const started = performance.now();
  let driver: PathDriver<unknown, EventObject> | undefined;
  let step = -1;
  let passed = 0;
  let failed = 0;
  try {
    driver = plan.drive(path);
    const current = driver;
    const types = new Set(path.steps.map((planned) => planned.event.type));
    const events = Object.fromEntries(
      [...types].map((type) => [
        type,
        (planned: { event: EventObject }) => {
          step += 1;
          return current.perform(planned.event);
        },
      ]),
    );
    const check = async () => {
      await current.check();
      passed += 1;
      onStep({ index: step, ok: true, value: current.reached });
    };
    await path.test.test({ events: events as never, states: { '*': check } });
  } catch (error) {
    failed = 1;
    onStep({ index: Math.max(0, step), ok: false, value: realValue(driver), failure: failureOf(error) });
  } finally {
    try {
      await driver?.session.dispose();
    } catch {
      // The workspace may be half gone already; the run's outcome stands.
    }
  }
  return { ok: failed === 0 && passed === path.steps.length, passed, failed, skipped: path.steps.length - passed - failed, ms: Math.round(performance.now() - started) };
}

const plans = new Map<ActorKind, MachinePlan>();

function planOf(machine: ActorKind): MachinePlan {
  let plan = plans.get(machine);
  if (!plan) {
    plan = planFor(machine);
    plans.set(machine, plan);
  }
  return plan;
}

const notGenerated = (machine: ActorKind, error: unknown) => `the ${machine} paths could not be generated: ${errorText(error)}`;

async function handle(request: ThreadRequest, post: (reply: ThreadReply) => void): Promise<void> {
  const { id, machine } = request;
  if (request.type === 'testPaths') {
    try {
      const { generated } = planOf(machine);
      post({ id, ok: true, value: { machine, paths: generated.paths.map((path, index) => describePath(machine, path, index)), candidates: generated.candidates } });
    } catch (error) {
      post({ id, ok: false, error: notGenerated(machine, error) });
    }
    return;
  }
  let plan: MachinePlan;
  try {
    plan = planOf(machine);
  } catch (error) {
    post({ id, ok: false, error: notGenerated(machine, error) });
    return;
  }
  const index = plan.generated.paths.findIndex((_path, position) => pathId(machine, position) === request.path);
  if (index < 0) {
    post({ id, ok: false, error: `there is no ${machine} path ${request.path}` });
    return;
  }
  const path = plan.generated.paths[index] as AnyPath;
  post({ id, kind: 'started', machine, path: request.path, steps: path.steps.length });
  const summary = await runPlannedPath(plan, path, (result) => post({ id, kind: 'step', result }));
  post({ id, ok: true, value: summary });
}

/** The thread's main: answers the server's requests on `port` until the thread is terminated. */
export function serveTestPaths(port: MessagePort): void {
  port.on('message', (request: ThreadRequest) => {
    void handle(request, (reply) => port.postMessage(reply));
  });
  // A stray rejection from a run's engine after its outcome was posted must not end the thread
  // (and with it every machine's generated paths); the run's report already stands.
  process.on('unhandledRejection', () => {});
}
