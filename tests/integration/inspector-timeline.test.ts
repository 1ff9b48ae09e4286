import { afterEach, describe, expect, it } from 'vitest';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { waitFor } from 'xstate';
import type { TimelineEntry } from '../../src/protocol/wire.js';
import { timelineOf, Timeline, type InspectionSource } from '../../src/server/timeline.js';
import { workerView } from '../../src/server/views.js';
import { call, done, pause, reply, startEngine, testConfig, text, ticket, type Harness } from '../support/engine-harness.js';

/**
 * The inspection timeline on the real engine: what it records for each event, the snapshots it
 * keeps for time travel, and that its memory stays bounded however long the run.
 */
let harness: Harness | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

const script = {
  T1: [reply(text('Reading the file first.'), call('toolu_1', 'read_file', { path: 'T1.txt' })), done('toolu_2')],
};

/** The engine with its timeline attached before it starts, as createSession does. */
function engineWithTimeline(options: Parameters<typeof startEngine>[0]): { harness: Harness; timeline: Timeline } {
  harness = startEngine({ ...options, start: false });
  const timeline = timelineOf(harness.engine);
  harness.engine.start();
  return { harness, timeline };
}

const events = (entries: readonly TimelineEntry[]) => entries.map((entry) => entry.event);

describe('the inspection timeline', () => {
  it('records every event an actor processes: who sent it, when, and the state it left', async () => {
    const { harness, timeline } = engineWithTimeline({ tickets: [ticket('T1')], script, files: { 'T1.txt': 'one\n' } });
    await pause(harness.engine, 'T1', 'approval');

    const conductor = timeline.entries('conductor');
    expect(events(conductor).slice(0, 4)).toEqual(['xstate.init', 'conductor.set_mode', 'conductor.set_trust_override', 'conductor.start']);
    expect(conductor[3]!.source).toBeNull();
    expect(conductor[3]!.value).toEqual({ mode: 'async', trustOverride: 'none', run: 'running' });
    // The ticket tells the conductor it runs, then that it is paused.
    const changes = conductor.filter((entry) => entry.event === 'ticket.changed');
    expect(changes.map((entry) => entry.source)).toEqual(['ticket:T1', 'ticket:T1']);

    const worker = timeline.entries('worker:T1');
    expect(worker[0]).toMatchObject({ actor: 'worker:T1', event: 'xstate.init', source: 'ticket:T1', value: 'prompting', status: 'active' });
    const reply = worker.find((entry) => entry.event === 'model.reply')!;
    expect(reply.source).toBe('worker:T1 › callModel');
    expect(reply.value).toEqual({ toolCycle: { awaitingApproval: 'previewing' } });
    expect(worker.at(-1)).toMatchObject({ source: 'worker:T1 › previewTool', value: { toolCycle: { awaitingApproval: 'ready' } } });
    expect(worker.at(-1)!.event).toMatch(/^xstate\.done\.actor\./);

    // One order over all actors; the clock is the engine's (it ticks once per read here).
    const tail = timeline.tail();
    expect(tail.map((entry) => entry.seq)).toEqual([...tail.map((entry) => entry.seq)].sort((a, b) => a - b));
    expect(new Set(tail.map((entry) => entry.seq)).size).toBe(tail.length);
    for (let index = 1; index < tail.length; index += 1) expect(tail[index]!.at).toBeGreaterThanOrEqual(tail[index - 1]!.at);
    expect(tail.map((entry) => entry.actor)).toEqual(expect.arrayContaining(['conductor', 'ticket:T1', 'worker:T1']));
  });

  it('folds a run of the same event into one entry (streamed deltas), keeping its count', async () => {
    // A text the scripted model streams in several deltas (24 characters each).
    const longer = { T1: [reply(text('Reading the file first, to see what it holds before I change it.'), call('toolu_1', 'read_file', { path: 'T1.txt' })), done('toolu_2')] };
    const { harness, timeline } = engineWithTimeline({ tickets: [ticket('T1')], script: longer, files: { 'T1.txt': 'one\n' } });
    await pause(harness.engine, 'T1', 'approval');
    const deltas = timeline.entries('worker:T1').filter((entry) => entry.event === 'model.delta');
    expect(deltas).toHaveLength(1);
    expect(deltas[0]!.repeat).toBeGreaterThan(1);
    const worker = timeline.entries('worker:T1');
    for (let index = 1; index < worker.length; index += 1) {
      const [before, after] = [worker[index - 1]!, worker[index]!];
      const same = before.event === after.event && before.source === after.source && JSON.stringify(before.value) === JSON.stringify(after.value);
      expect(same, `${before.event} twice in a row`).toBe(false);
    }
  });

  it("streams the model's text to the worker, and not a tool call's input, which only the reply carries", async () => {
    const { harness } = engineWithTimeline({ tickets: [ticket('T1')], script, files: { 'T1.txt': 'one\n' } });
    const deltas: { type: string; text?: string }[] = [];
    harness.engine.subscribeInspection((event: InspectionEvent) => {
      if (event.type === '@xstate.event' && event.event.type === 'model.delta') deltas.push((event.event as unknown as { delta: { type: string; text?: string } }).delta);
    });
    const worker = await pause(harness.engine, 'T1', 'approval');
    // The scripted model streams the call's input too (tool_input deltas); the worker gets the text alone.
    expect(deltas.map((delta) => delta.type)).toEqual(deltas.map(() => 'text'));
    expect(deltas.map((delta) => delta.text).join('')).toBe('Reading the file first.');
    expect(worker.getSnapshot().context.messages.at(-1)).toMatchObject({ content: [{ type: 'text' }, { type: 'tool_use', input: { path: 'T1.txt' } }] });
  });

  it('gives back the snapshot an entry left, its context projected as the view projects it', async () => {
    const { harness, timeline } = engineWithTimeline({ tickets: [ticket('T1')], script, files: { 'T1.txt': 'one\n' } });
    const worker = await pause(harness.engine, 'T1', 'approval');
    const atPause1 = timeline.entries('worker:T1').at(-1)!;
    harness.engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' });
    await waitFor(worker, (snapshot) => snapshot.matches({ toolCycle: 'reviewingResult' }));

    const past = timeline.snapshotAt('worker:T1', atPause1.seq)!;
    expect(past).toMatchObject({ actor: 'worker:T1', seq: atPause1.seq, status: 'active', value: { toolCycle: { awaitingApproval: 'ready' } } });
    const live = workerView(harness.engine, 'T1')!;
    expect(Object.keys(past.context as object).sort()).toEqual(Object.keys(live.context).sort());
    // At pause 1 nothing had run; now the result waits for review.
    expect((past.context as { review: unknown }).review).toBeNull();
    expect(live.context.review).not.toBeNull();
    expect(JSON.parse(JSON.stringify(past))).toEqual(past);

    expect(timeline.snapshotAt('worker:T1', 999_999)).toBeUndefined();
    expect(timeline.snapshotAt('worker:T9', atPause1.seq)).toBeUndefined();
  });

  it('stays bounded over thousands of events: the last 200 per actor', async () => {
    const { harness, timeline } = engineWithTimeline({ tickets: [ticket('T1')], script, files: { 'T1.txt': 'one\n' } });
    await pause(harness.engine, 'T1', 'approval');
    const before = timeline.sizes();
    for (let index = 0; index < 5000; index += 1) {
      expect(harness.engine.command({ kind: 'conductor' }, { type: 'conductor.set_mode', mode: index % 2 === 0 ? 'linear' : 'async' })).toBe(true);
    }
    const conductor = timeline.entries('conductor');
    expect(conductor).toHaveLength(200);
    expect(events(conductor).every((event) => event === 'conductor.set_mode')).toBe(true);
    // The newest are kept, and the oldest snapshots are gone with their entries.
    expect(conductor.at(-1)!.value).toMatchObject({ mode: 'async' });
    expect(timeline.snapshotAt('conductor', 1)).toBeUndefined();
    expect(timeline.snapshotAt('conductor', conductor[0]!.seq)).toBeDefined();
    const after = timeline.sizes();
    expect(after.largest).toBe(200);
    expect(after.actors).toBe(before.actors);
    expect(after.entries).toBeLessThanOrEqual(before.entries + 200);
  });

  it('keeps a bounded number of finished actors over a long track', async () => {
    const count = 120;
    const tickets = Array.from({ length: count }, (_, index) => ticket(`T${index + 1}`));
    const finishedScript = Object.fromEntries(tickets.map((spec) => [spec.id, [done(`toolu_${spec.id}`, `${spec.id} done`)]]));
    harness = startEngine({ tickets, script: finishedScript, config: testConfig({ trust: 'auto', maxConcurrency: 8 }), start: false });
    const timeline = new Timeline(harness.engine, { finishedActors: 20, perActor: 50 });
    const defaults = timelineOf(harness.engine);
    harness.engine.start();
    const outcome = await harness.engine.finished();
    expect(outcome.state).toBe('done');

    const sizes = timeline.sizes();
    // 240 actors finished (a ticket and a worker each); the last 20 are kept, plus the live conductor.
    expect(sizes.finished).toBe(20);
    expect(sizes.actors).toBe(21);
    expect(sizes.largest).toBeLessThanOrEqual(50);
    const kept = new Set(timeline.tail().map((entry) => entry.actor));
    expect(kept.has('conductor')).toBe(true);
    expect(kept.has(`worker:T${count}`)).toBe(true);
    expect(kept.has('worker:T1')).toBe(false);
    // The defaults: 50 finished actors of 200 entries at most.
    expect(defaults.sizes().finished).toBe(50);
    expect(defaults.sizes().actors).toBe(51);
    expect(defaults.sizes().largest).toBeLessThanOrEqual(200);
    timeline.close();
  });
});

