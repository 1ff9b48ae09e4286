import { afterEach, describe, expect, it } from 'vitest';
import { createScriptedModel, type Script } from '../../src/models/scripted.js';
import type { ActorKind, BatchMessage, ServerMessage } from '../../src/protocol/wire.js';
import { systemClock, type Clock } from '../../src/server/clock.js';
import { Hub } from '../../src/server/hub.js';
import type { RunEvent, TestPaths } from '../../src/server/test-paths.js';
import { sessionInfo } from '../../src/server/session.js';
import { call, done, pause, reply, startEngine, testConfig, text, ticket, type Harness } from '../support/engine-harness.js';
import { ManualClock } from '../support/manual-clock.js';

let harness: Harness | undefined;
let hub: Hub | undefined;
afterEach(async () => {
  hub?.close();
  hub = undefined;
  await harness?.cleanup();
  harness = undefined;
});

interface Sent {
  at: number;
  message: ServerMessage;
}

/** A hub on a real engine with a recording connection; the clock stamps each message. */
function hubOn(engine: Harness['engine'], clock: Clock, intervalMs = 33): { hub: Hub; sent: Sent[]; client: ReturnType<Hub['connect']> } {
  const session = sessionInfo('test-run', engine.options.track, engine.options.config, 'scripted model', engine.options.workspace);
  hub = new Hub(engine, session, { clock, intervalMs });
  const sent: Sent[] = [];
  const client = hub.connect({ send: (data) => sent.push({ at: clock.now(), message: JSON.parse(data) as ServerMessage }), bufferedAmount: () => 0 });
  return { hub, sent, client };
}

const batches = (sent: Sent[]) => sent.filter((entry) => entry.message.type === 'batch') as { at: number; message: Extract<ServerMessage, { type: 'batch' }> }[];
const command = (id: string, mode: 'async' | 'linear') => JSON.stringify({ type: 'command', id, target: { kind: 'conductor' }, command: { type: 'conductor.set_mode', mode } });

