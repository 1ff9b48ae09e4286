import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from 'xstate';
import type { PauseRef } from '../../src/protocol/index.js';
import { call, done, pause, reply, startEngine, text, ticket, type Harness } from '../support/engine-harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

const T1 = { kind: 'worker', id: 'T1' } as const;
const approval = (id: string): PauseRef => ({ kind: 'approval', tool_use_id: id });
const review = (id: string): PauseRef => ({ kind: 'review', tool_use_id: id });

const writeThenDone = (ticketId: string, content = 'hello\n') => [
  reply(text('Writing the file.'), call(`toolu_${ticketId}_1`, 'write_file', { path: `${ticketId}.txt`, content })),
  done(`toolu_${ticketId}_2`, `wrote ${ticketId}.txt`),
];

describe('a pause command names the pause it answers', () => {
  it('refuses a second approve (a double click) that names pause 1 once the worker is at pause 2, and changes nothing', async () => {
    harness = startEngine({ tickets: [ticket('T1')], script: { T1: writeThenDone('T1') } });
    const { engine, journal } = harness;
    await pause(engine, 'T1', 'approval');
    expect(engine.send(T1, { type: 'clutch.approve', pause: approval('toolu_T1_1') })).toEqual({ ok: true });
    const worker = await pause(engine, 'T1', 'review');
    const before = journal.length;
    const second = engine.send(T1, { type: 'clutch.approve', pause: approval('toolu_T1_1') });
    expect(second).toEqual({
      ok: false,
      error: 'worker:T1 refuses clutch.approve: this answers pause 1 (approval) of call toolu_T1_1, but it is at pause 2 (review) of call toolu_T1_1: nothing was done',
    });
    expect(worker.getSnapshot().matches({ toolCycle: 'reviewingResult' })).toBe(true);
    expect(journal.length).toBe(before);
    // The answer that names what it saw goes through.
    expect(engine.send(T1, { type: 'clutch.approve', pause: review('toolu_T1_1') })).toEqual({ ok: true });
  });

  it('refuses an answer for another call of the same pause kind (a stale tab), and any pause command while nothing waits', async () => {
    harness = startEngine({ tickets: [ticket('T1')], script: { T1: writeThenDone('T1') } });
    const { engine } = harness;
    await pause(engine, 'T1', 'approval');
    expect(engine.send(T1, { type: 'clutch.abort', pause: approval('toolu_old') })).toMatchObject({
      ok: false,
      error: expect.stringContaining('this answers pause 1 (approval) of call toolu_old, but it is at pause 1 (approval) of call toolu_T1_1'),
    });
    expect(engine.send(T1, { type: 'clutch.edit_result', pause: review('toolu_T1_1'), output: 'x' })).toEqual({
      ok: false,
      error: 'worker:T1 does not accept clutch.edit_result now',
    });
    expect(engine.worker('T1')!.getSnapshot().matches({ toolCycle: { awaitingApproval: 'ready' } })).toBe(true);
  });

  it('"Apply edit and approve" runs the edited call, journaled as an edit with its original', async () => {
    harness = startEngine({ tickets: [ticket('T1')], script: { T1: writeThenDone('T1') } });
    const { engine, workspace, journal } = harness;
    await pause(engine, 'T1', 'approval');
    const input = { path: 'T1.txt', content: 'edited\n' };
    expect(engine.send(T1, { type: 'clutch.edit_payload', pause: approval('toolu_T1_1'), input, approve: true })).toEqual({ ok: true });
    await pause(engine, 'T1', 'review');
    expect(readFileSync(join(workspace, 'T1.txt'), 'utf8')).toBe('edited\n');
    const edit = journal.find((entry) => entry.kind === 'edit');
    expect(edit).toMatchObject({ edit: { kind: 'edit_payload', accepted: true, original: { content: 'hello\n' }, replacement: input } });
  });
});

describe('switching to auto answers the pauses that wait now', () => {
  it('the global override releases every waiting pause 1 and pause 2, each journaled after the switch', async () => {
    harness = startEngine({ tickets: [ticket('T1'), ticket('T2')], script: { T1: writeThenDone('T1'), T2: writeThenDone('T2') } });
    const { engine, journal } = harness;
    await pause(engine, 'T1', 'approval');
    await pause(engine, 'T2', 'approval');
    engine.send({ kind: 'worker', id: 'T2' }, { type: 'clutch.approve', pause: approval('toolu_T2_1') });
    await pause(engine, 'T2', 'review');
    const switchAt = journal.length;
    expect(engine.send({ kind: 'conductor' }, { type: 'conductor.set_trust_override', override: 'auto' })).toEqual({ ok: true });
    expect(await engine.finished()).toEqual({ state: 'done', tickets: { T1: 'completed', T2: 'completed' } });
    const after = journal.slice(switchAt);
    expect(after[0]).toMatchObject({ kind: 'command', event: { type: 'conductor.set_trust_override', override: 'auto' } });
    const releases = after.filter((entry) => entry.kind === 'auto_approve');
    expect(releases).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ticket: 'T1', pause: 'approval', tool_use_id: 'toolu_T1_1', cause: 'trust override set to auto' }),
        expect.objectContaining({ ticket: 'T2', pause: 'review', tool_use_id: 'toolu_T2_1', cause: 'trust override set to auto' }),
      ]),
    );
    expect(releases).toHaveLength(2);
  });

  it("a worker's own switch to auto releases its pause", async () => {
    harness = startEngine({ tickets: [ticket('T1')], script: { T1: writeThenDone('T1') } });
    const { engine, journal } = harness;
    await pause(engine, 'T1', 'approval');
    engine.send(T1, { type: 'clutch.set_trust', trust: 'auto' });
    expect(await engine.finished()).toEqual({ state: 'done', tickets: { T1: 'completed' } });
    expect(journal.filter((entry) => entry.kind === 'auto_approve')).toEqual([
      expect.objectContaining({ ticket: 'T1', pause: 'approval', tool: 'write_file', cause: 'worker trust set to auto' }),
    ]);
  });
});

