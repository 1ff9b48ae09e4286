import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from 'xstate';
import type { ModelClient, ModelTurnRequest } from '../../src/models/model-client.js';
import { agent, done, startEngine, testConfig, ticket, until, type Harness } from '../support/engine-harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

/** An anthropic-profile stand-in that answers at once and records who asked. */
function fakeClient(asked: string[]): ModelClient {
  return {
    label: 'fake anthropic',
    async *turn(request: ModelTurnRequest) {
      asked.push(request.ticketId);
      return { message: done(`${request.ticketId}_done`, `did ${request.ticketId}`), stop_reason: 'tool_use' as const, usage: { input_tokens: 10, output_tokens: 5 } };
    },
  };
}

describe('the rate-limit scheduler is one actor shared by every worker of a profile', () => {
  it('lives in the actor system under its systemId, persists with the conductor, and holds the second request back', async () => {
    const config = testConfig({ agents: { codegen: agent('auto', { model: 'fake' }) } });
    config.models = { fake: { provider: 'anthropic', model: 'claude-test', requests_per_minute: 1 } };
    const asked: string[] = [];
    harness = startEngine({ tickets: [ticket('T1'), ticket('T2')], script: {}, config, model: fakeClient(asked), waitUntil: () => new Promise(() => {}) });
    const { engine } = harness;
    const limiter = engine.conductor.system.get('rate-limiter:fake');
    expect(limiter).toBeDefined();
    const persisted = engine.conductor.getPersistedSnapshot() as unknown as { children: Record<string, unknown> };
    expect(Object.keys(persisted.children)).toContain('rate-limiter:fake');

    // One request a minute: whichever worker comes second waits, and says why. (Each ticket prepares first.)
    await until(engine, () => engine.worker('T1') !== undefined && engine.worker('T2') !== undefined);
    const waiter = await Promise.race(
      ['T1', 'T2'].map((id) => waitFor(engine.worker(id)!, (state) => state.context.waiting !== null).then(() => id)),
    );
    expect(engine.worker(waiter)!.getSnapshot().context.waiting?.reason).toMatch(/request/i);
    expect(asked).toHaveLength(1);
    expect(engine.command({ kind: 'worker', id: waiter }, { type: 'clutch.retry_now' })).toBe(true);
    expect((await engine.finished()).tickets).toEqual({ T1: 'completed', T2: 'completed' });
    expect(asked.sort()).toEqual(['T1', 'T2']);
  });
});
