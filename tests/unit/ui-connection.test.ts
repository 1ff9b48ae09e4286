import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RUN_SWITCH_CLOSE, type ActorView, type BatchMessage, type ClientMessage, type ServerMessage, type SessionInfo } from '../../src/protocol/wire.js';
import { conductorKey, kindOfKey, parseKey, targetKey, ticketKey, workerKey } from '../../src/protocol/actor-keys.js';
import { connectLive, socketUrl } from '../../src/ui/connection.js';

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
    this.drop();
  }
  open(): void {
    this.readyState = 1;
    this.dispatchEvent(new Event('open'));
  }
  push(message: ServerMessage): void {
    this.dispatchEvent(new MessageEvent('message', { data: JSON.stringify(message) }));
  }
  drop(code = 1006): void {
    this.readyState = 3;
    this.dispatchEvent(Object.assign(new Event('close'), { code }));
  }
}

const session = { run_id: 'r1', model_label: 'scripted model', track: { id: 't', title: 'T', description: '', tickets: [] } } as unknown as SessionInfo;
const view = (key: string, value: unknown): ActorView => ({ key, kind: 'conductor', status: 'active', value, context: {}, accepts: [] });
const batch = (seq: number, actors: ActorView[], extra: Partial<BatchMessage> = {}): BatchMessage => ({
  type: 'batch',
  seq,
  actors,
  removed: [],
  journal: [],
  timeline: [],
  test_runs: [],
  replies: [],
  ...extra,
});

