import { afterEach, describe, expect, it } from 'vitest';
import type { ActorKind, BatchMessage, ServerMessage } from '../../src/protocol/wire.js';
import { Hub, type HubOptions } from '../../src/server/hub.js';
import type { RunEvent, TestPaths } from '../../src/server/test-paths.js';
import { sessionInfo } from '../../src/server/session.js';
import { done, pause, startEngine, ticket, type Harness } from '../support/engine-harness.js';
import { ManualClock } from '../support/manual-clock.js';

/** What the hub holds for one client is bounded: batches split, reading stops, big answers and errors are capped. */
let harness: Harness | undefined;
let hub: Hub | undefined;
afterEach(async () => {
  hub?.close();
  hub = undefined;
  await harness?.cleanup();
  harness = undefined;
});

const command = (id: string, mode: 'async' | 'linear') => JSON.stringify({ type: 'command', id, target: { kind: 'conductor' }, command: { type: 'conductor.set_mode', mode } });

/** Lets the promises of async calls settle (the hub's clock is manual; the event loop is not). */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Test paths whose lists come at once (workers only). */
function fakeTestPaths(): TestPaths {
  return {
    list: async (machine: ActorKind) => (machine === 'worker' ? { ok: true as const, paths: [], candidates: 3 } : { ok: false as const, error: `no ${machine} paths today` }),
    run: (_machine: ActorKind, _path: string, onEvent: (event: RunEvent) => void) => onEvent({ kind: 'refused', error: 'not here' }),
    close: async () => {},
  } as unknown as TestPaths;
}

describe('the hub: bounded per client', () => {
  async function boundedHub(options: Pick<HubOptions, 'maxBatchBytes' | 'maxBacklog' | 'testPaths'>) {
    harness = startEngine({ tickets: [ticket('T1')], script: { T1: [done('toolu_1')] } });
    await pause(harness.engine, 'T1', 'approval');
    const clock = new ManualClock();
    const session = sessionInfo('test-run', harness.engine.options.track, harness.engine.options.config, 'scripted model', harness.engine.options.workspace);
    hub = new Hub(harness.engine, session, { clock, intervalMs: 33, ...options });
    const raw: string[] = [];
    const reading: string[] = [];
    const client = hub.connect({ send: (data) => raw.push(data), bufferedAmount: () => 0, pause: () => reading.push('pause'), resume: () => reading.push('resume') });
    clock.advance(0);
    const messages = () => raw.map((data) => JSON.parse(data) as ServerMessage);
    const batches = () => messages().filter((message): message is BatchMessage => message.type === 'batch');
    return { clock, raw, reading, client, messages, batches, hub: hub!, engine: harness.engine };
  }

  it('splits what would be too big for one batch over the next ones, in order, a reply never before the views it follows', async () => {
    const { clock, raw, client, batches } = await boundedHub({ maxBatchBytes: 2000 });
    for (let index = 0; index < 60; index += 1) client.receive(command(`m${index}`, index % 2 === 0 ? 'linear' : 'async'), 80);
    for (let tick = 0; tick < 20; tick += 1) clock.advance(33);
    const after = batches().slice(1);
    expect(after.length).toBeGreaterThan(2);
    // Each batch holds about the budget at most (the first item always goes, whatever its size).
    for (const data of raw.slice(2)) expect(data.length).toBeLessThan(2000 + 400);
    expect(after.flatMap((batch) => batch.replies).map((reply) => reply.id)).toEqual(Array.from({ length: 60 }, (_, index) => `m${index}`));
    expect(after.flatMap((batch) => batch.journal).filter((entry) => (entry as { kind: string }).kind === 'command')).toHaveLength(60);
    const firstWithReplies = after.findIndex((batch) => batch.replies.length > 0);
    const firstWithConductor = after.findIndex((batch) => batch.actors.some((view) => view.key === 'conductor'));
    expect(firstWithConductor).toBeGreaterThanOrEqual(0);
    expect(firstWithConductor).toBeLessThanOrEqual(firstWithReplies);
    expect(after.map((batch) => batch.seq)).toEqual(after.map((_, index) => index + 2));
  });

  it('stops reading a client at its backlog, resumes once its replies went out, and refuses unread past four times it', async () => {
    const { clock, reading, client, batches, hub: bounded } = await boundedHub({ maxBacklog: 4 });
    const mode = (index: number) => (index % 2 === 0 ? 'linear' : 'async');
    for (let index = 0; index < 3; index += 1) client.receive(command(`a${index}`, mode(index)), 80);
    expect(reading).toEqual([]);
    client.receive(command('a3', mode(3)), 80);
    expect(reading).toEqual(['pause']);
    expect(bounded.clientQueues()[0]).toMatchObject({ pending: 4, replies: 4, paused: true });
    // Frames read already still come (a socket's buffer): taken up to 16, refused past it.
    for (let index = 4; index < 20; index += 1) client.receive(command(`a${index}`, mode(index)), 80);
    clock.advance(33);
    expect(reading).toEqual(['pause', 'resume']);
    expect(bounded.clientQueues()[0]).toMatchObject({ pending: 0, replies: 0, replyBytes: 0, paused: false });
    const replies = batches().flatMap((batch) => batch.replies);
    expect(replies.map((reply) => reply.id)).toEqual(Array.from({ length: 20 }, (_, index) => `a${index}`));
    expect(replies.slice(0, 16).every((reply) => reply.ok)).toBe(true);
    expect(replies.slice(16)).toEqual(
      Array.from({ length: 4 }, (_, index) => ({ id: `a${16 + index}`, ok: false, error: `too many calls waiting for their replies (${17 + index}): read the replies before sending more; nothing was done` })),
    );
  });

  it('queues at most 32 errors for messages without an id, then counts the rest', async () => {
    const { clock, client, messages } = await boundedHub({ maxBacklog: 1000 });
    for (let index = 0; index < 100; index += 1) client.receive(`garbage ${index}`, 10);
    clock.advance(33);
    const errors = messages().flatMap((message) => (message.type === 'error' ? [message.error] : []));
    expect(errors).toHaveLength(33);
    expect(errors.slice(0, 32).every((error) => error.startsWith('message is not JSON'))).toBe(true);
    expect(errors[32]).toBe('68 more messages were refused as above; send one message at a time and read the replies');
  });

  it('refuses calls with big answers past their limit at once: 8 testPaths in flight, the rest refused', async () => {
    const { clock, client, batches } = await boundedHub({ testPaths: fakeTestPaths(), maxBacklog: 1000 });
    for (let index = 0; index < 30; index += 1) client.receive(JSON.stringify({ type: 'testPaths', id: `p${index}`, machine: 'worker' }), 60);
    await settled();
    clock.advance(33);
    const replies = batches().flatMap((batch) => batch.replies);
    expect(replies.filter((reply) => reply.ok).map((reply) => reply.id)).toEqual(Array.from({ length: 8 }, (_, index) => `p${index}`));
    expect(replies.filter((reply) => !reply.ok)).toEqual(Array.from({ length: 22 }, (_, index) => ({ id: `p${8 + index}`, ok: false, error: 'too many testPaths requests at once' })));
  });
});
