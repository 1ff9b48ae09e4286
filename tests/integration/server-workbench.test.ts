import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RUN_SWITCH_CLOSE, type EditEntry, type TrackFileEntry } from '../../src/protocol/index.js';
import { demoDir } from '../../src/server/run-sessions.js';
import { projectContext, VIEW_EDITS } from '../../src/server/views.js';
import { Hub } from '../../src/server/hub.js';
import { sessionInfo } from '../../src/server/session.js';
import type { ServerMessage } from '../../src/protocol/wire.js';
import { done, pause, startEngine, tempDir, ticket } from '../support/engine-harness.js';
import { ManualClock } from '../support/manual-clock.js';
import { connectSynced, pausedAtApproval, startTestServer, type ServerHarness, type TestClient } from '../support/server-harness.js';

/** The "New run" dialog's calls (tracks, startRun) and the transcript's "edited" marks (edits), over the real socket. */
let harness: ServerHarness | undefined;
const clients: TestClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await harness?.cleanup();
  harness = undefined;
});

async function client(): Promise<TestClient> {
  const connected = await connectSynced(harness!);
  clients.push(connected);
  return connected;
}

const demoTrack = readFileSync(join(demoDir, 'track.toml'), 'utf8');
const demoWorkspace = join(demoDir, 'workspace');
/** The demo's tickets (the scripted model has their script) under another track id and title. */
const trackText = (id: string, title: string) =>
  demoTrack.replace('id = "demo"', `id = "${id}"`).replace(/^title = .*$/m, `title = "${title}"`).replace('workspace = "workspace"', `workspace = ${JSON.stringify(demoWorkspace)}`);

