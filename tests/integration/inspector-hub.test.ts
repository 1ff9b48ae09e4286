import { afterEach, describe, expect, it } from 'vitest';
import type { BatchMessage, PastSnapshot, Reply, ServerMessage, TimelineEntry } from '../../src/protocol/wire.js';
import { Hub } from '../../src/server/hub.js';
import { sessionInfo } from '../../src/server/session.js';
import { timelineOf } from '../../src/server/timeline.js';
import { call, done, pause, reply, startEngine, text, ticket, type Harness } from '../support/engine-harness.js';
import { ManualClock } from '../support/manual-clock.js';
import { connectSynced, pausedAtApproval, startTestServer, type ServerHarness } from '../support/server-harness.js';

/** The timeline over the wire: pushed in the hub's batches, and past snapshots on request. */
let harness: Harness | undefined;
let server: ServerHarness | undefined;
let hub: Hub | undefined;
afterEach(async () => {
  hub?.close();
  hub = undefined;
  await harness?.cleanup();
  harness = undefined;
  await server?.cleanup();
  server = undefined;
});

type Batch = BatchMessage;
const script = { T1: [reply(text('Looking.'), call('toolu_1', 'read_file', { path: 'T1.txt' })), done('toolu_2')] };

async function pausedHub(options: { backlog?: number } = {}) {
  harness = startEngine({ tickets: [ticket('T1')], script, files: { 'T1.txt': 'one\n' }, start: false });
  const timeline = timelineOf(harness.engine);
  harness.engine.start();
  await pause(harness.engine, 'T1', 'approval');
  const clock = new ManualClock();
  const session = sessionInfo('test-run', harness.engine.options.track, harness.engine.options.config, 'scripted model', harness.engine.options.workspace);
  hub = new Hub(harness.engine, session, { clock, intervalMs: 33, ...(options.backlog ? { timelineBacklog: options.backlog } : {}) });
  let backlog = 0;
  const sent: ServerMessage[] = [];
  const client = hub.connect({ send: (data) => sent.push(JSON.parse(data) as ServerMessage), bufferedAmount: () => backlog });
  const batches = () => sent.filter((message): message is Batch => message.type === 'batch');
  return { engine: harness.engine, timeline, clock, client, batches, setBacklog: (bytes: number) => (backlog = bytes) };
}

const setMode = (id: string, mode: 'async' | 'linear') => JSON.stringify({ type: 'command', id, target: { kind: 'conductor' }, command: { type: 'conductor.set_mode', mode } });
const snapshotAt = (id: string, actor: string, seq: number) => JSON.stringify({ type: 'snapshotAt', id, actor, seq });

