import { afterEach, describe, expect, it } from 'vitest';
import { ConductorPersister, persistedConductor } from '../../src/actors/persisted-conductor.js';
import { call, done, pause, reply, startEngine, ticket, type Harness } from '../support/engine-harness.js';

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const harness of harnesses.splice(0)) await harness.cleanup();
});

const script = {
  T1: [reply(call('a', 'write_file', { path: 'T1.txt', content: 'one' })), done('b', 'did T1')],
  T2: [reply(call('c', 'write_file', { path: '../outside.txt', content: 'two' })), done('d', 'did T2')],
  T3: [reply(call('e', 'write_file', { path: 'T3.txt', content: 'three' })), done('f', 'did T3')],
};

/**
 * The store's snapshot skips XState's walk of the conductor's context and reuses what did not change
 * since the last commit; it must be the same snapshot, one-off and from a persister kept across the run.
 */
let persister = new ConductorPersister();
const same = (harness: Harness) => {
  const expected = JSON.parse(JSON.stringify(harness.engine.conductor.getPersistedSnapshot()));
  expect(JSON.parse(JSON.stringify(persistedConductor(harness.engine.conductor)))).toEqual(expected);
  expect(JSON.parse(JSON.stringify(persister.persist(harness.engine.conductor)))).toEqual(expected);
};

describe('the conductor snapshot the store commits', () => {
  it('equals getPersistedSnapshot() before the start, at pauses, with a ticket blocked, and at the end', async () => {
    const harness = startEngine({ tickets: [ticket('T1'), ticket('T2'), ticket('T3', ['T1'])], script, start: false });
    harnesses.push(harness);
    persister = new ConductorPersister();
    same(harness);
    harness.engine.start();
    await pause(harness.engine, 'T1', 'approval');
    await pause(harness.engine, 'T2', 'approval');
    same(harness);
    harness.engine.command({ kind: 'worker', id: 'T2' }, { type: 'clutch.abort', reason: 'no' });
    harness.engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' });
    await pause(harness.engine, 'T1', 'review');
    same(harness);
    harness.engine.command({ kind: 'conductor' }, { type: 'conductor.set_trust_override', override: 'auto' });
    harness.engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' });
    harness.engine.command({ kind: 'ticket', id: 'T2' }, { type: 'ticket.skip' });
    expect(await harness.engine.finished()).toMatchObject({ state: 'done' });
    same(harness);
  });
});
