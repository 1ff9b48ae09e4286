import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from 'xstate';
import type { ActorView } from '../../src/protocol/wire.js';
import { connectSynced, pausedAtApproval, pausedAtReview, startTestServer, type ServerHarness, type TestClient } from '../support/server-harness.js';

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

/** The demo in step mode, waiting at T1's first pause (pause 1 with its preview loaded). */
async function demoAtFirstPause(): Promise<ServerHarness> {
  harness = await startTestServer();
  const engine = harness.engine;
  await waitFor(engine.conductor, () => engine.track().tickets[0]?.status === 'step_paused');
  await waitFor(engine.worker('T1')!, (state) => state.matches({ toolCycle: { awaitingApproval: 'ready' } }));
  return harness;
}

const T1 = { kind: 'worker' as const, id: 'T1' };
const stripped = (views: ActorView[]) => JSON.stringify(views);

describe('the socket: state on connect', () => {
  it('sends hello with the session, then every view in one full batch', async () => {
    await demoAtFirstPause();
    const first = await client();
    const [hello, batch] = first.messages;
    expect(hello).toMatchObject({
      type: 'hello',
      session: { model_label: 'scripted model', track: { id: 'demo' }, archetypes: { codegen: { trust_level: 'step', model: 'scripted' } } },
    });
    if (hello?.type !== 'hello' || batch?.type !== 'batch') throw new Error('expected hello, then a batch');
    expect(hello.session.track.tickets.map((ticket) => ticket.id)).toEqual(['T1', 'T2', 'T3', 'T4']);
    expect(hello.session.track.tickets[3]).toMatchObject({ target_file: 'src/checkout.js', dependencies: ['T2', 'T3'] });
    expect(batch.seq).toBe(1);
    expect(batch.actors.map((view) => view.key).sort()).toEqual(['conductor', 'ticket:T1', 'ticket:T2', 'ticket:T3', 'ticket:T4', 'worker:T1']);
    expect(batch.removed).toEqual([]);
    expect(batch.journal).toContainEqual(expect.objectContaining({ kind: 'run.start', track: 'demo' }));
    expect(batch.replies).toEqual([]);

    const conductor = first.view('conductor')!;
    expect(conductor).toMatchObject({ kind: 'conductor', status: 'active', value: { mode: 'async', trustOverride: 'none', run: 'running' } });
    expect(conductor.context).toMatchObject({ mode: 'async', trustOverride: 'none', active: 1, completed: 0, maxConcurrency: 4 });
    expect((conductor.context as { tickets: unknown[] }).tickets[0]).toMatchObject({ status: 'step_paused', attempts: 1 });
    expect(conductor.accepts.sort()).toEqual(['conductor.set_mode:linear', 'conductor.set_trust_override:auto', 'conductor.set_trust_override:step']);

    expect(first.view('ticket:T1')).toMatchObject({ kind: 'ticket', ticket: 'T1', status: 'active', value: 'step_paused', accepts: [] });
    expect(first.view('ticket:T1')!.context).toEqual({ attempts: 1, blocked_reason: null, summary: null, skipped: false, trustOverride: 'none', archetype: 'codegen', changed_files: [], verdict: null, review_round: 0, reviewer: 'worker:T1@review' });
    expect(first.view('ticket:T3')).toMatchObject({ status: 'pending', value: 'pending', accepts: [], context: { archetype: 'refactor', attempts: 0 } });

    const worker = first.view('worker:T1')!;
    expect(pausedAtApproval(worker)).toBe(true);
    expect(worker.accepts.sort()).toEqual(['clutch.abort', 'clutch.approve', 'clutch.edit_message', 'clutch.edit_payload', 'clutch.set_trust:auto', 'clutch.set_trust:step']);
    const context = worker.context as Record<string, unknown>;
    // approveEdited is optional: there only once an edit-and-approve happened.
    expect(Object.keys(context).filter((key) => key !== 'approveEdited').sort()).toEqual(
      ['archetype', 'attempt', 'budget', 'budgetPauses', 'draft', 'edits', 'finish', 'finished', 'hint', 'qa', 'maxTurns', 'messages', 'preview', 'profile', 'reason', 'refusal', 'rerun', 'results', 'retries', 'review', 'summary', 'system', 'ticketId', 'tools', 'trust', 'trustOverride', 'turns', 'usage', 'waiting'].sort(),
    );
    expect(context['preview']).not.toBeNull();
    expect(context['trust']).toBe('step');
  });

  it('keeps two clients in step: both receive the same batches', async () => {
    await demoAtFirstPause();
    const [a, b] = [await client(), await client()];
    expect(a.batches).toHaveLength(1);
    expect(b.batches).toHaveLength(1);
    expect(await a.command(T1, { type: 'clutch.approve' })).toEqual({ id: 't1', ok: true, value: null });
    await a.untilView('worker:T1', pausedAtReview);
    await b.untilView('worker:T1', pausedAtReview);
    await b.until(() => b.batches.length === a.batches.length, 'as many batches on b as on a');
    const after = (client: TestClient) => client.batches.slice(1).map((batch) => ({ actors: stripped(batch.actors), removed: batch.removed, journal: batch.journal }));
    expect(after(b)).toEqual(after(a));
    expect(after(a).length).toBeGreaterThan(0);
    // The reply goes to the client that sent the command only.
    expect(a.replies.map((reply) => reply.id)).toEqual(['t1']);
    expect(b.replies).toEqual([]);
    expect(b.batches.map((batch) => batch.seq)).toEqual(b.batches.map((_, index) => index + 1));
  });

  it('gives a reconnecting client the current state and the journal tail', async () => {
    await demoAtFirstPause();
    const before = await client();
    await before.command(T1, { type: 'clutch.approve' });
    await before.untilView('worker:T1', pausedAtReview);
    await before.close();
    const again = await client();
    const full = again.batches[0]!;
    expect(pausedAtReview(full.actors.find((view) => view.key === 'worker:T1')!)).toBe(true);
    expect(full.actors.find((view) => view.key === 'ticket:T1')?.value).toBe('step_paused');
    expect(full.journal).toContainEqual(expect.objectContaining({ kind: 'command', target: 'worker:T1', event: { type: 'clutch.approve', pause: { kind: 'approval', tool_use_id: 'toolu_T1_01' } } }));
    expect(full.journal).toContainEqual(expect.objectContaining({ kind: 'tool', ticket: 'T1' }));
  });
});