describe('the hub and the timeline', () => {
  it('sends the whole tail in the first batch, then only the new entries, in the same batches as the views', async () => {
    const { timeline, clock, client, batches } = await pausedHub();
    clock.advance(0);
    const first = batches()[0]!;
    expect(first.timeline!.map((entry) => entry.seq)).toEqual(timeline.tail().map((entry) => entry.seq));
    expect(first.timeline!.some((entry) => entry.actor === 'worker:T1' && entry.event === 'xstate.init')).toBe(true);

    client.receive(setMode('m1', 'linear'), 80);
    client.receive(setMode('m2', 'async'), 80);
    clock.advance(33);
    expect(batches()).toHaveLength(2);
    const second = batches()[1]!;
    expect(second.replies.map((entry) => entry.id)).toEqual(['m1', 'm2']);
    expect(second.timeline!.map((entry) => [entry.actor, entry.event, entry.source, (entry.value as { mode: string }).mode])).toEqual([
      ['conductor', 'conductor.set_mode', null, 'linear'],
      ['conductor', 'conductor.set_mode', null, 'async'],
    ]);
    expect(second.timeline![0]!.seq).toBeGreaterThan(Math.max(...first.timeline!.map((entry) => entry.seq)));
    // Quiet engine, nothing more to say.
    clock.advance(1000);
    expect(batches()).toHaveLength(2);
  });

  it('answers snapshotAt with the past snapshot, or a clear refusal, in the same replies as commands', async () => {
    const { engine, timeline, clock, client, batches } = await pausedHub();
    clock.advance(0);
    const atPause1 = timeline.entries('worker:T1').at(-1)!;
    engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' });
    client.receive(snapshotAt('q1', 'worker:T1', atPause1.seq), 60);
    client.receive(snapshotAt('q2', 'worker:T1', 987_654), 60);
    client.receive(JSON.stringify({ type: 'snapshotAt', id: 'q3', actor: 'worker:T1', seq: -1 }), 60);
    client.receive(setMode('m1', 'linear'), 80);
    clock.advance(33);
    const answers = batches().flatMap((batch) => batch.replies);
    expect(answers.map((answer) => answer.id)).toEqual(['q1', 'q2', 'q3', 'm1']);
    const ok = answers.find((answer) => answer.id === 'q1') as Extract<Reply<PastSnapshot>, { ok: true }>;
    expect(ok.ok).toBe(true);
    expect(ok.value).toMatchObject({ actor: 'worker:T1', seq: atPause1.seq, value: { toolCycle: { awaitingApproval: 'ready' } } });
    expect((ok.value.context as { ticketId: string }).ticketId).toBe('T1');
    expect(answers.find((answer) => answer.id === 'q2')).toEqual({ id: 'q2', ok: false, error: 'the snapshot after event 987654 of worker:T1 is no longer kept' });
    // A malformed call is refused under its id, like any other.
    const refused = answers.find((entry) => entry.id === 'q3')!;
    expect(refused).toMatchObject({ ok: false, error: expect.stringMatching(/seq/) });
  });

  it('refuses past snapshots asked faster than they are sent, 32 at a time, and takes more after the batch', async () => {
    const { timeline, clock, client, batches } = await pausedHub();
    clock.advance(0);
    const seq = timeline.entries('worker:T1').at(-1)!.seq;
    for (let index = 0; index < 40; index += 1) client.receive(snapshotAt(`s${index}`, 'worker:T1', seq), 60);
    client.receive(setMode('m1', 'linear'), 80);
    clock.advance(33);
    const replies = batches()[1]!.replies;
    expect(replies.filter((reply) => reply.ok).map((reply) => reply.id)).toEqual([...Array.from({ length: 32 }, (_, index) => `s${index}`), 'm1']);
    expect(replies.filter((reply) => !reply.ok)).toEqual(Array.from({ length: 8 }, (_, index) => ({ id: `s${32 + index}`, ok: false, error: 'too many snapshot requests at once' })));
    client.receive(snapshotAt('again', 'worker:T1', seq), 60);
    clock.advance(33);
    expect(batches()[2]!.replies).toMatchObject([{ id: 'again', ok: true }]);
  });

  it('keeps at most timelineBacklog entries for a client that lags, the newest', async () => {
    const { clock, client, batches, setBacklog, engine } = await pausedHub({ backlog: 50 });
    clock.advance(0);
    setBacklog(100 * 1024 * 1024);
    for (let index = 0; index < 3000; index += 1) {
      engine.command({ kind: 'conductor' }, { type: 'conductor.set_mode', mode: index % 2 === 0 ? 'linear' : 'async' });
      if (index % 100 === 0) clock.advance(33);
    }
    clock.advance(33);
    expect(batches()).toHaveLength(1);
    setBacklog(0);
    clock.advance(33);
    const caughtUp = batches()[1]!;
    expect(caughtUp.timeline).toHaveLength(50);
    const seqs = caughtUp.timeline!.map((entry: TimelineEntry) => entry.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    // The newest are the ones kept: the last command's entry is there.
    expect(caughtUp.timeline!.at(-1)!.value).toMatchObject({ mode: 'async' });
  });
});

describe('the timeline over a real socket', () => {
  it('reaches a socket client from the first batch on, and answers its snapshotAt', async () => {
    server = await startTestServer({ trust: 'step' });
    const client = await connectSynced(server);
    await client.untilView('worker:T1', pausedAtApproval);
    const entries = () => client.batches.flatMap((batch) => batch.timeline ?? []);
    // createSession attached the timeline before the engine started: the run's first event is there.
    expect(entries()[0]).toMatchObject({ actor: 'conductor', event: 'xstate.init', source: null });
    await client.until(() => entries().some((entry) => entry.actor === 'worker:T1' && JSON.stringify(entry.value).includes('ready')), 'pause 1 in the timeline');
    const ready = entries().filter((entry) => entry.actor === 'worker:T1').at(-1)!;
    const answer = await client.call('snapshotAt', { actor: 'worker:T1', seq: ready.seq });
    expect(answer).toMatchObject({ ok: true, value: { actor: 'worker:T1', seq: ready.seq } });
    await client.close();
  });
});
