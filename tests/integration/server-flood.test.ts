import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallName, ClientMessage, ServerMessage } from '../../src/protocol/wire.js';
import { MAX_QUEUED_ERRORS } from '../../src/server/client-feed.js';
import type { ClientQueues } from '../../src/server/hub.js';
import { connectSynced, pausedAtApproval, pausedAtReview, rawGet, startTestServer, type ServerHarness, type TestClient } from '../support/server-harness.js';

/**
 * One client floods the server with each kind of message in turn (3,000 at once, about 200 KB, as
 * the burst that used to end `clutch serve`), while another drives the demo: the engine goes on,
 * every call gets exactly one reply, and what the server holds for the flooding client stays bounded.
 */
let harness: ServerHarness;
let flooder: TestClient;
let driver: TestClient;
/** The largest queues seen for any client, sampled at every message either client gets. */
const worst: ClientQueues & { batchBytes: number } = { keys: 0, journal: 0, timeline: 0, progress: 0, replies: 0, replyBytes: 0, pending: 0, errors: 0, paused: false, batchBytes: 0 };
let heapBefore = 0;
const BURST = 3000;

function sample(): void {
  for (const queues of harness.server.hub.clientQueues()) {
    for (const field of ['keys', 'journal', 'timeline', 'progress', 'replies', 'replyBytes', 'pending', 'errors'] as const) worst[field] = Math.max(worst[field], queues[field]);
    worst.paused ||= queues.paused;
  }
}

beforeAll(async () => {
  harness = await startTestServer({ runs: true });
  driver = await connectSynced(harness);
  flooder = await connectSynced(harness);
  for (const client of [driver, flooder]) {
    client.socket.on('message', (data) => {
      worst.batchBytes = Math.max(worst.batchBytes, String(data).length);
      sample();
    });
  }
  heapBefore = process.memoryUsage().heapUsed;
}, 60_000);

afterAll(async () => {
  await Promise.all([flooder?.close(), driver?.close()]);
  await harness?.cleanup();
});

const answered = new Set<string>();

/** A pause of the demo not answered yet, as the driver sees it: its worker and its identity. */
function nextPause(): { ticket: string; key: string } | undefined {
  for (const view of driver.views.values()) {
    if (view.kind !== 'worker' || !(pausedAtApproval(view) || pausedAtReview(view))) continue;
    const { pause } = driver.named({ kind: 'worker', id: view.ticket! }, { type: 'clutch.approve' }) as { pause: { kind: string; tool_use_id: string } };
    const key = `${view.ticket}:${pause.kind}:${pause.tool_use_id}`;
    if (!answered.has(key)) return { ticket: view.ticket!, key };
  }
  return undefined;
}

/** Waits for a pause not answered yet and approves it: one step of the run (none once it is done). */
async function step(): Promise<void> {
  await driver.until(() => nextPause() !== undefined || completed() === 4, 'a pause to answer', 30_000);
  const next = nextPause();
  if (!next) return;
  answered.add(next.key);
  expect(await driver.command({ kind: 'worker', id: next.ticket }, { type: 'clutch.approve' })).toMatchObject({ ok: true });
}

const completed = () => (driver.view('conductor')?.context as { completed: number } | undefined)?.completed ?? 0;

/** Sends BURST messages at once; resolves when every call among them has its one reply. */
async function flood(type: CallName | 'malformed', message: (index: number) => object | string): Promise<{ ok: number; refused: Map<string, number> }> {
  const ids: string[] = [];
  const frames: string[] = [];
  for (let index = 0; index < BURST; index += 1) {
    const body = message(index);
    if (typeof body === 'string') {
      frames.push(body);
      continue;
    }
    const id = `${type}-${index}`;
    ids.push(id);
    frames.push(JSON.stringify({ type, id, ...body } as ClientMessage));
  }
  const before = flooder.replies.length;
  const errorsBefore = flooder.messages.filter((entry) => entry.type === 'error').length;
  for (const frame of frames) flooder.sendRaw(frame);
  // The run goes on meanwhile: the driver answers pauses through the same server.
  const journal = harness.engine.journal.count;
  for (let count = 0; count < 3; count += 1) await step();
  if (type === 'malformed') {
    await flooder.until(() => flooder.messages.filter((entry) => entry.type === 'error').length > errorsBefore, 'errors for the malformed flood', 30_000);
  }
  await flooder.until(() => flooder.replies.length - before >= ids.length, `${ids.length} replies to the ${type} flood`, 120_000);
  expect(harness.engine.journal.count, 'the engine went on during the flood').toBeGreaterThan(journal);
  const replies = flooder.replies.slice(before);
  // Exactly one reply per call, under its own id.
  expect(new Set(replies.map((reply) => reply.id))).toEqual(new Set(ids));
  expect(replies).toHaveLength(ids.length);
  const refused = new Map<string, number>();
  for (const reply of replies) if (!reply.ok) refused.set(reply.error, (refused.get(reply.error) ?? 0) + 1);
  return { ok: replies.filter((reply) => reply.ok).length, refused };
}

