import { appendFileSync, cpSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listRuns } from '../../src/runs/list-runs.js';
import { RUN_SWITCH_CLOSE, type ActorView } from '../../src/protocol/wire.js';
import type { RunSessions, ServedRun } from '../../src/server/server.js';
import { createSession } from '../../src/server/session.js';
import { tempDir } from '../support/engine-harness.js';
import {
  connectSynced,
  crashServe,
  pausedAtApproval,
  pausedAtReview,
  spawnClutch,
  startTestServer,
  type ClutchProcess,
  type ServerHarness,
  type TestClient,
} from '../support/server-harness.js';

/**
 * The Runs calls over the real socket: `runs` lists the run store, `openRun` switches the
 * server to a stored run (every socket then closes with RUN_SWITCH_CLOSE and reconnects into it),
 * and a refusal leaves the run being served exactly as it was.
 */
let harness: ServerHarness | undefined;
const clients: TestClient[] = [];
const processes: ClutchProcess[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(processes.splice(0).map((process) => process.kill()));
  await harness?.cleanup();
  harness = undefined;
});

const T1 = { kind: 'worker' as const, id: 'T1' };
const storeOf = (root: string) => join(root, '.clutch', 'clutch.db');

async function client(): Promise<TestClient> {
  const connected = await connectSynced(harness!);
  clients.push(connected);
  return connected;
}

/** The socket of the old run closes with the switch code; a new one lands in the new run. */
async function reconnect(old: TestClient): Promise<TestClient> {
  await old.closed();
  expect(old.closeCode).toBe(RUN_SWITCH_CLOSE);
  return client();
}

/** A demo run in `root` played to its end in auto mode; returns its id. */
async function finishedRun(root: string): Promise<string> {
  const session = await createSession({ cwd: root, trust: 'auto' });
  session.engine.start();
  await session.engine.finished();
  await session.close();
  return session.session.run_id;
}

/** A step-mode demo run in `root`, started and let go at once: the store lists it interrupted. */
async function leftRun(root: string, track?: string): Promise<string> {
  const session = await createSession({ cwd: root, ...(track ? { track } : {}) });
  session.engine.start();
  await session.close();
  return session.session.run_id;
}

const valueIs = (value: unknown) => (view: ActorView) => JSON.stringify(view.value) === JSON.stringify(value);

describe('the runs call', () => {
  it("lists the store's runs newest first, the one served marked current, with no paths in them", async () => {
    const root = tempDir('clutch-runs-');
    const done = await finishedRun(root);
    const left = await leftRun(root);
    harness = await startTestServer({ root, runs: true });
    const ui = await client();
    const listed = await ui.runs();
    if (!listed.ok) throw new Error(listed.error);
    const reply = listed.value;
    const current = harness.session.run_id;
    expect(reply.current).toBe(current);
    expect(reply.runs.map((run) => [run.id, run.status])).toEqual([
      [current, 'running'],
      [left, 'interrupted'],
      [done, 'done'],
    ]);
    expect(reply.runs[2]).toMatchObject({ track: 'demo', title: "Finish the demo shop's pricing library", completed: 4, total: 4 });
    expect(Object.keys(reply.runs[0]!).sort()).toEqual(['completed', 'created', 'id', 'status', 'title', 'total', 'track', 'updated']);
    expect(reply.runs[2]!.updated).toBeGreaterThanOrEqual(reply.runs[2]!.created);
  });

  it('is refused with a reason by a server without a run store, and bad calls get an error reply', async () => {
    harness = await startTestServer();
    const ui = await client();
    expect(await ui.runs()).toMatchObject({ ok: false, error: 'this server has no run store to list' });
    expect(await ui.openRun('20200101-000000')).toMatchObject({ ok: false, error: 'this server cannot open another run' });
    // The run already served needs no store: opening it is a no-op.
    expect(await ui.openRun(harness.session.run_id)).toMatchObject({ ok: true });

    ui.sendRaw(JSON.stringify({ type: 'openRun', id: 'b1' }));
    ui.sendRaw(JSON.stringify({ type: 'openRun', id: 'b2', run: '' }));
    ui.sendRaw(JSON.stringify({ type: 'runs', id: 'b3', extra: true }));
    ui.sendRaw(JSON.stringify({ type: 'runs' }));
    await ui.until(() => ['b1', 'b2', 'b3'].every((id) => ui.replies.some((reply) => reply.id === id)), 'three refusals');
    for (const id of ['b1', 'b2', 'b3']) expect(ui.replies.find((reply) => reply.id === id)).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid message: /) });
    expect(ui.reply('b1')).toMatchObject({ error: expect.stringContaining('run') });
    await ui.until(() => ui.messages.some((message) => message.type === 'error'), 'the error for a call without an id');
    // Nothing broke: the socket is open and commands still work.
    await ui.untilView('worker:T1', pausedAtApproval);
    expect(await ui.command(T1, { type: 'clutch.approve' })).toMatchObject({ ok: true });
  });
});

