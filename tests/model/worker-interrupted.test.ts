import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EventObject } from 'xstate';
import type { JournalEntry } from '../../src/actors/journal.js';
import type { PlannedPath } from '../../src/testing/paths.js';
import { workerPaths } from '../../src/testing/plans.js';
import { TOOL_DONE, type WorkerModelContext, type WorkerModelEvent } from '../../src/testing/worker.js';
import { WorkerDriver } from '../../src/testing/worker-driver.js';

/**
 * The targeted interrupted paths of the worker's model, run on the real engine as the suite runs
 * them, and then what they left behind checked in detail: the run store's ledger, the journal, the
 * workspace and what the model was sent. The call is `r1c0`, the first call of the first reply.
 */
type Path = PlannedPath<WorkerModelContext, WorkerModelEvent>;

const targeted = workerPaths().paths.filter((path) => path.source === 'targeted');
const interruptedPath = (answer: 'clutch.rerun' | 'clutch.use_output'): Path => {
  const path = targeted.find((candidate) => candidate.steps.some((step) => step.event.type === answer));
  if (!path) throw new Error(`no targeted path answers the interrupted pause with ${answer}`);
  expect(path.steps.some((step) => step.event.type === TOOL_DONE && 'interrupted' in step.event)).toBe(true);
  return path;
};

const KEY = { ticket: 'T1', attempt: 1, toolUseId: 'r1c0' };

async function run(path: Path, inspect: (driver: WorkerDriver) => void): Promise<void> {
  const driver = new WorkerDriver(path);
  try {
    const types = new Set(path.steps.map((step) => step.event.type));
    const events = Object.fromEntries([...types].map((type) => [type, (step: { event: EventObject }) => driver.perform(step.event)]));
    await path.test.test({ events: events as never, states: { '*': () => driver.check() } });
    inspect(driver);
  } finally {
    await driver.session.dispose();
  }
}

const kinds = (journal: readonly JournalEntry[], id: string) =>
  journal.flatMap((entry) => {
    if ((entry.kind === 'tool' || entry.kind === 'tool.interrupted') && entry.tool_use_id === id) return [entry.kind];
    if (entry.kind === 'command' && entry.target === 'worker:T1') return [(entry.event as { type: string }).type];
    if (entry.kind === 'ticket.status' && entry.ticket === 'T1') return [`T1 ${entry.status}`];
    return [];
  });

describe('a command found interrupted, on the real engine with a run store', () => {
  it('waits for the human whatever the trust, then runs once on clutch.rerun; its result is recorded', async () => {
    await run(interruptedPath('clutch.rerun'), ({ session }) => {
      expect(kinds(session.journal, 'r1c0')).toEqual([
        'T1 running',
        'T1 step_paused',
        'clutch.approve',
        'T1 running',
        'tool.interrupted',
        'T1 step_paused',
        'clutch.set_trust',
        'clutch.set_trust',
        'clutch.rerun',
        'T1 running',
        'tool',
        'T1 step_paused',
        'clutch.approve',
        'T1 running',
        'T1 step_paused',
        'clutch.approve',
        'T1 running',
        'T1 completed',
      ]);
      // The command ran once (it appends a line per run), and the ledger has its result.
      expect(readFileSync(join(session.workspace, 'r1c0.txt'), 'utf8')).toBe('r1c0 ran\n');
      expect(session.log!.toolCall(KEY)).toMatchObject({ tool: 'run_command', result: { is_error: false } });
      expect(session.engine.track().tickets[0]).toMatchObject({ status: 'completed', summary: 'finished after r1c1' });
    });
  }, 20_000);

  it('does not run on clutch.use_output: the model gets an empty result, after pause 2', async () => {
    await run(interruptedPath('clutch.use_output'), ({ session }) => {
      expect(kinds(session.journal, 'r1c0')).toEqual([
        'T1 running',
        'T1 step_paused',
        'clutch.approve',
        'T1 running',
        'tool.interrupted',
        'T1 step_paused',
        'clutch.use_output',
        'T1 running',
        'tool',
        'T1 step_paused',
        'clutch.approve',
        'T1 running',
        'T1 step_paused',
        'clutch.approve',
        'T1 running',
        'T1 completed',
      ]);
      expect(existsSync(join(session.workspace, 'r1c0.txt'))).toBe(false);
      // Still only the intent from before the "crash": nothing ran, so nothing was recorded.
      expect(session.log!.toolCall(KEY)).toMatchObject({ tool: 'run_command', result: null });
      const second = session.model.requests[1]!;
      expect(second.messages.at(-1)).toEqual({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'r1c0', content: '', is_error: false }] });
    });
  }, 20_000);
});