beforeEach(() => {
  FakeSocket.instances = [];
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

function connect() {
  const client = connectLive({ url: 'ws://127.0.0.1:1/ws?token=abc', WebSocket: FakeSocket as unknown as typeof WebSocket, retryMs: 100 });
  return { client, socket: () => FakeSocket.instances.at(-1)! };
}

describe('the socket client', () => {
  it('builds the socket URL from the page, passing its token on', () => {
    expect(socketUrl({ protocol: 'http:', host: '127.0.0.1:4321', search: '?token=a%2Bb' })).toBe('ws://127.0.0.1:4321/ws?token=a%2Bb');
    expect(socketUrl({ protocol: 'http:', host: '127.0.0.1:4321', search: '' })).toBe('ws://127.0.0.1:4321/ws');
  });

  it('keeps the session and one store per actor key, fed by batches', () => {
    const { client, socket } = connect();
    const seen: unknown[] = [];
    client.actors.ref('conductor').subscribe((snapshot) => seen.push(snapshot.view?.value));
    socket().open();
    socket().push({ type: 'hello', session });
    socket().push(batch(1, [view('conductor', 'a'), view('worker:T1', 'x')]));
    socket().push(batch(2, [view('conductor', 'b')], { removed: ['worker:T1'] }));
    expect(client.session.getSnapshot()).toEqual(session);
    expect(seen).toEqual(['a', 'b']);
    expect(client.actors.view('worker:T1')).toBeNull();
    expect(client.actors.keys.getSnapshot()).toEqual(['conductor']);
  });

  it('answers each command with its own reply, after the state it caused', async () => {
    const { client, socket } = connect();
    socket().open();
    const first = client.call('command', { target: { kind: 'worker', id: 'T1' }, command: { type: 'clutch.approve', pause: { kind: 'approval', tool_use_id: 'toolu_T1_01' } } });
    const second = client.call('command', { target: { kind: 'conductor' }, command: { type: 'conductor.set_mode', mode: 'linear' } });
    const [a, b] = socket().sent;
    expect(a).toEqual({ type: 'command', id: expect.any(String), target: { kind: 'worker', id: 'T1' }, command: { type: 'clutch.approve', pause: { kind: 'approval', tool_use_id: 'toolu_T1_01' } } });
    expect(b!.id).not.toBe(a!.id);
    let stateWhenReplied: unknown;
    void second.then(() => (stateWhenReplied = client.actors.view('conductor')?.value));
    socket().push(batch(1, [view('conductor', 'linear')], { replies: [{ id: b!.id, ok: true, value: null }] }));
    socket().push(batch(2, [], { replies: [{ id: a!.id, ok: false, error: 'worker:T1 does not accept clutch.approve now' }] }));
    expect(await second).toEqual({ id: b!.id, ok: true, value: null });
    expect(stateWhenReplied).toBe('linear');
    expect(await first).toMatchObject({ ok: false, error: 'worker:T1 does not accept clutch.approve now' });
  });

  it('reconnects after a drop, fails what was in flight, and drops views the new server no longer has', async () => {
    const { client, socket } = connect();
    const first = socket();
    first.open();
    first.push({ type: 'hello', session });
    first.push(batch(1, [view('conductor', 'a'), view('worker:T9', 'x')]));
    const inFlight = client.call('command', { target: { kind: 'conductor' }, command: { type: 'conductor.start' } });
    first.drop();
    expect(await inFlight).toMatchObject({ ok: false });
    expect(client.connection.getSnapshot()).toEqual({ state: 'reconnecting', attempt: 1 });
    expect(FakeSocket.instances).toHaveLength(1);
    vi.advanceTimersByTime(100);
    expect(FakeSocket.instances).toHaveLength(2);
    socket().open();
    socket().push({ type: 'hello', session });
    socket().push(batch(1, [view('conductor', 'b')]));
    expect(client.connection.getSnapshot()).toEqual({ state: 'open' });
    expect(client.actors.view('conductor')?.value).toBe('b');
    expect(client.actors.view('worker:T9')).toBeNull();
    client.close();
    vi.advanceTimersByTime(10_000);
    expect(FakeSocket.instances).toHaveLength(2);
  });

  it('refuses to send while not connected, without throwing', async () => {
    const { client } = connect();
    expect(await client.call('command', { target: { kind: 'conductor' }, command: { type: 'conductor.start' } })).toMatchObject({ ok: false, error: 'not connected to the server' });
  });

  it('answers every kind of call through the same replies, each by its own id, in any order', async () => {
    const { client, socket } = connect();
    socket().open();
    const listed = client.call('runs', {});
    const refused = client.call('runs', {});
    const snapshot = client.call('snapshotAt', { actor: 'worker:T1', seq: 4 });
    const [first, second, third] = socket().sent;
    expect(first).toEqual({ type: 'runs', id: expect.any(String) });
    expect(third).toEqual({ type: 'snapshotAt', id: expect.any(String), actor: 'worker:T1', seq: 4 });
    const run = { id: 'r1', track: 't', title: 'T', status: 'done' as const, completed: 1, total: 1, created: 1, updated: 2 };
    const past = { actor: 'worker:T1', seq: 4, status: 'active', value: 'prompting', context: {} };
    socket().push(
      batch(1, [], {
        replies: [
          { id: third!.id, ok: true, value: past },
          { id: second!.id, ok: false, error: 'invalid message' },
          { id: first!.id, ok: true, value: { current: 'r2', runs: [run] } },
        ],
      }),
    );
    expect(await listed).toEqual({ id: first!.id, ok: true, value: { current: 'r2', runs: [run] } });
    expect(await refused).toEqual({ id: second!.id, ok: false, error: 'invalid message' });
    expect(await snapshot).toEqual({ id: third!.id, ok: true, value: past });
    // A reply to nothing asked (or asked twice) is ignored.
    socket().push(batch(2, [], { replies: [{ id: first!.id, ok: false, error: 'again' }, { id: 'nobody', ok: true, value: null }] }));
    expect(await listed).toMatchObject({ ok: true });
  });

  it("streams a test path run's progress to its call, then ends it with the reply", async () => {
    const { client, socket } = connect();
    socket().open();
    const progress: unknown[] = [];
    const run = client.call('runTestPath', { machine: 'worker', path: 'worker-1' }, (event) => progress.push(event));
    const [sent] = socket().sent;
    expect(sent).toEqual({ type: 'runTestPath', id: expect.any(String), machine: 'worker', path: 'worker-1' });
    const id = sent!.id;
    const step = { id, kind: 'step' as const, result: { index: 0, ok: true, value: 'prompting' } };
    socket().push(batch(1, [], { test_runs: [{ id, kind: 'started', machine: 'worker', path: 'worker-1', steps: 2 }, step, { ...step, id: 'other' }] }));
    expect(progress).toEqual([{ id, kind: 'started', machine: 'worker', path: 'worker-1', steps: 2 }, step]);
    const summary = { ok: true, passed: 2, failed: 0, skipped: 0, ms: 12 };
    socket().push(batch(2, [], { test_runs: [{ ...step, result: { ...step.result, index: 1 } }], replies: [{ id, ok: true, value: summary }] }));
    expect(progress).toHaveLength(3);
    expect(await run).toEqual({ id, ok: true, value: summary });
    // Its call is over: later progress under the same id goes nowhere.
    socket().push(batch(3, [], { test_runs: [step] }));
    expect(progress).toHaveLength(3);
  });

  it('opens a run: the reply, then on the switch close it reconnects at once into the new session', async () => {
    const { client, socket } = connect();
    const old = socket();
    old.open();
    old.push({ type: 'hello', session });
    old.push(batch(1, [view('conductor', 'a'), view('worker:T1', 'x')]));
    const opened = client.call('openRun', { run: 'r9' });
    const pendingList = client.call('runs', {});
    const [open] = old.sent;
    expect(open).toEqual({ type: 'openRun', id: expect.any(String), run: 'r9' });
    old.push(batch(2, [], { replies: [{ id: open!.id, ok: true, value: null }] }));
    expect(await opened).toEqual({ id: open!.id, ok: true, value: null });
    old.drop(RUN_SWITCH_CLOSE);
    expect(await pendingList).toMatchObject({ ok: false, error: 'the server opened another run before it replied' });
    expect(client.connection.getSnapshot()).toEqual({ state: 'switching' });
    // No backoff for a switch: the next socket opens on the next tick.
    vi.advanceTimersByTime(0);
    expect(FakeSocket.instances).toHaveLength(2);
    socket().open();
    socket().push({ type: 'hello', session: { ...session, run_id: 'r9' } });
    socket().push(batch(1, [view('conductor', 'b')]));
    expect(client.connection.getSnapshot()).toEqual({ state: 'open' });
    expect(client.session.getSnapshot()?.run_id).toBe('r9');
    expect(client.actors.view('worker:T1')).toBeNull();
    client.close();
  });

  it('refuses every call while not connected, without throwing or sending', async () => {
    const { client, socket } = connect();
    expect(await client.call('runs', {})).toMatchObject({ ok: false, error: 'not connected to the server' });
    expect(await client.call('openRun', { run: 'r1' })).toMatchObject({ ok: false, error: 'not connected to the server' });
    expect(await client.call('testPaths', { machine: 'worker' })).toMatchObject({ ok: false, error: 'not connected to the server' });
    expect(socket().sent).toEqual([]);
  });
});

describe('actor keys, the names both sides of the socket use', () => {
  it('builds and reads the three forms, and nothing else', () => {
    expect([conductorKey, ticketKey('T1'), workerKey('a:b')]).toEqual(['conductor', 'ticket:T1', 'worker:a:b']);
    expect(parseKey(workerKey('a:b'))).toEqual({ kind: 'worker', id: 'a:b' });
    expect(parseKey(ticketKey('T1'))).toEqual({ kind: 'ticket', id: 'T1' });
    expect(parseKey(conductorKey)).toEqual({ kind: 'conductor' });
    expect(['conductor:x', 'ticket:', 'robot:T1', 'worker', ''].map(kindOfKey)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect([targetKey({ kind: 'conductor' }), targetKey({ kind: 'worker', id: 'T2' })]).toEqual(['conductor', 'worker:T2']);
  });
});
