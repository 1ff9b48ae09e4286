import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from 'xstate';
import { ModelError } from '../../src/models/model-client.js';
import { call, done, pause, reply, startEngine, text, ticket, until, type Harness } from '../support/engine-harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

const writeScript = (content = 'hello\n') => ({
  T1: [reply(text('Writing the file.'), call('toolu_1', 'write_file', { path: 'T1.txt', content })), done('toolu_2', 'wrote T1.txt')],
});

describe('step mode: the two pauses', () => {
  it('stops before the tool runs and again before the model sees the result', async () => {
    harness = startEngine({ tickets: [ticket('T1')], script: writeScript() });
    const { engine, workspace } = harness;
    const worker = await pause(engine, 'T1', 'approval');
    const context = worker.getSnapshot().context;
    expect(context.preview).toMatchObject({ kind: 'diff', path: 'T1.txt', created: true });
    expect(context.preview && 'diff' in context.preview ? context.preview.diff : '').toContain('+hello');
    expect(existsSync(join(workspace, 'T1.txt'))).toBe(false);
    expect(engine.track().tickets[0]!.status).toBe('step_paused');

    expect(engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' })).toBe(true);
    await pause(engine, 'T1', 'review');
    expect(readFileSync(join(workspace, 'T1.txt'), 'utf8')).toBe('hello\n');
    const atReview = worker.getSnapshot().context;
    expect(atReview.review?.tool_use_id).toBe('toolu_1');
    // The model has not seen the result: the transcript still ends with its own message.
    expect(atReview.messages.at(-1)?.role).toBe('assistant');

    engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' });
    const completing = await pause(engine, 'T1', 'approval');
    expect(completing.getSnapshot().context.preview).toEqual({ kind: 'text', text: 'wrote T1.txt' });
    const toolResult = completing.getSnapshot().context.messages.at(-2);
    expect(toolResult).toMatchObject({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', is_error: false }] });
    engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' });
    const outcome = await engine.finished();
    expect(outcome).toEqual({ state: 'done', tickets: { T1: 'completed' } });
    expect(engine.track().tickets[0]).toMatchObject({ status: 'completed', summary: 'wrote T1.txt', attempts: 1 });
  });

  it('edits the payload at pause 1: validated, re-previewed, journaled, and what runs is the edit', async () => {
    harness = startEngine({ tickets: [ticket('T1')], script: writeScript() });
    const { engine, workspace, journal } = harness;
    const worker = await pause(engine, 'T1', 'approval');

    engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.edit_payload', input: '{"path":"T1.txt","content":"edited\\n","mode":"x"}' });
    expect(worker.getSnapshot().context.refusal).toMatch(/input for write_file is invalid/);
    expect(worker.getSnapshot().matches({ toolCycle: 'awaitingApproval' })).toBe(true);
    engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.edit_payload', input: 'not json' });
    expect(worker.getSnapshot().context.refusal).toMatch(/not valid JSON/);

    engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.edit_payload', input: { path: 'T1.txt', content: 'edited\n' } });
    await waitFor(worker, (state) => state.matches({ toolCycle: { awaitingApproval: 'ready' } }));
    const context = worker.getSnapshot().context;
    expect(context.refusal).toBeNull();
    expect(context.preview && 'diff' in context.preview ? context.preview.diff : '').toContain('+edited');
    expect(context.messages.at(-1)).toMatchObject({ content: [{ type: 'text' }, { type: 'tool_use', input: { content: 'edited\n' } }] });

    engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' });
    await pause(engine, 'T1', 'review');
    expect(readFileSync(join(workspace, 'T1.txt'), 'utf8')).toBe('edited\n');
    const edits = journal.filter((entry) => entry.kind === 'edit').map((entry) => (entry.kind === 'edit' ? entry.edit : null));
    expect(edits).toHaveLength(3);
    expect(edits[2]).toMatchObject({ kind: 'edit_payload', accepted: true, original: { content: 'hello\n' }, replacement: { content: 'edited\n' } });
    expect(edits[0]).toMatchObject({ accepted: false });
  });

  it('edits the result at pause 2: the model receives the edited output', async () => {
    harness = startEngine({ tickets: [ticket('T1')], script: writeScript() });
    const { engine } = harness;
    const worker = await pause(engine, 'T1', 'approval');
    engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' });
    await pause(engine, 'T1', 'review');
    engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.edit_result', output: 'the human says: fine' });
    expect(worker.getSnapshot().context.review?.content).toBe('the human says: fine');
    engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' });
    await pause(engine, 'T1', 'approval');
    expect(worker.getSnapshot().context.messages.at(-2)).toEqual({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'the human says: fine', is_error: false }],
    });
    expect(worker.getSnapshot().context.edits.at(-1)).toMatchObject({ kind: 'edit_result', replacement: 'the human says: fine' });
  });

  it('abort at pause 1 blocks the ticket with the reason and runs nothing', async () => {
    harness = startEngine({ tickets: [ticket('T1')], script: writeScript() });
    const { engine, workspace } = harness;
    await pause(engine, 'T1', 'approval');
    engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.abort', reason: 'wrong file' });
    const outcome = await engine.finished();
    expect(outcome.state).toBe('stalled');
    expect(engine.track().tickets[0]).toMatchObject({ status: 'blocked', blocked_reason: 'aborted: wrong file' });
    expect(existsSync(join(workspace, 'T1.txt'))).toBe(false);
    const finished = engine.finishedSnapshots().get('T1')?.worker as { context: { messages: unknown[] } } | undefined;
    // The transcript stays well formed: the aborted call is answered.
    expect(finished?.context.messages.at(-1)).toMatchObject({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', is_error: true }] });
  });

  it('abort at pause 2 blocks the ticket after the tool ran', async () => {
    harness = startEngine({ tickets: [ticket('T1')], script: writeScript() });
    const { engine, workspace } = harness;
    await pause(engine, 'T1', 'approval');
    engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' });
    await pause(engine, 'T1', 'review');
    engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.abort' });
    await engine.finished();
    expect(engine.track().tickets[0]).toMatchObject({ status: 'blocked', blocked_reason: 'aborted by the human' });
    expect(existsSync(join(workspace, 'T1.txt'))).toBe(true);
  });

  it('memory mutation: the edited last message is what the worker acts on', async () => {
    harness = startEngine({ tickets: [ticket('T1')], script: writeScript() });
    const { engine, workspace, journal } = harness;
    const worker = await pause(engine, 'T1', 'approval');
    const original = worker.getSnapshot().context.messages.at(-1);

    engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.edit_message', message: '{"role":"assistant"' });
    expect(worker.getSnapshot().context.refusal).toMatch(/not valid JSON/);
    engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.edit_message', message: reply(call('toolu_x', 'rm_rf', {})) });
    expect(worker.getSnapshot().context.refusal).toMatch(/unknown tool "rm_rf"/);
    expect(worker.getSnapshot().context.messages.at(-1)).toEqual(original);

    const mutated = reply(text('Better plan: a different file.'), call('toolu_1b', 'write_file', { path: 'better.txt', content: 'better\n' }));
    engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.edit_message', message: JSON.stringify(mutated) });
    await waitFor(worker, (state) => state.matches({ toolCycle: { awaitingApproval: 'ready' } }));
    expect(worker.getSnapshot().context.messages.at(-1)).toEqual(mutated);
    expect(worker.getSnapshot().context.preview).toMatchObject({ kind: 'diff', path: 'better.txt' });

    engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' });
    await pause(engine, 'T1', 'review');
    engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' });
    await pause(engine, 'T1', 'approval');
    expect(readFileSync(join(workspace, 'better.txt'), 'utf8')).toBe('better\n');
    expect(existsSync(join(workspace, 'T1.txt'))).toBe(false);
    expect(worker.getSnapshot().context.messages.at(-2)).toMatchObject({ content: [{ type: 'tool_result', tool_use_id: 'toolu_1b' }] });
    const edit = journal.find((entry) => entry.kind === 'edit' && (entry.edit as { accepted: boolean }).accepted);
    expect(edit).toMatchObject({ edit: { kind: 'edit_message', original, replacement: mutated } });
  });

  it('handles two tool calls of one reply one at a time, each with both pauses', async () => {
    harness = startEngine({
      tickets: [ticket('T1')],
      script: { T1: [reply(call('a', 'write_file', { path: 'a.txt', content: 'a' }), call('b', 'write_file', { path: 'b.txt', content: 'b' })), done('c')] },
    });
    const { engine, workspace } = harness;
    const worker = await pause(engine, 'T1', 'approval');
    expect(worker.getSnapshot().context.preview).toMatchObject({ path: 'a.txt' });
    engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' });
    await pause(engine, 'T1', 'review');
    expect(existsSync(join(workspace, 'b.txt'))).toBe(false);
    engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' });
    await pause(engine, 'T1', 'approval');
    expect(worker.getSnapshot().context.preview).toMatchObject({ path: 'b.txt' });
    engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' });
    await pause(engine, 'T1', 'review');
    engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.approve' });
    await pause(engine, 'T1', 'approval');
    expect(worker.getSnapshot().context.messages.at(-2)).toMatchObject({
      content: [{ tool_use_id: 'a' }, { tool_use_id: 'b' }],
    });
  });

  it('refuses commands the worker would not accept, changing nothing', async () => {
    harness = startEngine({ tickets: [ticket('T1')], script: writeScript() });
    const { engine } = harness;
    await pause(engine, 'T1', 'approval');
    expect(engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.edit_result', output: 'x' })).toBe(false);
    expect(engine.command({ kind: 'ticket', id: 'T1' }, { type: 'ticket.retry' })).toBe(false);
    expect(engine.command({ kind: 'worker', id: 'nope' }, { type: 'clutch.approve' })).toBe(false);
  });
});

describe('model backoff', () => {
  it('a retryable model failure waits for its deadline, and retry now skips the wait', async () => {
    let calls = 0;
    const model = {
      label: 'flaky model',
      async *turn() {
        calls += 1;
        if (calls === 1) throw new ModelError('rate limited (429)', { retryable: true, retryAt: 1_000_000 });
        return { message: done('toolu_d', 'finished'), stop_reason: 'tool_use' as const, usage: { input_tokens: 1, output_tokens: 1 } };
      },
    };
    harness = startEngine({ tickets: [ticket('T1')], script: {}, model, trustOverride: 'auto', waitUntil: () => new Promise(() => {}) });
    const { engine } = harness;
    // The ticket prepares its worker's briefing first.
    await until(engine, () => engine.worker('T1') !== undefined);
    await waitFor(engine.worker('T1')!, (state) => state.matches('backoff'));
    expect(engine.worker('T1')!.getSnapshot().context.waiting).toEqual({ reason: 'rate limited (429)', until: 1_000_000 });
    expect(engine.command({ kind: 'worker', id: 'T1' }, { type: 'clutch.retry_now' })).toBe(true);
    expect((await engine.finished()).tickets).toEqual({ T1: 'completed' });
    expect(calls).toBe(2);
  });

  it('a failure that retrying will not fix blocks the ticket with the reason', async () => {
    const model = {
      label: 'broken model',
      // eslint-disable-next-line require-yield
      async *turn(): AsyncGenerator<never, never> {
        throw new ModelError('401 invalid x-api-key', { retryable: false });
      },
    };
    harness = startEngine({ tickets: [ticket('T1')], script: {}, model, trustOverride: 'auto' });
    await harness.engine.finished();
    expect(harness.engine.track().tickets[0]).toMatchObject({ status: 'blocked', blocked_reason: '401 invalid x-api-key' });
  });
});