describe('openRun', () => {
  it('opening the run already served changes nothing', async () => {
    harness = await startTestServer({ runs: true });
    const ui = await client();
    const hub = harness.server.hub;
    expect(await ui.openRun(harness.session.run_id)).toMatchObject({ ok: true });
    expect(harness.server.hub).toBe(hub);
    await ui.untilView('worker:T1', pausedAtApproval);
    expect(await ui.command(T1, { type: 'clutch.approve' })).toMatchObject({ ok: true });
    expect(ui.socket.readyState).toBe(ui.socket.OPEN);
  });

  it("refuses an unknown run with the store's reason and keeps serving the current one", async () => {
    harness = await startTestServer({ runs: true });
    const ui = await client();
    const hub = harness.server.hub;
    const reply = await ui.openRun('nope');
    expect(reply).toMatchObject({ ok: false, error: expect.stringMatching(/^there is no run "nope" in .+clutch\.db/) });
    expect(harness.server.hub).toBe(hub);
    await ui.untilView('worker:T1', pausedAtApproval);
    expect(await ui.command(T1, { type: 'clutch.approve' })).toMatchObject({ ok: true });
    await ui.untilView('worker:T1', pausedAtReview);
  });

  it('refuses a run whose track file changed since it started, and the current run stays as it was', async () => {
    const root = tempDir('clutch-runs-');
    cpSync(resolve(import.meta.dirname, '../../demo'), join(root, 'demo-copy'), { recursive: true });
    const changed = await leftRun(root, 'demo-copy/track.toml');
    appendFileSync(join(root, 'demo-copy', 'track.toml'), '\n# edited after the run started\n');
    harness = await startTestServer({ root, runs: true });
    const ui = await client();
    const reply = await ui.openRun(changed);
    expect(reply).toMatchObject({ ok: false, error: expect.stringMatching(new RegExp(`^run ${changed} cannot go on: its track file .+track\\.toml changed since the run started`)) });
    expect(harness.server.hub.session.run_id).toBe(harness.session.run_id);
    await ui.untilView('worker:T1', pausedAtApproval);
    expect(ui.socket.readyState).toBe(ui.socket.OPEN);
  });

  it('refuses a run that another live Clutch process has open', { timeout: 60_000 }, async () => {
    const root = tempDir('clutch-runs-');
    const other = spawnClutch(root, ['serve', '--port', '0']);
    processes.push(other);
    const [, held] = await other.line(/^run id: (\S+)$/m);
    harness = await startTestServer({ root, runs: true });
    const ui = await client();
    const listed = await ui.runs();
    expect(listed.ok && listed.value.runs.find((run) => run.id === held)?.status).toBe('running');
    const reply = await ui.openRun(held!);
    expect(reply).toMatchObject({ ok: false, error: expect.stringMatching(new RegExp(`run ${held} is open in another Clutch process \\(pid ${other.child.pid}\\)`)) });
    expect(harness.server.hub.session.run_id).toBe(harness.session.run_id);
    expect(ui.socket.readyState).toBe(ui.socket.OPEN);
  });

  it('switches runs: the reply, then every socket closes and reconnects into the new run, and back again', async () => {
    const root = tempDir('clutch-runs-');
    const left = await leftRun(root);
    harness = await startTestServer({ root, runs: true });
    const first = harness.session.run_id;
    const [a, b] = [await client(), await client()];
    expect(await a.openRun(left)).toEqual({ id: expect.any(String), ok: true, value: null });
    const c = await reconnect(a);
    await b.closed();
    expect(b.closeCode).toBe(RUN_SWITCH_CLOSE);
    expect(c.messages[0]).toMatchObject({ type: 'hello', session: { run_id: left, track: { id: 'demo' } } });
    expect(harness.server.hub.session.run_id).toBe(left);
    // The first run was let go (stopped, its state committed): the store lists it interrupted.
    expect(harness.engine.conductor.getSnapshot().status).toBe('stopped');
    const listed = await c.runs();
    expect(listed.ok && listed.value.current).toBe(left);
    expect(listed.ok && listed.value.runs.map((run) => [run.id, run.status])).toEqual([
      [first, 'interrupted'],
      [left, 'running'],
    ]);
    // Commands now reach the resumed run's engine.
    await c.untilView('worker:T1', pausedAtApproval, 'the resumed run at its first pause');
    expect(await c.command(T1, { type: 'clutch.approve' })).toMatchObject({ ok: true });
    await c.untilView('worker:T1', pausedAtReview);
    expect(harness.server.hub.engine.worker('T1')!.getSnapshot().matches({ toolCycle: 'reviewingResult' })).toBe(true);

    expect(await c.openRun(first)).toMatchObject({ ok: true });
    const d = await reconnect(c);
    expect(d.messages[0]).toMatchObject({ type: 'hello', session: { run_id: first } });
    await d.untilView('worker:T1', pausedAtApproval, 'the first run back at its pause');
    expect(listRuns(storeOf(root)).find((run) => run.id === left)?.status).toBe('interrupted');
  });
});

