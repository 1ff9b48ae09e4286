import { afterEach, describe, expect, it } from 'vitest';
import type { ServerMessage, SnapshotReply, TimelineEntry } from '../../src/protocol/wire.js';
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

type Batch = Extract<ServerMessage, { type: 'batch' }>;
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
const snapshotAt = (id: string, actor: string, seq: number) => JSON.stringify({ type: 'snapshot_at', id, actor, seq });

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

  it('answers snapshot_at with the past snapshot, or a clear refusal', async () => {
    const { engine, timeline, clock, client, batches } = await pausedHub();
    clock.advance(0);
    const atPause1 = timeline.entries('worker:T1').at(-1)!;
    engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' });
    client.receive(snapshotAt('q1', 'worker:T1', atPause1.seq), 60);
    client.receive(snapshotAt('q2', 'worker:T1', 987_654), 60);
    client.receive(JSON.stringify({ type: 'snapshot_at', id: 'q3', actor: 'worker:T1', seq: -1 }), 60);
    clock.advance(33);
    const answers = batches().flatMap((batch) => batch.snapshots ?? []);
    const ok = answers.find((answer) => answer.id === 'q1') as Extract<SnapshotReply, { ok: true }>;
    expect(ok.ok).toBe(true);
    expect(ok.snapshot).toMatchObject({ actor: 'worker:T1', seq: atPause1.seq, value: { toolCycle: { awaitingApproval: 'ready' } } });
    expect((ok.snapshot.context as { ticketId: string }).ticketId).toBe('T1');
    expect(answers.find((answer) => answer.id === 'q2')).toEqual({ id: 'q2', ok: false, error: 'the snapshot after event 987654 of worker:T1 is no longer kept' });
    // A malformed question is refused like a malformed command: a reply with its id.
    const refused = batches().flatMap((batch) => batch.replies).find((entry) => entry.id === 'q3')!;
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatch(/seq/);
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
  it('reaches a socket client from the first batch on, and answers its snapshot_at', async () => {
    server = await startTestServer({ trust: 'step' });
    const client = await connectSynced(server);
    await client.untilView('worker:T1', pausedAtApproval);
    const entries = () => client.batches.flatMap((batch) => batch.timeline ?? []);
    // createSession attached the timeline before the engine started: the run's first event is there.
    expect(entries()[0]).toMatchObject({ actor: 'conductor', event: 'xstate.init', source: null });
    await client.until(() => entries().some((entry) => entry.actor === 'worker:T1' && JSON.stringify(entry.value).includes('ready')), 'pause 1 in the timeline');
    const ready = entries().filter((entry) => entry.actor === 'worker:T1').at(-1)!;
    client.sendRaw(snapshotAt('r1', 'worker:T1', ready.seq));
    await client.until(() => client.batches.some((batch) => batch.snapshots?.some((answer) => answer.id === 'r1')), 'the snapshot');
    const answer = client.batches.flatMap((batch) => batch.snapshots ?? []).find((entry) => entry.id === 'r1')!;
    expect(answer.ok).toBe(true);
    await client.close();
  });
});
