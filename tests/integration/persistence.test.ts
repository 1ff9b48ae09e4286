import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { flatWorkerContext } from '../../src/machines/worker-flat.js';
import { call, done, pause, reply, startEngine, statuses, ticket, type Harness } from '../support/engine-harness.js';

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const harness of harnesses.splice(0)) await harness.cleanup();
});

const script = {
  T1: [reply(call('a', 'write_file', { path: 'T1.txt', content: 'one' })), done('b', 'did T1')],
  T2: [reply(call('c', 'write_file', { path: 'T2.txt', content: 'two' })), done('d', 'did T2')],
};

describe('persistence', () => {
  it('a run persisted at a pause goes on from that pause in a new engine', async () => {
    const first = startEngine({ tickets: [ticket('T1'), ticket('T2', ['T1'])], script });
    harnesses.push(first);
    await pause(first.engine, 'T1', 'approval');
    const persisted = JSON.parse(JSON.stringify(first.engine.conductor.getPersistedSnapshot()));
    expect(persisted.children.T1.snapshot.children.worker.snapshot.value).toEqual({ toolCycle: { awaitingApproval: 'ready' } });
    await first.engine.stop();

    const second = startEngine({ tickets: [ticket('T1'), ticket('T2', ['T1'])], script, snapshot: persisted });
    harnesses.push(second);
    cpSync(first.workspace, second.workspace, { recursive: true });
    const worker = await pause(second.engine, 'T1', 'approval');
    expect(worker.getSnapshot().context.messages.at(-1)).toMatchObject({ content: [{ id: 'a', name: 'write_file' }] });
    second.engine.command({ kind: 'conductor' }, { type: 'conductor.set_trust_override', override: 'auto' });
    second.engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' });
    const outcome = await second.engine.finished();
    expect(outcome).toEqual({ state: 'done', tickets: { T1: 'completed', T2: 'completed' } });
    expect(readFileSync(join(second.workspace, 'T2.txt'), 'utf8')).toBe('two');
    expect(statuses(second.journal)).toContain('T2:running');
    expect(second.journal[0]).toMatchObject({ kind: 'run.resume' });
  });

  it('a run persisted before the worker\'s context was grouped goes on from its pause', async () => {
    const first = startEngine({ tickets: [ticket('T1'), ticket('T2', ['T1'])], script });
    harnesses.push(first);
    await pause(first.engine, 'T1', 'approval');
    const persisted = JSON.parse(JSON.stringify(first.engine.conductor.getPersistedSnapshot()));
    const grouped = persisted.children.T1.snapshot.children.worker.snapshot;
    // As older runs persisted it: one flat context.
    const old = structuredClone(persisted);
    old.children.T1.snapshot.children.worker.snapshot.context = flatWorkerContext(grouped.context);
    expect(old.children.T1.snapshot.children.worker.snapshot.context).toMatchObject({ ticketId: 'T1', attempt: 1, budget: null, budgetPauses: 0, rerun: null });
    await first.engine.stop();

    const second = startEngine({ tickets: [ticket('T1'), ticket('T2', ['T1'])], script, snapshot: old });
    harnesses.push(second);
    cpSync(first.workspace, second.workspace, { recursive: true });
    const worker = await pause(second.engine, 'T1', 'approval');
    expect(worker.getSnapshot().context).toEqual(grouped.context);
    second.engine.command({ kind: 'conductor' }, { type: 'conductor.set_trust_override', override: 'auto' });
    second.engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' });
    expect(await second.engine.finished()).toEqual({ state: 'done', tickets: { T1: 'completed', T2: 'completed' } });
    expect(readFileSync(join(second.workspace, 'T1.txt'), 'utf8')).toBe('one');
    expect(readFileSync(join(second.workspace, 'T2.txt'), 'utf8')).toBe('two');
  });
});