describe('the hub: batching', () => {
  it('coalesces a burst into one batch per interval, and runs no timer when nothing changed', async () => {
    harness = startEngine({ tickets: [ticket('T1')], script: { T1: [done('toolu_1')] } });
    // A quiet engine: T1 waits at pause 1 until a human answers.
    await pause(harness.engine, 'T1', 'approval');
    const clock = new ManualClock();
    const { sent, client } = hubOn(harness.engine, clock);
    expect(sent.map((entry) => entry.message.type)).toEqual(['hello']);
    clock.advance(0);
    expect(batches(sent)).toHaveLength(1);
    expect(clock.pending).toBe(0);

    // 40 commands at t=0, each changing the conductor: one batch at t=33 with the view once and 40 replies.
    for (let index = 0; index < 40; index += 1) client.receive(command(`m${index}`, index % 2 === 0 ? 'linear' : 'async'), 80);
    expect(clock.pending).toBe(1);
    clock.advance(32);
    expect(batches(sent)).toHaveLength(1);
    clock.advance(1);
    const second = batches(sent)[1]!;
    expect(second.at).toBe(33);
    expect(second.message.seq).toBe(2);
    expect(second.message.actors.map((view) => view.key)).toEqual(['conductor']);
    expect(second.message.replies).toHaveLength(40);
    expect(second.message.replies.every((entry) => entry.ok)).toBe(true);
    expect(second.message.journal).toHaveLength(40);
    expect(clock.pending).toBe(0);

    // Another change 7 ms later waits until 66; a quiet period lets the next one out at once.
    clock.advance(7);
    client.receive(command('n1', 'linear'), 80);
    clock.advance(25);
    expect(batches(sent)).toHaveLength(2);
    clock.advance(1);
    expect(batches(sent).map((entry) => entry.at)).toEqual([0, 33, 66]);
    clock.advance(1000);
    client.receive(command('n2', 'async'), 80);
    clock.advance(0);
    expect(batches(sent).map((entry) => entry.at)).toEqual([0, 33, 66, 1066]);
    expect(clock.pending).toBe(0);
    // Nothing else was sent: no empty batches, no idle timers.
    clock.advance(10_000);
    expect(batches(sent)).toHaveLength(4);
  });

  it('holds batches back from a client whose socket is backed up, then sends what it missed, coalesced', async () => {
    harness = startEngine({ tickets: [ticket('T1')], script: { T1: [done('toolu_1')] } });
    await pause(harness.engine, 'T1', 'approval');
    const clock = new ManualClock();
    const session = sessionInfo('test-run', harness.engine.options.track, harness.engine.options.config, 'scripted model', harness.engine.options.workspace);
    hub = new Hub(harness.engine, session, { clock, intervalMs: 33, highWaterBytes: 1000 });
    let backlog = 0;
    const slow: ServerMessage[] = [];
    const fast: ServerMessage[] = [];
    const slowClient = hub.connect({ send: (data) => slow.push(JSON.parse(data) as ServerMessage), bufferedAmount: () => backlog });
    hub.connect({ send: (data) => fast.push(JSON.parse(data) as ServerMessage), bufferedAmount: () => 0 });
    clock.advance(0);
    expect(slow.map((message) => message.type)).toEqual(['hello', 'batch']);
    backlog = 5000;
    slowClient.receive(command('s1', 'linear'), 80);
    clock.advance(33);
    slowClient.receive(command('s2', 'async'), 80);
    clock.advance(33);
    expect(slow).toHaveLength(2);
    expect(fast.filter((message) => message.type === 'batch')).toHaveLength(3);
    // Still backed up: the hub looks again an interval later, and no sooner.
    expect(clock.pending).toBe(1);
    backlog = 0;
    clock.advance(33);
    expect(slow).toHaveLength(3);
    const caughtUp = slow[2] as Extract<ServerMessage, { type: 'batch' }>;
    expect(caughtUp.seq).toBe(2);
    expect(caughtUp.actors.map((view) => view.key)).toEqual(['conductor']);
    expect(caughtUp.replies.map((entry) => entry.id)).toEqual(['s1', 's2']);
    expect(caughtUp.journal).toHaveLength(2);
    expect(clock.pending).toBe(0);
  });

  it('redacts secret values of the environment from everything it sends, whatever path they took', async () => {
    harness = startEngine({ tickets: [ticket('T1')], script: { T1: [done('toolu_1')] } });
    await pause(harness.engine, 'T1', 'approval');
    const clock = new ManualClock();
    const secret = 'sk-ant-api03-"quoted"-SAFETY-NET';
    const env = { ANTHROPIC_API_KEY: secret, GITHUB_TOKEN: 'ghp_0123456789abcdef', HOME: '/home/someone', SHORT_TOKEN: 'abc' };
    const session = sessionInfo('test-run', harness.engine.options.track, harness.engine.options.config, 'scripted model', harness.engine.options.workspace);
    hub = new Hub(harness.engine, session, { clock, env });
    const sent: string[] = [];
    hub.connect({ send: (data) => sent.push(data), bufferedAmount: () => 0 });
    clock.advance(0);
    // As if a model error or a tool's output had carried them into the journal.
    harness.engine.journal.append({ kind: 'debug_state', at: 1, after_ticket: `key=${secret} gh=ghp_0123456789abcdef`, path: '/home/someone/abc' });
    clock.advance(33);
    const last = sent.at(-1)!;
    expect(last).not.toContain('SAFETY-NET');
    expect(last).not.toContain('ghp_0123456789abcdef');
    expect((JSON.parse(last) as Extract<ServerMessage, { type: 'batch' }>).journal).toEqual([
      { kind: 'debug_state', at: 1, after_ticket: 'key=[redacted] gh=[redacted]', path: '/home/someone/abc' },
    ]);
  });

  it('stops following when closed: no message and no timer after close', () => {
    harness = startEngine({ tickets: [ticket('T1')], script: { T1: [done('toolu_1')] }, start: false });
    const clock = new ManualClock();
    const { sent, client, hub: closing } = hubOn(harness.engine, clock);
    clock.advance(0);
    client.receive(command('a', 'linear'), 80);
    closing.close();
    expect(clock.pending).toBe(0);
    clock.advance(100);
    harness.engine.start();
    expect(batches(sent)).toHaveLength(1);
  });

  it('during a streaming run on the real clock, batches are never closer than the interval', async () => {
    const tickets = Array.from({ length: 8 }, (_, index) => ticket(`T${index + 1}`));
    const body = 'streaming text for the bench of the hub, one character at a time. '.repeat(3);
    const script: Script['tickets'] = Object.fromEntries(
      tickets.map((item) => [
        item.id,
        [reply(text(body), call(`w_${item.id}`, 'write_file', { path: `${item.id}.txt`, content: body })), reply(text(body), call(`d_${item.id}`, 'task_complete', { summary: 'ok' }))],
      ]),
    );
    const model = createScriptedModel({ script: { version: 1, tickets: script } as Script, chunkSize: 1, chunkDelayMs: 1 });
    harness = startEngine({ tickets, script, model, config: testConfig({ trust: 'auto', maxConcurrency: 8 }), start: false });
    const intervalMs = 20;
    const { sent, hub: running } = hubOn(harness.engine, systemClock, intervalMs);
    const started = systemClock.now();
    harness.engine.start();
    const outcome = await harness.engine.finished();
    expect(outcome.state).toBe('done');
    const elapsed = systemClock.now() - started;
    const stamps = batches(sent).map((entry) => entry.at);
    const gaps = stamps.slice(1).map((at, index) => at - stamps[index]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(intervalMs);
    expect(stamps.length).toBeLessThanOrEqual(Math.floor(elapsed / intervalMs) + 2);
    // Thousands of snapshot changes went by, coalesced.
    const deltas = tickets.length * body.length * 2;
    expect(stamps.length).toBeLessThan(deltas / 10);
    expect(running.flushes).toBe(stamps.length);
  });
});

describe('the hub: a command handed back while a batch is being sent', () => {
  it('gets its reply in the next batch, not dropped with the batch being written', async () => {
    harness = startEngine({ tickets: [ticket('T1')], script: { T1: [done('toolu_1')] } });
    await pause(harness.engine, 'T1', 'approval');
    const clock = new ManualClock();
    const session = sessionInfo('test-run', harness.engine.options.track, harness.engine.options.config, 'scripted model', harness.engine.options.workspace);
    hub = new Hub(harness.engine, session, { clock, intervalMs: 33 });
    const sent: ServerMessage[] = [];
    let answered = false;
    const client = hub.connect({
      send: (data) => {
        sent.push(JSON.parse(data) as ServerMessage);
        // Answering from inside send, as a synchronous in-process client may.
        if (!answered && sent.at(-1)!.type === 'batch') {
          answered = true;
          client.receive(command('inside', 'linear'), 80);
        }
      },
      bufferedAmount: () => 0,
    });
    clock.advance(0);
    clock.advance(33);
    const replies = sent.flatMap((message) => (message.type === 'batch' ? message.replies : []));
    expect(replies).toEqual([{ id: 'inside', ok: true, value: null }]);
  });
});

/** Lets the promises of async calls settle (the hub's clock is manual; the event loop is not). */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A stand-in for the inspector's test paths: each run's events are played by the test. */
function fakeTestPaths() {
  const runs: { machine: string; path: string; emit: (event: RunEvent) => void }[] = [];
  const testPaths = {
    list: async (machine: ActorKind) => (machine === 'worker' ? { ok: true as const, paths: [], candidates: 3 } : { ok: false as const, error: `no ${machine} paths today` }),
    run: (machine: ActorKind, path: string, onEvent: (event: RunEvent) => void) => void runs.push({ machine, path, emit: onEvent }),
    close: async () => {},
  };
  return { testPaths: testPaths as unknown as TestPaths, runs };
}

describe('the hub: one reply per call', () => {
  async function pausedHub(testPaths?: TestPaths) {
    harness = startEngine({ tickets: [ticket('T1')], script: { T1: [done('toolu_1')] } });
    await pause(harness.engine, 'T1', 'approval');
    const clock = new ManualClock();
    const session = sessionInfo('test-run', harness.engine.options.track, harness.engine.options.config, 'scripted model', harness.engine.options.workspace);
    hub = new Hub(harness.engine, session, { clock, intervalMs: 33, ...(testPaths ? { testPaths } : {}) });
    const raw: string[] = [];
    const client = hub.connect({ send: (data) => raw.push(data), bufferedAmount: () => 0 });
    clock.advance(0);
    const batches = () => raw.map((data) => JSON.parse(data) as ServerMessage).filter((message): message is BatchMessage => message.type === 'batch');
    const call = (message: object) => client.receive(JSON.stringify(message), 80);
    return { clock, raw, batches, call, engine: harness.engine };
  }

  it('builds each batch as the JSON of one typed batch: every field, in order, as JSON.stringify writes it', async () => {
    const { clock, raw, call } = await pausedHub();
    call({ type: 'command', id: 'a', target: { kind: 'conductor' }, command: { type: 'conductor.set_mode', mode: 'linear' } });
    clock.advance(33);
    for (const data of raw) expect(JSON.stringify(JSON.parse(data))).toBe(data);
    const batch = JSON.parse(raw.at(-1)!) as BatchMessage;
    expect(Object.keys(batch)).toEqual(['type', 'seq', 'actors', 'removed', 'journal', 'timeline', 'test_runs', 'replies']);
    expect(batch.replies).toEqual([{ id: 'a', ok: true, value: null }]);
  });

  it('answers every call under its id with ok and a value, or ok:false and the reason, and never throws', async () => {
    const { testPaths } = fakeTestPaths();
    const { clock, batches, call, engine } = await pausedHub(testPaths);
    call({ type: 'testPaths', id: 'p1', machine: 'worker' });
    call({ type: 'testPaths', id: 'p2', machine: 'ticket' });
    call({ type: 'runs', id: 'r1' });
    call({ type: 'openRun', id: 'o1', run: 'test-run' });
    call({ type: 'openRun', id: 'o2', run: 'another' });
    call({ type: 'command', id: 'c1', target: { kind: 'worker', id: 'T9' }, command: { type: 'clutch.approve', pause: { kind: 'approval', tool_use_id: 'toolu_1' } } });
    call({ type: 'command', id: 'c2', command: { type: 'clutch.approve' } });
    // A Clutch bug inside a call is that call's refusal; the hub goes on.
    const send = engine.send.bind(engine);
    engine.send = () => {
      throw new Error('boom');
    };
    call({ type: 'command', id: 'c3', target: { kind: 'conductor' }, command: { type: 'conductor.start' } });
    engine.send = send;
    await settled();
    clock.advance(33);
    const replies = new Map(batches().flatMap((batch) => batch.replies).map((reply) => [reply.id, reply]));
    expect(replies.get('p1')).toEqual({ id: 'p1', ok: true, value: { machine: 'worker', paths: [], candidates: 3 } });
    expect(replies.get('p2')).toEqual({ id: 'p2', ok: false, error: 'no ticket paths today' });
    expect(replies.get('r1')).toEqual({ id: 'r1', ok: false, error: 'this server has no run store to list' });
    expect(replies.get('o1')).toEqual({ id: 'o1', ok: true, value: null });
    expect(replies.get('o2')).toEqual({ id: 'o2', ok: false, error: 'this server cannot open another run' });
    expect(replies.get('c1')).toEqual({ id: 'c1', ok: false, error: 'there is no ticket T9 in this track' });
    expect(replies.get('c2')).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid message: target: /) });
    expect(replies.get('c3')).toEqual({ id: 'c3', ok: false, error: 'internal error: boom' });
    expect(replies.size).toBe(8);
    expect(await pause(engine, 'T1', 'approval')).toBeDefined();
  });

  it("streams a test path run's steps as progress, ends it with the reply, and runs one at a time per client", async () => {
    const { testPaths, runs } = fakeTestPaths();
    const { clock, batches, call } = await pausedHub(testPaths);
    call({ type: 'runTestPath', id: 'x1', machine: 'worker', path: 'worker-1' });
    call({ type: 'runTestPath', id: 'x2', machine: 'worker', path: 'worker-2' });
    expect(runs.map((run) => run.path)).toEqual(['worker-1']);
    const [run] = runs;
    run!.emit({ kind: 'started', machine: 'worker', path: 'worker-1', steps: 2 });
    run!.emit({ kind: 'step', result: { index: 0, ok: true, value: 'prompting' } });
    clock.advance(33);
    const first = batches().at(-1)!;
    expect(first.test_runs).toEqual([
      { id: 'x1', kind: 'started', machine: 'worker', path: 'worker-1', steps: 2 },
      { id: 'x1', kind: 'step', result: { index: 0, ok: true, value: 'prompting' } },
    ]);
    expect(first.replies).toEqual([{ id: 'x2', ok: false, error: 'a test path run (x1) is in progress; wait for it to finish' }]);

    run!.emit({ kind: 'step', result: { index: 1, ok: true, value: 'completed' } });
    run!.emit({ kind: 'finished', ok: true, passed: 2, failed: 0, skipped: 0, ms: 5 });
    await settled();
    clock.advance(33);
    const last = batches().at(-1)!;
    expect(last.test_runs).toEqual([{ id: 'x1', kind: 'step', result: { index: 1, ok: true, value: 'completed' } }]);
    expect(last.replies).toEqual([{ id: 'x1', ok: true, value: { ok: true, passed: 2, failed: 0, skipped: 0, ms: 5 } }]);

    // Finished, the next run is taken; a refused one ends with a refusal.
    call({ type: 'runTestPath', id: 'x3', machine: 'worker', path: 'worker-99' });
    runs[1]!.emit({ kind: 'refused', error: 'there is no worker path worker-99' });
    await settled();
    clock.advance(33);
    expect(batches().at(-1)!.replies).toEqual([{ id: 'x3', ok: false, error: 'there is no worker path worker-99' }]);
  });
});