describe('the timeline on a synthetic inspection stream', () => {
  /** A stand-in for the engine: actor refs are plain objects, keys come from a map. */
  function source() {
    let listener: ((event: InspectionEvent) => void) | undefined;
    const keys = new Map<object, string>();
    let clock = 0;
    const fake: InspectionSource = {
      subscribeInspection: (next) => {
        listener = next;
        return () => (listener = undefined);
      },
      keyOf: (ref) => keys.get(ref),
      elapsed: () => clock++,
    };
    const actor = (key: string) => {
      const ref = { id: key } as unknown as AnyActorRef;
      keys.set(ref, key);
      return ref;
    };
    const emit = (ref: AnyActorRef, type: string, value: unknown, status = 'active', from?: AnyActorRef) => {
      const event = { type };
      listener?.({ type: '@xstate.event', sourceRef: from, actorRef: ref, event, rootId: 'x' } as InspectionEvent);
      listener?.({ type: '@xstate.snapshot', actorRef: ref, event, snapshot: { status, value, context: { value } }, rootId: 'x' } as unknown as InspectionEvent);
    };
    return { fake, actor, emit };
  }

  it('holds at most maxActors rings, dropping the actor quiet the longest, whatever the number of actors', () => {
    const { fake, actor, emit } = source();
    const timeline = new Timeline(fake, { perActor: 5, finishedActors: 3, maxActors: 40 });
    const conductor = actor('conductor');
    for (let index = 0; index < 10_000; index += 1) {
      const worker = actor(`worker:W${index}`);
      emit(worker, 'xstate.init', 'prompting', 'active', conductor);
      emit(worker, 'model.reply', 'route');
      if (index % 2 === 0) emit(worker, 'xstate.done.actor.model', 'completed', 'done');
      emit(conductor, 'tick', { n: index });
    }
    const sizes = timeline.sizes();
    expect(sizes.actors).toBe(40);
    expect(sizes.finished).toBeLessThanOrEqual(3);
    expect(sizes.largest).toBe(5);
    expect(sizes.entries).toBeLessThanOrEqual(40 * 5);
    // The conductor is never quiet for long, so it stays.
    expect(timeline.entries('conductor')).toHaveLength(5);
    expect(timeline.entries('worker:W9999').map((entry) => entry.event)).toEqual(['xstate.init', 'model.reply']);
    expect(timeline.entries('worker:W9999')[0]!.source).toBe('conductor');
    expect(timeline.entries('worker:W0')).toEqual([]);
  });

  it('names an I/O actor by its parent and its logic, and an event from outside as null', () => {
    const { fake, actor, emit } = source();
    const timeline = new Timeline(fake);
    const worker = actor('worker:T1');
    const io = { id: 'model', src: 'callModel', _parent: worker } as unknown as AnyActorRef;
    emit(worker, 'model.delta', 'prompting', 'active', io);
    emit(worker, 'clutch.set_trust', 'prompting');
    expect(timeline.entries('worker:T1').map((entry) => entry.source)).toEqual(['worker:T1 › callModel', null]);
  });
});
