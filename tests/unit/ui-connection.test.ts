import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ActorView, ClientMessage, ServerMessage, SessionInfo } from '../../src/protocol/wire.js';
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
  drop(): void {
    this.readyState = 3;
    this.dispatchEvent(new Event('close'));
  }
}

const session = { run_id: 'r1', model_label: 'scripted model', track: { id: 't', title: 'T', description: '', tickets: [] } } as unknown as SessionInfo;
const view = (key: string, value: unknown): ActorView => ({ key, kind: 'conductor', status: 'active', value, context: {}, accepts: [] });
const batch = (seq: number, actors: ActorView[], extra: Partial<Extract<ServerMessage, { type: 'batch' }>> = {}): ServerMessage => ({
  type: 'batch',
  seq,
  actors,
  removed: [],
  journal: [],
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
    const first = client.send({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' });
    const second = client.send({ kind: 'conductor' }, { type: 'conductor.set_mode', mode: 'linear' });
    const [a, b] = socket().sent;
    expect(a).toMatchObject({ type: 'command', target: { kind: 'worker', id: 'T1' }, command: { type: 'clutch.approve' } });
    let stateWhenReplied: unknown;
    void second.then(() => (stateWhenReplied = client.actors.view('conductor')?.value));
    socket().push(batch(1, [view('conductor', 'linear')], { replies: [{ id: b!.id, ok: true }] }));
    socket().push(batch(2, [], { replies: [{ id: a!.id, ok: false, error: 'worker:T1 does not accept clutch.approve now' }] }));
    expect(await second).toEqual({ id: b!.id, ok: true });
    expect(stateWhenReplied).toBe('linear');
    expect(await first).toMatchObject({ ok: false, error: 'worker:T1 does not accept clutch.approve now' });
  });

  it('reconnects after a drop, fails what was in flight, and drops views the new server no longer has', async () => {
    const { client, socket } = connect();
    const first = socket();
    first.open();
    first.push({ type: 'hello', session });
    first.push(batch(1, [view('conductor', 'a'), view('worker:T9', 'x')]));
    const inFlight = client.send({ kind: 'conductor' }, { type: 'conductor.start' });
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
    expect(await client.send({ kind: 'conductor' }, { type: 'conductor.start' })).toMatchObject({ ok: false, error: 'not connected to the server' });
  });
});
