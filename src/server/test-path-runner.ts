/**
 * What the "Test paths" thread does with src/testing: describes a machine's generated paths for
 * the wire, and runs one of them step by step on a fresh engine in its own temp workspace,
 * reporting each step as it is checked. A run that throws is a failed step, never a throw.
 */
import type { EventObject } from 'xstate';
import type { PathDriver } from '../testing/driver.js';
import { describeEvent, type PlannedPath } from '../testing/paths.js';
import type { MachinePlan } from '../testing/plans.js';
import type { TestPathInfo, TestRunEvent, TestStepResult } from '../protocol/wire.js';

type AnyPath = PlannedPath<unknown, EventObject>;
type Finished = Omit<Extract<TestRunEvent, { kind: 'finished' }>, 'id' | 'kind'>;

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
  const message = error instanceof Error ? error.message : String(error);
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
export async function runPlannedPath(plan: MachinePlan, path: AnyPath, onStep: (result: TestStepResult) => void): Promise<Finished> {
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