describe('openRun against a slow run store', () => {
  function deferred<T>() {
    let resolve!: (value: T) => void;
    const promise = new Promise<T>((done) => (resolve = done));
    return { promise, resolve };
  }

  it('opens one run at a time, and a run still opening when the server shuts down is closed too', async () => {
    const otherRoot = tempDir('clutch-runs-other-');
    const served = async (): Promise<{ run: ServedRun; closed: () => boolean }> => {
      const session = await createSession({ cwd: otherRoot });
      session.engine.start();
      let closed = false;
      return {
        run: { engine: session.engine, session: session.session, timeline: session.timeline, close: async () => void ((closed = true), await session.close()) },
        closed: () => closed,
      };
    };
    let pending = deferred<ServedRun>();
    let reached = deferred<string>();
    const asked: string[] = [];
    const runs: RunSessions = {
      list: () => [],
      open: (id) => {
        asked.push(id);
        reached.resolve(id);
        return pending.promise;
      },
    };
    harness = await startTestServer({ runs });
    const ui = await client();
    ui.sendRaw(JSON.stringify({ type: 'openRun', id: 'o1', run: 'R1' }));
    ui.sendRaw(JSON.stringify({ type: 'openRun', id: 'o2', run: 'R2' }));
    await ui.until(() => ui.replies.some((reply) => reply.id === 'o2'), 'the second open refused');
    expect(ui.replies.find((reply) => reply.id === 'o2')).toEqual({ id: 'o2', ok: false, error: 'run R1 is being opened; try again once it is open' });
    expect(asked).toEqual(['R1']);
    const one = await served();
    pending.resolve(one.run);
    await ui.until(() => ui.replies.some((reply) => reply.id === 'o1'), 'the first open answered');
    expect(ui.replies.find((reply) => reply.id === 'o1')).toEqual({ id: 'o1', ok: true, value: null });
    const next = await reconnect(ui);
    expect(next.messages[0]).toMatchObject({ type: 'hello', session: { run_id: one.run.session.run_id } });

    pending = deferred<ServedRun>();
    reached = deferred<string>();
    next.sendRaw(JSON.stringify({ type: 'openRun', id: 'o3', run: 'R3' }));
    expect(await reached.promise).toBe('R3');
    const closing = harness.server.close();
    const two = await served();
    pending.resolve(two.run);
    await closing;
    // Neither the run served at shutdown nor the one that arrived during it is left open.
    expect(one.closed()).toBe(true);
    expect(two.closed()).toBe(true);
    rmSync(otherRoot, { recursive: true, force: true });
  });
});

describe('the interrupted pause, reached through a switch', () => {
  it('resumes runs killed after a command intent: T1 waits interrupted, then Use output and Re-run each go on', { timeout: 90_000 }, async () => {
    const root = tempDir('clutch-runs-');
    for (let crash = 0; crash < 2; crash += 1) expect((await crashServe(root)).signal).toBe('SIGKILL');
    const crashed = listRuns(storeOf(root)).map((run) => [run.id, run.status]);
    expect(crashed.map(([, status]) => status)).toEqual(['interrupted', 'interrupted']);
    const [second, first] = crashed.map(([id]) => id!);
    harness = await startTestServer({ root, runs: true });
    let ui = await client();

    for (const [run, answer] of [[first!, 'clutch.use_output'], [second!, 'clutch.rerun']] as const) {
      expect(await ui.openRun(run)).toMatchObject({ ok: true });
      ui = await reconnect(ui);
      const worker = await ui.untilView('worker:T1', valueIs({ toolCycle: 'interrupted' }), `${run}: T1 at the interrupted pause`);
      expect(worker.accepts.sort()).toEqual(['clutch.abort', 'clutch.rerun', 'clutch.set_trust:auto', 'clutch.set_trust:step', 'clutch.use_output']);
      expect(ui.view('ticket:T1')?.value).toBe('step_paused');
      expect(await ui.command(T1, { type: 'clutch.approve' })).toMatchObject({ ok: false, error: 'worker:T1 does not accept clutch.approve now' });
      expect(await ui.command(T1, answer === 'clutch.rerun' ? { type: 'clutch.rerun' } : { type: 'clutch.use_output' })).toMatchObject({ ok: true });
      // The run was started with --trust auto, and goes on by itself to the end.
      await ui.untilView('conductor', (view) => (view.value as { run: string }).run === 'done', `${run} done`);
      const result = JSON.stringify(ui.view('worker:T1')!.context).match(/"tool_use_id":"toolu_T1_04","content":"((?:[^"\\]|\\.)*)"/);
      if (answer === 'clutch.use_output') expect(result?.[1]).toBe('');
      // Run again, the tests really ran: node --test reports them.
      else expect(result?.[1]).toMatch(/pass \d+/);
    }
  });
});
