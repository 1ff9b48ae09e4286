import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BatchMessage, CallMessage, ClientMessage, ServerMessage, SessionInfo, TimelineEntry } from '../../src/protocol/wire.js';
import { Inspector } from '../../src/ui/components/inspector/Inspector.js';
import { StatechartDiagram } from '../../src/ui/components/inspector/StatechartDiagram.js';
import { connectLive } from '../../src/ui/connection.js';
import { ClientContext } from '../../src/ui/hooks.js';
import { machines } from '../../src/ui/inspector/machines.js';
import { activeStateIds, statechartGraph } from '../../src/ui/inspector/statechart-graph.js';
import { layoutStatechart } from '../../src/ui/inspector/statechart-layout.js';
import { createStaticClient, type Fixture } from '../../src/ui/static-client.js';
import { TimelineLog } from '../../src/ui/timeline-log.js';

const entry = (seq: number, actor: string, event = 'e', extra: Partial<TimelineEntry> = {}): TimelineEntry => ({
  seq,
  at: seq * 10,
  actor,
  source: null,
  event,
  status: 'active',
  value: 'prompting',
  ...extra,
});
const seqs = (log: TimelineLog, actor: string) => log.entries(actor).map((item) => item.seq);

describe('the client timeline log', () => {
  it('appends per actor, replaces an entry a repeat updated, and keeps the newest per actor', () => {
    const log = new TimelineLog({ perActor: 3 });
    const seen: number[][] = [];
    log.ref('worker:T1').subscribe((entries) => seen.push(entries.map((item) => item.seq)));
    log.apply([entry(1, 'conductor'), entry(2, 'worker:T1', 'model.delta')]);
    log.apply([entry(2, 'worker:T1', 'model.delta', { repeat: 5 }), entry(3, 'worker:T1')]);
    expect(log.entries('worker:T1').map((item) => item.repeat)).toEqual([5, undefined]);
    log.apply([entry(4, 'worker:T1'), entry(5, 'worker:T1'), entry(6, 'worker:T1')]);
    expect(seqs(log, 'worker:T1')).toEqual([4, 5, 6]);
    expect(seen).toEqual([[2], [2, 3], [4, 5, 6]]);
    expect(log.all().map((item) => item.seq)).toEqual([1, 4, 5, 6]);
  });

  it('replaces everything with the first batch after a (re)connection', () => {
    const log = new TimelineLog();
    log.apply([entry(1, 'conductor'), entry(2, 'worker:T9')]);
    log.expectFullBatch();
    log.apply([entry(1, 'conductor'), entry(7, 'worker:T1')]);
    expect(seqs(log, 'worker:T9')).toEqual([]);
    expect(seqs(log, 'conductor')).toEqual([1]);
    expect(seqs(log, 'worker:T1')).toEqual([7]);
  });

  it('holds at most maxActors actors, emptying the one quiet the longest', () => {
    const log = new TimelineLog({ maxActors: 2 });
    log.apply([entry(1, 'a'), entry(2, 'b')]);
    log.apply([entry(3, 'a')]);
    log.apply([entry(4, 'c')]);
    expect(seqs(log, 'b')).toEqual([]);
    expect(seqs(log, 'a')).toEqual([1, 3]);
    expect(seqs(log, 'c')).toEqual([4]);
  });
});

/** A stand-in for the browser's WebSocket: the test plays the server. */
class FakeSocket extends EventTarget {
  static readonly OPEN = 1;
  static instances: FakeSocket[] = [];
  readyState = 0;
  readonly sent: ClientMessage[] = [];
  constructor(readonly url: string) {
    super();
    FakeSocket.instances.push(this);
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data) as ClientMessage);
  }
  close(): void {
    this.readyState = 3;
    this.dispatchEvent(new Event('close'));
  }
  open(): void {
    this.readyState = 1;
    this.dispatchEvent(new Event('open'));
  }
  push(message: ServerMessage): void {
    this.dispatchEvent(new MessageEvent('message', { data: JSON.stringify(message) }));
  }
}

const session = { run_id: 'r1', model_label: 'scripted model', track: { id: 't', title: 'T', description: '', tickets: [] } } as unknown as SessionInfo;
const batch = (seq: number, extra: Partial<BatchMessage> = {}): BatchMessage => ({
  type: 'batch',
  seq,
  actors: [],
  removed: [],
  journal: [],
  timeline: [],
  test_runs: [],
  replies: [],
  ...extra,
});