describe('a flood of each message kind', () => {
  it('command: each answered, the run goes on', { timeout: 120_000 }, async () => {
    const { ok, refused } = await flood('command', () => ({ target: { kind: 'worker', id: 'T4' }, command: { type: 'clutch.abort', pause: { kind: 'approval', tool_use_id: 'toolu_none' } } }));
    expect(ok).toBe(0);
    expect([...refused.keys()].every((error) => /worker:T4 (does not accept|refuses)|too many calls waiting/.test(error))).toBe(true);
  });

  it('snapshotAt: at most 32 at a time, the rest refused', { timeout: 120_000 }, async () => {
    const seq = harness.server.hub.timeline.entries('worker:T1').at(-1)?.seq ?? 1;
    const { ok, refused } = await flood('snapshotAt', () => ({ actor: 'worker:T1', seq }));
    expect(ok).toBeGreaterThan(0);
    expect(refused.get('too many snapshot requests at once')).toBeGreaterThan(0);
  });

  it('testPaths: the burst that ended the server with "Invalid string length": a few answered, the rest refused', { timeout: 120_000 }, async () => {
    const { ok, refused } = await flood('testPaths', () => ({ machine: 'worker' }));
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThan(BURST / 10);
    expect(refused.get('too many testPaths requests at once')).toBeGreaterThan(BURST / 2);
  });

  it('runTestPath: one run at a time', { timeout: 120_000 }, async () => {
    const { ok, refused } = await flood('runTestPath', () => ({ machine: 'worker', path: 'worker-1' }));
    // A run that ends while the burst is still being read lets the next one start: never two at once.
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(ok).toBeLessThan(BURST / 10);
    expect([...refused.keys()].every((error) => /is in progress|too many calls waiting/.test(error))).toBe(true);
  });

  it('runs, openRun, tracks, startRun and edits: bounded, each answered, and a hostile startRun starts nothing', { timeout: 120_000 }, async () => {
    const run = harness.session.run_id;
    const runs = await flood('runs', () => ({}));
    expect(runs.ok).toBeGreaterThan(0);
    expect(runs.refused.get('too many runs requests at once')).toBeGreaterThan(0);
    expect((await flood('openRun', () => ({ run }))).ok).toBeGreaterThan(0);
    const tracks = await flood('tracks', () => ({}));
    expect(tracks.ok).toBeGreaterThan(0);
    expect(tracks.refused.get('too many tracks requests at once')).toBeGreaterThan(0);
    const started = await flood('startRun', (index) => ({ track: index % 2 ? '../../../etc/passwd' : '/etc/hosts', mode: 'async', trust: 'auto' }));
    expect(started.ok).toBe(0);
    expect([...started.refused.keys()].every((error) => /is not one of the track files|is being opened|too many startRun requests|too many calls waiting/.test(error))).toBe(true);
    expect(harness.server.hub.session.run_id).toBe(run);
    expect((await flood('edits', () => ({ ticket: 'T1' }))).ok).toBeGreaterThan(0);
  });

  it('malformed: the errors sent are bounded and say how many more were refused', { timeout: 120_000 }, async () => {
    const before = flooder.messages.length;
    await flood('malformed', (index) => `not json ${index}`);
    await flooder.until(() => flooder.messages.slice(before).some((message) => message.type === 'error' && /more messages were refused/.test(message.error)), 'the count of the refused rest');
    const errors = flooder.messages.slice(before).filter((message): message is Extract<ServerMessage, { type: 'error' }> => message.type === 'error');
    expect(errors.length).toBeLessThan(BURST);
    const counted = errors.reduce((sum, error) => sum + (Number(/^(\d+) more messages/.exec(error.error)?.[1]) || 1), 0);
    expect(counted).toBe(BURST);
  });

  it('kept every queue bounded, the server up, and the run going', { timeout: 120_000 }, async () => {
    expect(worst.errors).toBeLessThanOrEqual(MAX_QUEUED_ERRORS);
    // Reading stopped at 256 calls unanswered; what was read already goes on (one read of the socket,
    // at most), and past 1024 each call is refused with a short reply: what is held stays small.
    expect(worst.paused).toBe(true);
    expect(worst.pending).toBeGreaterThanOrEqual(256);
    expect(worst.pending).toBeLessThan(8000);
    expect(worst.replyBytes).toBeLessThan(64 * 1024 * 1024);
    expect(worst.batchBytes).toBeLessThan(17 * 1024 * 1024);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(300 * 1024 * 1024);
    expect((await rawGet(harness.server.port, `/api/health?token=${harness.server.token}`)).status).toBe(200);
    expect(flooder.socket.readyState).toBe(flooder.socket.OPEN);
    // The demo goes on to the end, answered by the driver.
    while (completed() < 4) await step();
    await driver.untilView('conductor', (view) => (view.value as { run: string }).run === 'done', 'the run to end');
    expect(completed()).toBe(4);
  });
});