describe('the socket: commands', () => {
  it('approve moves the worker, and its accepts follow: pause 1 → tool → pause 2', async () => {
    await demoAtFirstPause();
    const ui = await client();
    expect(ui.view('worker:T1')!.accepts).toContain('clutch.edit_payload');
    expect(ui.view('worker:T1')!.accepts).not.toContain('clutch.edit_result');
    const reply = await ui.command(T1, { type: 'clutch.approve' });
    expect(reply.ok).toBe(true);
    const worker = await ui.untilView('worker:T1', pausedAtReview);
    expect(worker.accepts.sort()).toEqual(['clutch.abort', 'clutch.approve', 'clutch.edit_message', 'clutch.edit_result', 'clutch.set_trust:auto', 'clutch.set_trust:step']);
    expect((worker.context as { review: unknown }).review).toMatchObject({ type: 'tool_result', is_error: false });
    expect(harness!.engine.worker('T1')!.getSnapshot().matches({ toolCycle: 'reviewingResult' })).toBe(true);
  });

  it('a command the actor does not accept now gets ok:false and changes nothing', async () => {
    await demoAtFirstPause();
    const ui = await client();
    const engine = harness!.engine;
    const worker = engine.worker('T1')!;
    const before = worker.getSnapshot();
    const journalBefore = engine.journal.count;
    expect(await ui.command(T1, { type: 'clutch.edit_result', output: 'nope' })).toEqual({ id: 't1', ok: false, error: 'worker:T1 does not accept clutch.edit_result now' });
    expect(await ui.command({ kind: 'ticket', id: 'T1' }, { type: 'ticket.retry' })).toMatchObject({ ok: false, error: 'ticket:T1 does not accept ticket.retry now' });
    expect(await ui.command({ kind: 'conductor' }, { type: 'conductor.start' })).toMatchObject({ ok: false, error: 'conductor does not accept conductor.start now' });
    expect(await ui.command({ kind: 'conductor' }, { type: 'conductor.set_mode', mode: 'async' })).toMatchObject({ ok: false, error: 'conductor does not accept conductor.set_mode:async now' });
    expect(await ui.command({ kind: 'worker', id: 'T2' }, { type: 'clutch.approve' })).toMatchObject({ ok: false, error: 'worker:T2 does not accept clutch.approve now' });
    expect(await ui.command({ kind: 'worker', id: 'T9' }, { type: 'clutch.approve' })).toMatchObject({ ok: false, error: 'there is no ticket T9 in this track' });
    expect(worker.getSnapshot()).toBe(before);
    expect(engine.journal.count).toBe(journalBefore);
    expect(pausedAtApproval(ui.view('worker:T1')!)).toBe(true);
  });

  it('answers malformed messages with a clear error; the socket stays open and the engine goes on', async () => {
    await demoAtFirstPause();
    const ui = await client();
    const errors = () => ui.messages.flatMap((message) => (message.type === 'error' ? [message.error] : []));
    ui.sendRaw('this is not json');
    ui.sendRaw(JSON.stringify({ type: 'subscribe', id: 'x' }));
    ui.sendRaw(JSON.stringify([1, 2, 3]));
    ui.sendRaw(JSON.stringify({ type: 'command', id: 'big', target: T1, command: { type: 'clutch.edit_result', output: 'x'.repeat(1_100_000) } }));
    ui.sendRaw(Buffer.alloc(2 * 1024 * 1024, 0x20));
    await ui.until(() => errors().length === 5, 'five error messages');
    expect(errors()[0]).toMatch(/^message is not JSON/);
    expect(errors()[1]).toMatch(/unknown message type "subscribe" \(expected one of: command, snapshotAt, testPaths, runTestPath, runs, openRun, tracks, startRun, startRequest, edits, diff\)/);
    expect(errors()[2]).toMatch(/expected object/);
    expect(errors()[3]).toMatch(/^message too large: \d+ bytes \(the limit is 1048576\)/);
    expect(errors()[4]).toMatch(/^message too large: 2097152 bytes/);

    ui.sendRaw(JSON.stringify({ type: 'command', id: 'c1', target: T1, command: { type: 'clutch.explode' } }));
    ui.sendRaw(JSON.stringify({ type: 'command', id: 'c2', target: T1, command: { type: 'clutch.edit_result', output: 5 } }));
    ui.sendRaw(JSON.stringify({ type: 'command', id: 'c3', target: T1, command: { type: 'clutch.approve', sneaky: true } }));
    ui.sendRaw(JSON.stringify({ type: 'command', id: 'c4', target: { kind: 'robot' }, command: { type: 'clutch.approve' } }));
    await ui.until(() => ui.replies.length === 4, 'four replies');
    const reply = (id: string) => ui.replies.find((candidate) => candidate.id === id)!;
    expect(reply('c1')).toMatchObject({ ok: false, error: expect.stringMatching(/unknown command "clutch\.explode" \(expected one of: clutch\.approve, /) });
    expect(reply('c2')).toMatchObject({ ok: false, error: expect.stringContaining('command.output: Invalid input: expected string') });
    expect(reply('c3')).toMatchObject({ ok: false, error: expect.stringContaining('Unrecognized key: "sneaky"') });
    expect(reply('c4')).toMatchObject({ ok: false, error: expect.stringContaining('unknown target.kind "robot"') });

    expect(ui.socket.readyState).toBe(ui.socket.OPEN);
    expect(pausedAtApproval(ui.view('worker:T1')!)).toBe(true);
    expect(await ui.command(T1, { type: 'clutch.approve' })).toMatchObject({ ok: true });
    await ui.untilView('worker:T1', pausedAtReview);
  });

  it('refuses a __proto__ key, a lone surrogate or deep nesting anywhere in a message: under its id when it has one, changing nothing', async () => {
    await demoAtFirstPause();
    const ui = await client();
    const engine = harness!.engine;
    const worker = engine.worker('T1')!;
    const before = worker.getSnapshot();
    const journalBefore = engine.journal.count;
    const errors = () => ui.messages.flatMap((message) => (message.type === 'error' ? [message.error] : []));
    /** A call's JSON with the pause T1 is at, PROTO keys renamed __proto__ (JSON.stringify would never write one). */
    const raw = (id: string, command: object) =>
      JSON.stringify({ type: 'command', id, target: T1, command: ui.named(T1, command as never) }).replaceAll('"PROTO"', '"__proto__"');
    const input = { path: 'src/money.js' };
    ui.sendRaw(raw('p1', { type: 'clutch.edit_payload', input: { ...input, PROTO: { polluted: true } } }));
    ui.sendRaw(raw('p2', { type: 'clutch.edit_message', message: { role: 'assistant', content: [{ type: 'text', text: 'hi', PROTO: {} }] } }));
    ui.sendRaw(JSON.stringify({ PROTO: { admin: true }, type: 'runs', id: 'p3' }).replace('"PROTO"', '"__proto__"'));
    ui.sendRaw(raw('s1', { type: 'clutch.edit_payload', input: { path: 'half a pair: \ud800' } }));
    ui.sendRaw(`{"type":"command","id":"s2","target":{"kind":"worker","id":"T1"},"command":{"type":"clutch.edit_payload","pause":{"kind":"approval","tool_use_id":"x"},"input":{"\\udfff":1}}}`);
    ui.sendRaw(`{"type":"snapshotAt","id":"s3","actor":"worker:T1\\udc00","seq":1}`);
    let deep = '1';
    for (let level = 0; level < 20_000; level += 1) deep = `{"a":${deep}}`;
    ui.sendRaw(`{"type":"command","id":"d1","target":{"kind":"worker","id":"T1"},"command":{"type":"clutch.edit_payload","pause":{"kind":"approval","tool_use_id":"x"},"input":${deep}}}`);
    // No id to answer under (a lone surrogate in the id itself, or no call at all): an error message.
    ui.sendRaw(`{"type":"runs","id":"\\ud800"}`);
    ui.sendRaw(`{"__proto__":{"type":"runs"},"id":"e2"}`);
    await ui.until(() => ui.replies.length === 7 && errors().length === 2, 'seven replies and two errors');
    const reply = (id: string) => ui.reply(id) as { ok: boolean; error: string };
    expect(reply('p1')).toEqual({ id: 'p1', ok: false, error: 'invalid message: command.input: a key named "__proto__" is not allowed (it would set the object\'s prototype); nothing was done' });
    expect(reply('p2').error).toBe('invalid message: command.message.content.0: a key named "__proto__" is not allowed (it would set the object\'s prototype); nothing was done');
    expect(reply('p3').error).toMatch(/^invalid message: a key named "__proto__" is not allowed/);
    expect(reply('s1').error).toBe('invalid message: command.input.path: a lone surrogate (\\ud800) at character 13 is not text: send well-formed UTF-16; nothing was done');
    expect(reply('s2').error).toBe('invalid message: command.input: a key with a lone surrogate is not text: send well-formed UTF-16; nothing was done');
    expect(reply('s3').error).toMatch(/^invalid message: actor: a lone surrogate \(\\udc00\) at character 9/);
    expect(reply('d1').error).toMatch(/^invalid message: command\.input\.a\.a\..*: nested deeper than 64 levels; nothing was done$/);
    expect(errors()[0]).toMatch(/^invalid message: id: a lone surrogate/);
    expect(errors()[1]).toMatch(/^invalid message: a key named "__proto__"/);
    for (const id of ['p1', 'p2', 'p3', 's1', 's2', 's3', 'd1']) expect(reply(id).ok, id).toBe(false);
    // Nothing was done: the worker, its pause and the journal are as they were, and no prototype changed.
    expect(worker.getSnapshot()).toBe(before);
    expect(engine.journal.count).toBe(journalBefore);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(ui.socket.readyState).toBe(ui.socket.OPEN);
    // A surrogate pair is text: the same edit with an emoji is taken.
    expect(await ui.command(T1, { type: 'clutch.edit_payload', input: { path: 'src/money-\ud83d\ude00.js' } })).toMatchObject({ ok: true });
    expect(harness!.engine.journal.count).toBeGreaterThan(journalBefore);
  });

  it('never sends a secret from the environment, over a whole run', async () => {
    const secret = 'sk-ant-api03-THIS-MUST-NEVER-LEAVE-THE-SERVER';
    const saved = process.env['ANTHROPIC_API_KEY'];
    process.env['ANTHROPIC_API_KEY'] = secret;
    try {
      await demoAtFirstPause();
      const ui = await client();
      await ui.command(T1, { type: 'clutch.edit_payload', input: { not: 'valid' } });
      await ui.command({ kind: 'conductor' }, { type: 'conductor.set_trust_override', override: 'auto' });
      await ui.command(T1, { type: 'clutch.approve' });
      await ui.untilView('conductor', (view) => (view.value as { run: string }).run === 'done', 'the run to finish');
      ui.sendRaw('garbage');
      await ui.until(() => ui.messages.some((message) => message.type === 'error'), 'an error');
      expect(ui.view('ticket:T4')).toMatchObject({ status: 'done', value: 'completed', accepts: [] });
      expect(ui.view('worker:T4')).toMatchObject({ status: 'done', value: 'completed', accepts: [] });
      expect(ui.raw.length).toBeGreaterThan(5);
      for (const message of ui.raw) expect(message).not.toContain(secret);
      expect(ui.raw.join('\n')).not.toContain('THIS-MUST-NEVER');
      // Not even redacted: no view or journal entry carried it to begin with.
      expect(ui.raw.join('\n')).not.toContain('[redacted]');
    } finally {
      if (saved === undefined) delete process.env['ANTHROPIC_API_KEY'];
      else process.env['ANTHROPIC_API_KEY'] = saved;
    }
  });
});