describe('a retry says what becomes of the files the earlier attempt changed', () => {
  const blockedAfterWrite = async (files: Record<string, string> = {}) => {
    harness = startEngine({
      tickets: [ticket('T1')],
      files,
      script: {
        T1: [
          reply(call('toolu_a1', 'write_file', { path: 'T1.txt', content: 'half made\n' })),
          reply(call('toolu_a2', 'write_file', { path: 'notes/new.txt', content: 'new\n' })),
          done('toolu_a3'),
        ],
      },
    });
    const { engine } = harness;
    for (const [id, next] of [['toolu_a1', 'review'], ['toolu_a2', 'review']] as const) {
      await pause(engine, 'T1', 'approval');
      engine.send(T1, { type: 'clutch.approve', pause: approval(id) });
      await pause(engine, 'T1', next);
      engine.send(T1, { type: 'clutch.approve', pause: review(id) });
    }
    await pause(engine, 'T1', 'approval');
    engine.send(T1, { type: 'clutch.abort', pause: approval('toolu_a3'), reason: 'not like this' });
    await waitFor(engine.conductor, (state) => engine.track().tickets[0]!.status === 'blocked' && state.status === 'active');
    return harness;
  };

  it('lists the changed files and refuses a retry that does not choose', async () => {
    const { engine, workspace } = await blockedAfterWrite({ 'T1.txt': 'original\n' });
    expect(engine.changedFiles('T1')).toEqual(['T1.txt', 'notes/new.txt'].sort());
    expect(engine.send({ kind: 'ticket', id: 'T1' }, { type: 'ticket.retry' })).toEqual({
      ok: false,
      error: 'ticket:T1 refuses ticket.retry: its earlier attempts changed 2 file(s) (T1.txt, notes/new.txt); retry with files = "restore" or "keep"',
    });
    expect(readFileSync(join(workspace, 'T1.txt'), 'utf8')).toBe('half made\n');
  });

  it('restore puts each file back as it was before the ticket (a created one is removed), journaled', async () => {
    const { engine, workspace, journal } = await blockedAfterWrite({ 'T1.txt': 'original\n' });
    expect(engine.send({ kind: 'ticket', id: 'T1' }, { type: 'ticket.retry', files: 'restore' })).toEqual({ ok: true });
    expect(readFileSync(join(workspace, 'T1.txt'), 'utf8')).toBe('original\n');
    expect(existsSync(join(workspace, 'notes/new.txt'))).toBe(false);
    expect(journal).toContainEqual(expect.objectContaining({ kind: 'ticket.files', ticket: 'T1', choice: 'restore', files: ['T1.txt', 'notes/new.txt'] }));
    expect(engine.changedFiles('T1')).toEqual([]);
  });

  it('keep leaves the changes, and a later restore still goes back to before the ticket', async () => {
    const { engine, workspace, journal } = await blockedAfterWrite({ 'T1.txt': 'original\n' });
    expect(engine.send({ kind: 'ticket', id: 'T1' }, { type: 'ticket.retry', files: 'keep' })).toEqual({ ok: true });
    expect(readFileSync(join(workspace, 'T1.txt'), 'utf8')).toBe('half made\n');
    expect(journal).toContainEqual(expect.objectContaining({ kind: 'ticket.files', choice: 'keep', files: ['T1.txt', 'notes/new.txt'] }));
    expect(engine.changedFiles('T1')).toEqual(['T1.txt', 'notes/new.txt']);
  });
});

describe('the journal times each tool call', () => {
  it('journals tool.start before each call and its duration with the result', async () => {
    harness = startEngine({ tickets: [ticket('T1')], script: { T1: writeThenDone('T1') }, trustOverride: 'auto' });
    const { engine, journal } = harness;
    await engine.finished();
    const start = journal.findIndex((entry) => entry.kind === 'tool.start' && entry.tool_use_id === 'toolu_T1_1');
    const end = journal.findIndex((entry) => entry.kind === 'tool' && entry.tool_use_id === 'toolu_T1_1');
    expect(start).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);
    const entry = journal[end] as { duration_ms?: number; at: number };
    expect(entry.duration_ms).toBe(entry.at - (journal[start] as { at: number }).at);
  });
});