function write(root: string, path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

/** A folder holding track files of every kind the search meets. */
function workspaceWithTracks(): string {
  const root = tempDir('clutch-tracks-');
  write(root, 'tracks/shop.toml', trackText('shop', 'The shop again'));
  write(root, 'a/b/c/d/e/f/deepest.toml', trackText('deepest', 'Six levels down'));
  write(root, 'a/b/c/d/e/f/g/too-deep.toml', trackText('too-deep', 'Seven levels down'));
  write(root, 'node_modules/pkg/track.toml', trackText('dependency', 'In node_modules'));
  write(root, '.git/track.toml', trackText('history', 'In .git'));
  write(root, '.clutch/runs/old/track.toml', trackText('copied', 'In .clutch'));
  write(root, 'broken-track.toml', '[track]\nid = "broken\n');
  write(root, 'no-tickets.toml', '[track]\nid = "empty"\ntitle = "No tickets"\ndescription = ""\n');
  write(root, 'pyproject.toml', '[project]\nname = "not a track"\n');
  // An agents.toml is configuration, never a track (one in the root would be the server's own).
  write(root, 'config/agents.toml', readFileSync(resolve(demoDir, '../agents.toml'), 'utf8'));
  const outside = tempDir('clutch-outside-');
  write(outside, 'elsewhere.toml', trackText('elsewhere', 'Outside the workspace'));
  symlinkSync(join(outside, 'elsewhere.toml'), join(root, 'linked.toml'));
  symlinkSync(outside, join(root, 'linked-folder'));
  return root;
}

describe('tracks', () => {
  it("lists the demo's and the workspace's track files with their id, title and tickets, or their problems, and nothing else", async () => {
    const root = workspaceWithTracks();
    harness = await startTestServer({ root, runs: true });
    const reply = await (await client()).call('tracks', {});
    if (!reply.ok) throw new Error(reply.error);
    const byPath = new Map(reply.value.files.map((file) => [file.path, file]));
    const demoPath = relative(root, join(demoDir, 'track.toml'));
    expect(byPath.get(demoPath)).toEqual({ path: demoPath, source: 'demo', id: 'demo', title: "Finish the demo shop's pricing library", tickets: 4 });
    expect(byPath.get('tracks/shop.toml')).toEqual({ path: 'tracks/shop.toml', source: 'workspace', id: 'shop', title: 'The shop again', tickets: 4 });
    expect(byPath.get('a/b/c/d/e/f/deepest.toml')).toMatchObject({ id: 'deepest', tickets: 4 });
    const broken = byPath.get('broken-track.toml') as TrackFileEntry;
    expect(broken).toMatchObject({ id: null, title: null, tickets: 0 });
    expect(broken.error).toMatch(new RegExp(`^${join(root, 'broken-track.toml').replaceAll('/', '\\/')}:2:\\d+: invalid TOML: unclosed string`));
    const empty = byPath.get('no-tickets.toml') as TrackFileEntry;
    expect(empty).toMatchObject({ id: 'empty', title: 'No tickets', tickets: 0 });
    expect(empty.error).toMatch(/no-tickets\.toml:\d+:\d+: .*tickets/);
    // Skipped: too deep, dependencies, history, Clutch's own runs, not a track, agents.toml, and links out.
    expect([...byPath.keys()].sort()).toEqual(['a/b/c/d/e/f/deepest.toml', 'broken-track.toml', demoPath, 'no-tickets.toml', 'tracks/shop.toml'].sort());
  });

  it('is refused by a server without a workspace to list', async () => {
    harness = await startTestServer();
    expect(await (await client()).call('tracks', {})).toMatchObject({ ok: false, error: 'this server has no workspace to list track files from' });
  });
});

describe('startRun', () => {
  it('refuses a path tracks does not list, or a listed track with problems, and starts nothing', async () => {
    const root = workspaceWithTracks();
    harness = await startTestServer({ root, runs: true });
    const ui = await client();
    const current = harness.session.run_id;
    const before = await ui.runs();
    const hostile = ['../../../etc/passwd', '/etc/hosts', join(root, 'tracks/shop.toml'), './tracks/shop.toml', 'linked.toml', 'node_modules/pkg/track.toml', 'a/b/c/d/e/f/g/too-deep.toml', 'tracks/../tracks/shop.toml'];
    for (const track of hostile) {
      expect(await ui.call('startRun', { track, mode: 'async', trust: 'auto' }), track).toMatchObject({
        ok: false,
        error: `${JSON.stringify(track)} is not one of the track files of this workspace or of demo/ (the tracks call lists them); nothing was started`,
      });
    }
    const refused = await ui.call('startRun', { track: 'no-tickets.toml', mode: 'async', trust: 'auto' });
    expect(refused).toMatchObject({ ok: false, error: expect.stringMatching(/^no-tickets\.toml cannot be started:\n.*no-tickets\.toml:\d+:\d+: /) });
    // Bad params are refused by the schema.
    expect(await ui.call('startRun', { track: 'tracks/shop.toml', mode: 'sideways' as never, trust: 'auto' })).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid message: mode: /) });
    expect(harness.server.hub.session.run_id).toBe(current);
    const after = await ui.runs();
    const ids = (listed: typeof before) => (listed.ok ? listed.value.runs.map((entry) => entry.id) : listed.error);
    expect(ids(after)).toEqual(ids(before));
    expect(ids(after)).toEqual([current]);
    expect(ui.socket.readyState).toBe(ui.socket.OPEN);
  });

  it('starts a listed track as a new run with its mode and trust, replies with its id, then switches every socket to it', async () => {
    const root = workspaceWithTracks();
    harness = await startTestServer({ root, runs: true });
    const first = harness.session.run_id;
    const [a, b] = [await client(), await client()];
    const reply = await a.call('startRun', { track: 'tracks/shop.toml', mode: 'linear', trust: 'auto' }, 30_000);
    if (!reply.ok) throw new Error(reply.error);
    const { run } = reply.value;
    expect(run).not.toBe(first);
    await a.closed();
    await b.closed();
    expect([a.closeCode, b.closeCode]).toEqual([RUN_SWITCH_CLOSE, RUN_SWITCH_CLOSE]);
    const c = await client();
    expect(c.messages[0]).toMatchObject({ type: 'hello', session: { run_id: run, track: { id: 'shop', title: 'The shop again' } } });
    // Mode and trust apply to the new run: linear, every agent in auto, so it runs to the end alone.
    await c.untilView('conductor', (view) => (view.value as { run: string }).run === 'done', 'the new run to end');
    expect(c.view('conductor')!.value).toMatchObject({ mode: 'linear', trustOverride: 'auto' });
    expect((c.view('conductor')!.context as { completed: number }).completed).toBe(4);
    const listed = await c.runs();
    if (!listed.ok) throw new Error(listed.error);
    expect(listed.value.current).toBe(run);
    expect(listed.value.runs.map((entry) => [entry.id, entry.track, entry.status])).toEqual([
      [run, 'shop', 'done'],
      [first, 'demo', 'interrupted'],
    ]);
    // Its own copy of the workspace, in the same store's runs folder; the source is untouched.
    expect(harness.server.hub.session.workspace.startsWith(join(root, '.clutch', 'runs', run))).toBe(true);
    expect(readFileSync(join(demoWorkspace, 'src', 'money.js'), 'utf8')).not.toContain('formatCents = (');
  });
});

