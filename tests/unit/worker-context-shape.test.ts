import { describe, expect, it } from 'vitest';
import type { SnapshotFrom } from 'xstate';
import { workerMachine } from '../../src/machines/worker.js';
import { flatPersisted, flatWorkerContext, flatWorkerSnapshot, groupedWorkerContext, upgradePersisted } from '../../src/machines/worker-flat.js';
import type { WorkerInput } from '../../src/machines/worker-types.js';
import type { BudgetStop } from '../../src/protocol/index.js';
import { assistant, modelReply, previewDone, start, step, text, toolDone, toolUse, type EventFor } from '../support/pure.js';

type Snapshot = SnapshotFrom<typeof workerMachine>;

const input: WorkerInput = {
  ticketId: 'T1',
  attempt: 2,
  archetype: 'coder',
  profile: 'scripted',
  system: 'You are a test worker.',
  prompt: 'Fix a.txt',
  tools: ['read_file', 'edit_file', 'task_complete'],
  trust: 'step',
  trustOverride: 'none',
  maxTurns: 5,
  qa: { archetype: 'qa', profile: 'scripted', system: 'QA.', trust: 'auto', rawLines: 20 },
};

const read = toolUse('tu1', 'read_file', { path: 'a.txt' });
const edit = toolUse('tu2', 'edit_file', { path: 'a.txt', old_string: 'helo', new_string: 'hello' });
const finish = toolUse('tu3', 'task_complete', { summary: 'Fixed a.txt' });
const stop: BudgetStop = {
  scope: 'ticket',
  ticket: 'T1',
  reached: 'tokens',
  spent: { tokens: 120, cost_usd: null },
  limits: { max_tokens: 100 },
  reason: 'ticket T1 spent 120 tokens of its 100',
};

/** A step-mode worker through both pauses, an edit approved in one answer, a budget pause and its raise, to the end. */
function lifecycle(): Snapshot[] {
  const seen: Snapshot[] = [];
  let snapshot = start(workerMachine, input).snapshot;
  seen.push(snapshot);
  const go = (event: EventFor<typeof workerMachine> | ((snapshot: Snapshot) => EventFor<typeof workerMachine>)) => {
    snapshot = step(workerMachine, snapshot, typeof event === 'function' ? event(snapshot) : event).snapshot;
    seen.push(snapshot);
  };
  go(modelReply(assistant(text('Let me look.'), read, edit)));
  go((now) => previewDone(now, { kind: 'text', text: 'read a.txt' }));
  go({ type: 'clutch.approve' });
  go(toolDone('helo'));
  go({ type: 'clutch.approve' });
  go((now) => previewDone(now, { kind: 'text', text: 'the edit' }));
  go({ type: 'clutch.edit_payload', input: { path: 'a.txt', old_string: 'helo', new_string: 'hello!' }, approve: true });
  expect(snapshot.context.grant.approveEdited).toBe('tu2');
  go((now) => previewDone(now, { kind: 'text', text: 'the edited edit' }));
  go(toolDone('edited'));
  go({ type: 'clutch.approve' });
  go({ type: 'model.over_budget', budget: stop });
  expect(snapshot.value).toBe('budgetPaused');
  go({ type: 'worker.budget_raised' });
  go(modelReply(assistant(finish)));
  go((now) => previewDone(now, { kind: 'text', text: 'finish' }));
  go({ type: 'clutch.approve' });
  expect(snapshot.status).toBe('done');
  return seen;
}

describe('worker: the shape of its context', () => {
  // As the conductor's and the ticket's: past 19 fields, every assign copies a dictionary-mode object.
  it('keeps the same fields, at most 19 of them, at every step of a run', () => {
    const seen = lifecycle();
    const keys = Object.keys(seen[0]!.context);
    expect(keys.length).toBeLessThanOrEqual(19);
    for (const snapshot of seen) expect(Object.keys(snapshot.context)).toEqual(keys);
    expect(seen.at(-1)!.context.outcome.summary).toBe('Fixed a.txt');
    expect(seen.at(-1)!.context.budget).toEqual({ stop: null, pauses: 1 });
  });

  it('is shown flat, as older runs persisted it, and grouped back the same', () => {
    for (const snapshot of lifecycle()) {
      const flat = flatWorkerContext(snapshot.context);
      expect(flat).toMatchObject({ ticketId: 'T1', attempt: 2, archetype: 'coder', maxTurns: 5, messages: snapshot.context.messages, budgetPauses: snapshot.context.budget.pauses });
      expect('settings' in flat).toBe(false);
      const grouped = groupedWorkerContext(flat);
      expect(grouped).toEqual(snapshot.context);
      expect(Object.keys(grouped)).toEqual(Object.keys(snapshot.context));
      // Either shape goes through both as it should.
      expect(flatWorkerContext(flat)).toBe(flat);
      expect(groupedWorkerContext(snapshot.context)).toBe(snapshot.context);
    }
  });

  it('a flat context from an older run without the fields added since gets a new worker\'s values', () => {
    const context = flatWorkerContext(start(workerMachine, input).snapshot.context) as Partial<ReturnType<typeof flatWorkerContext>>;
    delete context.approveEdited;
    delete context.budget;
    delete context.budgetPauses;
    delete context.hint;
    const grouped = groupedWorkerContext(context as ReturnType<typeof flatWorkerContext>);
    expect(grouped).toEqual(start(workerMachine, input).snapshot.context);
  });

  it('upgrades every worker in a persisted tree and leaves everything else as it was', () => {
    const paused = lifecycle()[2]!;
    const persisted = workerMachine.getPersistedSnapshot(paused) as unknown as { context: unknown };
    const old = { ...persisted, context: flatWorkerContext(paused.context) };
    const other = { status: 'active', context: { n: 1 }, children: {} };
    const tree = (worker: unknown) => ({
      status: 'active',
      context: { tickets: [] },
      children: {
        T1: { src: 'ticket', systemId: 'ticket:T1', snapshot: { status: 'active', context: { attempts: 1 }, children: { worker: { src: 'worker', systemId: 'worker:T1', snapshot: worker } } } },
        T2: { src: 'ticket', systemId: 'ticket:T2', snapshot: other },
      },
    });
    const upgraded = upgradePersisted(tree(old));
    expect(upgraded).toEqual(tree(persisted));
    expect(upgraded.children.T2.snapshot).toBe(other);
    // Nothing to upgrade: the very same objects.
    const current = tree(persisted);
    expect(upgradePersisted(current)).toBe(current);
    // And back, for debug_state.json: the tree flat, as older runs wrote it.
    expect(flatPersisted(current)).toEqual(tree(old));
    expect(flatWorkerSnapshot(persisted)).toEqual(old);
    const flat = tree(old);
    expect(flatPersisted(flat)).toBe(flat);
  });
});