describe('the socket client and the timeline', () => {
  beforeEach(() => {
    FakeSocket.instances = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('feeds the timeline from batches and asks for past snapshots', async () => {
    const client = connectLive({ url: 'ws://127.0.0.1:1/ws?token=x', WebSocket: FakeSocket as unknown as typeof WebSocket, retryMs: 100 });
    const socket = FakeSocket.instances[0]!;
    socket.open();
    socket.push({ type: 'hello', session });
    socket.push(batch(1, { timeline: [entry(1, 'conductor'), entry(2, 'worker:T1')] }));
    socket.push(batch(2, { timeline: [entry(3, 'worker:T1')] }));
    expect(seqs(client.timeline, 'worker:T1')).toEqual([2, 3]);

    const asked = client.call('snapshotAt', { actor: 'worker:T1', seq: 2 });
    const refused = client.call('snapshotAt', { actor: 'worker:T1', seq: -1 });
    const [question, bad] = socket.sent as CallMessage<'snapshotAt'>[];
    expect(question).toEqual({ type: 'snapshotAt', id: question!.id, actor: 'worker:T1', seq: 2 });
    const snapshot = { actor: 'worker:T1', seq: 2, status: 'active', value: 'prompting', context: { turns: 0 } };
    socket.push(batch(3, { replies: [{ id: question!.id, ok: true, value: snapshot }, { id: bad!.id, ok: false, error: 'invalid message: seq: too small' }] }));
    expect(await asked).toEqual({ id: question!.id, ok: true, value: snapshot });
    expect(await refused).toEqual({ id: bad!.id, ok: false, error: 'invalid message: seq: too small' });

    // In flight when the connection drops: answered with the reason, never left hanging.
    const lost = client.call('snapshotAt', { actor: 'worker:T1', seq: 3 });
    socket.close();
    expect(await lost).toMatchObject({ ok: false, error: 'the connection was lost before the server replied' });
    client.close();
  });
});

const fixturePath = resolve(import.meta.dirname, '../fixtures/ui/demo-paused.json');
const fixture = (): Fixture => JSON.parse(readFileSync(fixturePath, 'utf8')) as Fixture;

describe('the Inspector rendered from a fixture', () => {
  it('lists the actor tree with finished actors greyed, and the timeline of the selected actor', () => {
    const data: Fixture = {
      ...fixture(),
      timeline: [
        entry(1, 'worker:T2', 'xstate.init', { source: 'ticket:T2' }),
        entry(2, 'worker:T2', 'model.delta', { source: 'worker:T2 › callModel', repeat: 12 }),
        entry(3, 'worker:T2', 'xstate.done.actor.0.worker.toolCycle.awaitingApproval.previewing', { value: { toolCycle: { awaitingApproval: 'ready' } } }),
        entry(4, 'conductor', 'ticket.changed', { source: 'ticket:T2' }),
      ],
    };
    const client = createStaticClient(data);
    const html = renderToStaticMarkup(
      createElement(ClientContext.Provider, { value: client }, createElement(Inspector, { trackId: data.hello.track.id, tickets: data.hello.track.tickets, actor: null, onActor: () => {}, compact: {}, onCompact: () => {} })),
    );
    const rows = [...html.matchAll(/data-testid="actor-row" data-actor="([^"]+)" data-phase="([^"]+)"/g)].map((match) => `${match[1]}:${match[2]}`);
    expect(rows).toEqual([
      'conductor:live',
      'ticket:T1:finished',
      'worker:T1:finished',
      'ticket:T2:live',
      'worker:T2:paused',
      'ticket:T3:live',
      'worker:T3:finished',
      'ticket:T4:absent',
    ]);
    // The worker waiting for a human is inspected first; its events newest first, named like the diagram's edges.
    expect(html).toContain('data-testid="diagram-panel" data-actor="worker:T2"');
    expect([...html.matchAll(/data-testid="timeline-entry" data-seq="(\d+)"/g)].map((match) => match[1])).toEqual(['3', '2', '1']);
    expect(html).toContain('done: previewTool');
    expect(html).toContain('×12');
    expect(html).toContain('data-testid="snapshot-panel" data-mode="live"');
    expect(html).toContain('Diagram &amp; timeline');
  });

  it('answers time travel from the fixture snapshots, and refuses what it does not have', async () => {
    const snapshot = { actor: 'worker:T2', seq: 3, status: 'active', value: 'prompting', context: {} };
    const client = createStaticClient({ ...fixture(), snapshots: [snapshot] });
    expect(await client.call('snapshotAt', { actor: 'worker:T2', seq: 3 })).toMatchObject({ ok: true, value: snapshot });
    expect(await client.call('snapshotAt', { actor: 'worker:T2', seq: 4 })).toMatchObject({ ok: false });
    expect(await client.call('runs', {})).toMatchObject({ ok: false, error: 'static fixture: no run store to list' });
  });
});

describe('the statechart drawn as SVG', () => {
  it('marks every active state (leaf and ancestors) and the transitions out of them', async () => {
    const layout = await layoutStatechart(statechartGraph(machines.worker));
    const svg = renderToStaticMarkup(
      createElement(StatechartDiagram, {
        layout,
        active: activeStateIds('worker', { toolCycle: 'reviewingResult' }),
        machine: 'worker',
        actor: 'worker:T1',
        past: true,
        scale: 1,
      }),
    );
    const active = [...svg.matchAll(/data-state-id="([^"]+)" data-state="[^"]+" data-active="true"/g)].map((match) => match[1]);
    expect(active.sort()).toEqual(['worker', 'worker.toolCycle', 'worker.toolCycle.reviewingResult']);
    expect(svg).toContain('data-mode="past"');
    expect([...svg.matchAll(/data-testid="state-node"/g)]).toHaveLength(layout.states.length);
    const hot = [...svg.matchAll(/class="sc-edge[^"]*hot[^"]*"[^>]*data-label="([^"]+)"/g)].map((match) => match[1]).sort();
    expect(hot).toEqual(['always [reviewReleased]', 'clutch.abort', 'clutch.approve', 'clutch.edit_result [approvesEdit]', 'worker.edit_checked [else]']);
  });
});