describe('edits', () => {
  it("answers every edit of a ticket from the journal with its row's seq, while the view carries only the recent ones", async () => {
    harness = await startTestServer();
    const ui = await client();
    await ui.untilView('worker:T1', pausedAtApproval, 'T1 at pause 1');
    const T1 = { kind: 'worker' as const, id: 'T1' };
    // 30 edits the tool schema refuses, each its own, then one it takes.
    for (let index = 0; index < 30; index += 1) expect(await ui.command(T1, { type: 'clutch.edit_payload', input: { nonsense: index } })).toMatchObject({ ok: true });
    expect(await ui.command(T1, { type: 'clutch.edit_payload', input: { path: 'src/cart.js' } })).toMatchObject({ ok: true });
    const reply = await ui.call('edits', { ticket: 'T1' });
    if (!reply.ok) throw new Error(reply.error);
    const edits: EditEntry[] = reply.value;
    expect(edits).toHaveLength(31);
    // Each is the journal row it came from: the store's seq, oldest first.
    const log = harness.engine.options.log!;
    const rows = log.store.db.prepare("SELECT seq, entry FROM journal WHERE run_id = ? AND kind = 'edit' ORDER BY seq").all(log.runId) as { seq: number; entry: string }[];
    expect(edits.map((edit) => edit.seq)).toEqual(rows.map((row) => row.seq));
    // Refused ones are kept compactly: what was sent, and why it was refused.
    edits.slice(0, 30).forEach((edit, index) => {
      expect(edit).toMatchObject({ kind: 'edit_payload', accepted: false, attempt: 1, replacement: { nonsense: index }, reason: expect.stringMatching(/^input for read_file is invalid/) });
    });
    expect(edits[30]).toMatchObject({ kind: 'edit_payload', accepted: true, tool_use_id: 'toolu_T1_01', original: { path: 'src/money.js' }, replacement: { path: 'src/cart.js' } });
    // The view: the newest 20 only, however many the worker keeps.
    await ui.untilView('worker:T1', (view) => JSON.stringify(view.context).includes('src/cart.js'), 'the accepted edit in the view');
    const viewEdits = (ui.view('worker:T1')!.context as { edits: { accepted: boolean; replacement: unknown }[] }).edits;
    expect(viewEdits.length).toBeLessThanOrEqual(20);
    expect(viewEdits.at(-1)).toMatchObject({ accepted: true, replacement: { path: 'src/cart.js' } });

    // However many a context holds (a snapshot stored before the worker capped them, say), a view carries the newest 20.
    const context = harness.engine.worker('T1')!.getSnapshot().context;
    const many = Array.from({ length: 45 }, (_, index) => ({ kind: 'edit_payload' as const, accepted: false, original: null, replacement: { index }, reason: 'no' }));
    const projected = projectContext('worker', { ...context, edits: many }) as { edits: unknown[] };
    expect(VIEW_EDITS).toBe(20);
    expect(projected.edits).toEqual(many.slice(-20));

    expect(await ui.call('edits', { ticket: 'T2' })).toMatchObject({ ok: true, value: [] });
    expect(await ui.call('edits', { ticket: 'T9' })).toMatchObject({ ok: false, error: 'there is no ticket T9 in this track' });
  });
});

describe('edits without a run store', () => {
  it('answers from the journal in memory, each with the seq its row would have', async () => {
    const engineHarness = startEngine({ tickets: [ticket('T1')], script: { T1: [done('toolu_1')] } });
    try {
      const worker = await pause(engineHarness.engine, 'T1', 'approval');
      const clock = new ManualClock();
      const { engine } = engineHarness;
      const hub = new Hub(engine, sessionInfo('test-run', engine.options.track, engine.options.config, 'scripted model', engine.options.workspace), { clock, journalBacklog: 10 });
      const raw: string[] = [];
      const connection = hub.connect({ send: (data) => raw.push(data), bufferedAmount: () => 0 });
      const seqs: number[] = [];
      engine.journal.subscribe((entry) => {
        if (entry.kind === 'edit') seqs.push(engine.journal.count);
      });
      const tool_use_id = 'toolu_1';
      expect(worker.getSnapshot().matches({ toolCycle: 'awaitingApproval' })).toBe(true);
      for (let index = 0; index < 3; index += 1) {
        expect(engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.edit_payload', pause: { kind: 'approval', tool_use_id }, input: { wrong: index } })).toBe(true);
      }
      connection.receive(JSON.stringify({ type: 'edits', id: 'e1', ticket: 'T1' }), 50);
      clock.advance(100);
      const replies = raw.map((data) => JSON.parse(data) as ServerMessage).flatMap((message) => (message.type === 'batch' ? message.replies : []));
      const reply = replies.find((entry) => entry.id === 'e1') as { ok: true; value: EditEntry[] };
      expect(reply.ok).toBe(true);
      expect(reply.value.map((edit) => edit.seq)).toEqual(seqs);
      expect(reply.value.map((edit) => edit.replacement)).toEqual([{ wrong: 0 }, { wrong: 1 }, { wrong: 2 }]);
      hub.close();
    } finally {
      await engineHarness.cleanup();
    }
  });
});
