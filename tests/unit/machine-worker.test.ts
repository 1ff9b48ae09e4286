import { describe, expect, it } from 'vitest';
import type { SnapshotFrom } from 'xstate';
import { INTERRUPTED_ABORTED, NUDGE, workerMachine } from '../../src/machines/worker.js';
import type { WorkerInput } from '../../src/machines/worker-types.js';
import type { ModelMessage, ToolResultBlock, ToolUseBlock } from '../../src/protocol/index.js';
import {
  assistant,
  emitted,
  modelReply,
  previewDone,
  previewError,
  sentToParent,
  spawned,
  start,
  step,
  steps,
  stopped,
  text,
  toolDone,
  toolError,
  toolInterrupted,
  toolUse,
  type Action,
  type EventFor,
} from '../support/pure.js';

type Snapshot = SnapshotFrom<typeof workerMachine>;

const TOOLS = ['read_file', 'edit_file', 'run_command', 'task_complete'];

function input(overrides: Partial<WorkerInput> = {}): WorkerInput {
  return {
    ticketId: 'T1',
    attempt: 1,
    profile: 'scripted',
    system: 'You are a test worker.',
    prompt: 'Fix the greeting in hello.txt',
    tools: TOOLS,
    trust: 'step',
    trustOverride: 'none',
    maxTurns: 5,
    ...overrides,
  };
}

const PROMPT: ModelMessage = { role: 'user', content: 'Fix the greeting in hello.txt' };
const readA = toolUse('tu1', 'read_file', { path: 'a.txt' });
const readB = toolUse('tu2', 'read_file', { path: 'b.txt' });
const editA = toolUse('tu3', 'edit_file', { path: 'a.txt', old_string: 'helo', new_string: 'hello' });
const finish = (id = 'tu9', summary = 'Fixed the greeting') => toolUse(id, 'task_complete', { summary });

function worker(overrides: Partial<WorkerInput> = {}) {
  return start(workerMachine, input(overrides));
}

function send(snapshot: Snapshot, event: EventFor<typeof workerMachine>) {
  return step(workerMachine, snapshot, event);
}

function sendAll(snapshot: Snapshot, events: Array<EventFor<typeof workerMachine>>) {
  return steps(workerMachine, snapshot, events);
}

/** Step worker at pause 1 for the first call of `message`, with the preview already shown. */
function atPause1(message = assistant(text('Let me look.'), readA), overrides: Partial<WorkerInput> = {}) {
  const replied = send(worker(overrides).snapshot, modelReply(message));
  expect(replied.snapshot.value).toEqual({ toolCycle: { awaitingApproval: 'previewing' } });
  return send(replied.snapshot, previewDone(replied.snapshot, { kind: 'text', text: 'preview' }));
}

function lastUserResults(snapshot: Snapshot): ToolResultBlock[] {
  const last = snapshot.context.messages.at(-1);
  expect(last?.role).toBe('user');
  return last!.content as ToolResultBlock[];
}

function runToolCalls(actions: Action[]): ToolUseBlock[] {
  return spawned(actions)
    .filter((spawn) => spawn.src === 'runTool')
    .map((spawn) => (spawn.input as { call: ToolUseBlock }).call);
}

function runToolInputs(actions: Action[]) {
  return spawned(actions)
    .filter((spawn) => spawn.src === 'runTool')
    .map((spawn) => spawn.input);
}

function modelCalls(actions: Action[]) {
  return spawned(actions).filter((spawn) => spawn.src === 'callModel');
}

describe('worker: starting and talking to the model', () => {
  it('starts in prompting and invokes callModel with the prompt as the only message', () => {
    const { snapshot, actions } = worker();
    expect(snapshot.value).toBe('prompting');
    expect(snapshot.context).toMatchObject({
      settings: { ticketId: 'T1', attempt: 1 },
      messages: [PROMPT],
      turns: 0,
      results: [],
      review: null,
      preview: null,
      refusal: null,
      edits: [],
      usage: { input_tokens: 0, output_tokens: 0 },
    });
    expect(spawned(actions)).toEqual([
      {
        id: 'model',
        src: 'callModel',
        systemId: undefined,
        input: { ticketId: 'T1', attempt: 1, profile: 'scripted', system: 'You are a test worker.', messages: [PROMPT], tools: TOOLS },
      },
    ]);
    expect(Object.keys(snapshot.children)).toEqual(['model']);
  });

  it('collects streamed text in draft, ignores tool-input deltas, and clears draft on the reply', () => {
    let { snapshot } = worker();
    ({ snapshot } = sendAll(snapshot, [
      { type: 'model.delta', delta: { type: 'text', index: 0, text: 'Let me ' } },
      { type: 'model.delta', delta: { type: 'tool_input', index: 1, id: 'tu1', name: 'read_file', partial_json: '{"pa' } },
      { type: 'model.delta', delta: { type: 'text', index: 0, text: 'look.' } },
    ]));
    expect(snapshot.value).toBe('prompting');
    expect(snapshot.context.draft).toBe('Let me look.');
    ({ snapshot } = send(snapshot, modelReply(assistant(text('Let me look.'), readA), { input_tokens: 7, output_tokens: 3 })));
    expect(snapshot.context.draft).toBe('');
    expect(snapshot.context.turns).toBe(1);
    expect(snapshot.context.usage).toEqual({ input_tokens: 7, output_tokens: 3 });
  });

  it('adds up token usage over turns', () => {
    let { snapshot } = worker({ trust: 'auto' });
    ({ snapshot } = sendAll(snapshot, [
      modelReply(assistant(readA), { input_tokens: 100, output_tokens: 20 }),
      toolDone('alpha'),
      modelReply(assistant(readB), { input_tokens: 150, output_tokens: 30 }),
    ]));
    expect(snapshot.context.usage).toEqual({ input_tokens: 250, output_tokens: 50 });
    expect(snapshot.context.turns).toBe(2);
  });

  it('model.failed ends in failed with the reason as output', () => {
    const { snapshot } = send(worker().snapshot, { type: 'model.failed', reason: 'rate limited for too long' });
    expect(snapshot.value).toBe('failed');
    expect(snapshot.status).toBe('done');
    expect(snapshot.context.outcome.reason).toBe('rate limited for too long');
    expect(snapshot.output).toEqual({ outcome: 'failed', reason: 'rate limited for too long' });
    expect(snapshot.context.messages).toEqual([PROMPT]);
  });

  it('an error of the model actor itself ends in failed with "model error"', () => {
    const { snapshot } = send(worker().snapshot, { type: 'xstate.error.actor.model', error: new Error('socket hang up') } as never);
    expect(snapshot.value).toBe('failed');
    expect(snapshot.output).toEqual({ outcome: 'failed', reason: 'model error: socket hang up' });
  });
});

describe('worker: step mode, one tool call', () => {
  it('a reply with a tool_use stops at pause 1: previewing, nothing executing, parent told', () => {
    const { snapshot, actions } = send(worker().snapshot, modelReply(assistant(text('Let me look.'), readA)));
    expect(snapshot.value).toEqual({ toolCycle: { awaitingApproval: 'previewing' } });
    expect(snapshot.context.messages).toEqual([PROMPT, assistant(text('Let me look.'), readA)]);
    expect(snapshot.context.turns).toBe(1);
    // The model call is stopped; only the preview is invoked; no runTool anywhere.
    expect(stopped(actions)).toEqual(['model']);
    expect(runToolCalls(actions)).toEqual([]);
    expect(spawned(actions)).toEqual([
      expect.objectContaining({ src: 'previewTool', input: { ticketId: 'T1', call: readA } }),
    ]);
    expect(Object.keys(snapshot.children)).toHaveLength(1);
    expect(Object.keys(snapshot.children)[0]).toMatch(/previewing$/);
    expect(sentToParent(actions)).toEqual([{ type: 'worker.paused', pause: 'approval' }]);
    // Approve waits for the preview: the human approves what they were shown.
    expect(snapshot.can({ type: 'clutch.approve' })).toBe(false);
    expect(snapshot.can({ type: 'clutch.edit_result', output: 'x' })).toBe(false);
    const ready = send(snapshot, previewDone(snapshot, { kind: 'text', text: 'preview' }));
    expect(ready.snapshot.can({ type: 'clutch.approve' })).toBe(true);
  });

  it('the preview lands in context; a failed preview is shown as text, not an error', () => {
    const replied = send(worker().snapshot, modelReply(assistant(editA)));
    const ok = send(replied.snapshot, previewDone(replied.snapshot, { kind: 'diff', path: 'a.txt', diff: '-helo\n+hello', created: false }));
    expect(ok.snapshot.value).toEqual({ toolCycle: { awaitingApproval: 'ready' } });
    expect(ok.snapshot.context.preview).toEqual({ kind: 'diff', path: 'a.txt', diff: '-helo\n+hello', created: false });
    expect(sentToParent(ok.actions)).toEqual([]);

    const bad = send(replied.snapshot, previewError(replied.snapshot, new Error('no such file')));
    expect(bad.snapshot.value).toEqual({ toolCycle: { awaitingApproval: 'ready' } });
    expect(bad.snapshot.context.preview).toEqual({ kind: 'text', text: 'preview failed: no such file' });
  });

  it('approve runs the tool; the result waits at pause 2 and is not in the transcript yet', () => {
    const paused = atPause1();
    const approved = send(paused.snapshot, { type: 'clutch.approve' });
    expect(approved.snapshot.value).toEqual({ toolCycle: 'executing' });
    expect(runToolCalls(approved.actions)).toEqual([readA]);
    expect(approved.snapshot.context.preview).toBeNull();
    expect(sentToParent(approved.actions)).toEqual([{ type: 'worker.resumed' }]);
    expect(Object.keys(approved.snapshot.children)).toEqual(['tool']);
    expect(approved.snapshot.can({ type: 'clutch.approve' })).toBe(false);

    const ran = send(approved.snapshot, toolDone('1: helo world'));
    expect(ran.snapshot.value).toEqual({ toolCycle: 'reviewingResult' });
    expect(ran.snapshot.context.review).toEqual({ type: 'tool_result', tool_use_id: 'tu1', content: '1: helo world', is_error: false });
    expect(ran.snapshot.context.results).toEqual([]);
    expect(ran.snapshot.context.messages).toEqual([PROMPT, assistant(text('Let me look.'), readA)]);
    expect(emitted(ran.actions)).toEqual([
      { type: 'worker.tool_done', ticketId: 'T1', attempt: 1, call: readA, output: { content: '1: helo world', is_error: false } },
    ]);
    expect(sentToParent(ran.actions)).toEqual([{ type: 'worker.paused', pause: 'review' }]);
    expect(modelCalls(ran.actions)).toEqual([]);
  });

  it('approve at pause 2 hands the result to the model in a user message', () => {
    const { snapshot, actions } = sendAll(atPause1().snapshot, [{ type: 'clutch.approve' }, toolDone('1: helo world'), { type: 'clutch.approve' }]);
    const expected: ModelMessage[] = [
      PROMPT,
      assistant(text('Let me look.'), readA),
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu1', content: '1: helo world', is_error: false }] },
    ];
    expect(snapshot.value).toBe('prompting');
    expect(snapshot.context.messages).toEqual(expected);
    expect(snapshot.context.results).toEqual([]);
    expect(snapshot.context.review).toBeNull();
    expect(sentToParent(actions)).toEqual([{ type: 'worker.resumed' }]);
    expect(modelCalls(actions)).toEqual([expect.objectContaining({ id: 'model', input: expect.objectContaining({ messages: expected }) })]);
  });

  it('a tool error result is data for the model, not a failure', () => {
    const { snapshot } = sendAll(atPause1().snapshot, [
      { type: 'clutch.approve' },
      toolDone('path escapes the workspace', true),
      { type: 'clutch.approve' },
    ]);
    expect(snapshot.value).toBe('prompting');
    expect(lastUserResults(snapshot)).toEqual([
      { type: 'tool_result', tool_use_id: 'tu1', content: 'path escapes the workspace', is_error: true },
    ]);
  });
});

describe('worker: step mode, two calls in one reply', () => {
  it('handles them one at a time, each with its own two pauses, and pairs results in call order', () => {
    const parentEvents: unknown[] = [];
    const track = <T extends { actions: Action[] }>(result: T): T => {
      parentEvents.push(...sentToParent(result.actions));
      return result;
    };
    const replied = track(send(worker().snapshot, modelReply(assistant(readA, readB))));
    expect(spawned(replied.actions)[0]?.input).toEqual({ ticketId: 'T1', call: readA });

    const firstReady = send(replied.snapshot, previewDone(replied.snapshot, { kind: 'text', text: 'a' }));
    const approvedFirst = track(send(firstReady.snapshot, { type: 'clutch.approve' }));
    expect(runToolCalls(approvedFirst.actions)).toEqual([readA]);
    const ranFirst = track(send(approvedFirst.snapshot, toolDone('alpha')));
    expect(ranFirst.snapshot.context.review?.tool_use_id).toBe('tu1');

    // Approving the first result leads straight to pause 1 of the second call.
    const second = track(send(ranFirst.snapshot, { type: 'clutch.approve' }));
    expect(second.snapshot.value).toEqual({ toolCycle: { awaitingApproval: 'previewing' } });
    expect(second.snapshot.context.results).toEqual([{ type: 'tool_result', tool_use_id: 'tu1', content: 'alpha', is_error: false }]);
    expect(second.snapshot.context.review).toBeNull();
    expect(spawned(second.actions)).toEqual([expect.objectContaining({ src: 'previewTool', input: { ticketId: 'T1', call: readB } })]);
    expect(runToolCalls(second.actions)).toEqual([]);
    // Still nothing in the transcript: results go to the model only after the last call.
    expect(second.snapshot.context.messages).toHaveLength(2);

    const secondReady = send(second.snapshot, previewDone(second.snapshot, { kind: 'text', text: 'b' }));
    const approvedSecond = track(send(secondReady.snapshot, { type: 'clutch.approve' }));
    expect(runToolCalls(approvedSecond.actions)).toEqual([readB]);
    const ranSecond = track(send(approvedSecond.snapshot, toolDone('beta')));
    expect(ranSecond.snapshot.value).toEqual({ toolCycle: 'reviewingResult' });
    const done = track(send(ranSecond.snapshot, { type: 'clutch.approve' }));
    expect(done.snapshot.value).toBe('prompting');
    expect(lastUserResults(done.snapshot)).toEqual([
      { type: 'tool_result', tool_use_id: 'tu1', content: 'alpha', is_error: false },
      { type: 'tool_result', tool_use_id: 'tu2', content: 'beta', is_error: false },
    ]);
    expect(parentEvents).toEqual([
      { type: 'worker.paused', pause: 'approval' },
      { type: 'worker.resumed' },
      { type: 'worker.paused', pause: 'review' },
      { type: 'worker.resumed' },
      { type: 'worker.paused', pause: 'approval' },
      { type: 'worker.resumed' },
      { type: 'worker.paused', pause: 'review' },
      { type: 'worker.resumed' },
    ]);
  });
});

describe('worker: auto mode', () => {
  it('runs every call without a pause and goes back to the model with all results', () => {
    const replied = send(worker({ trust: 'auto' }).snapshot, modelReply(assistant(text('Reading both.'), readA, readB)));
    expect(replied.snapshot.value).toEqual({ toolCycle: 'executing' });
    expect(runToolCalls(replied.actions)).toEqual([readA]);
    expect(spawned(replied.actions).map((spawn) => spawn.src)).toEqual(['runTool']);

    const first = send(replied.snapshot, toolDone('alpha'));
    expect(first.snapshot.value).toEqual({ toolCycle: 'executing' });
    expect(first.snapshot.context.results).toEqual([{ type: 'tool_result', tool_use_id: 'tu1', content: 'alpha', is_error: false }]);
    expect(first.snapshot.context.review).toBeNull();
    expect(runToolCalls(first.actions)).toEqual([readB]);

    const second = send(first.snapshot, toolDone('beta'));
    expect(second.snapshot.value).toBe('prompting');
    expect(lastUserResults(second.snapshot).map((result) => [result.tool_use_id, result.content])).toEqual([
      ['tu1', 'alpha'],
      ['tu2', 'beta'],
    ]);
    expect(sentToParent([...replied.actions, ...first.actions, ...second.actions])).toEqual([]);
    const done = emitted([...first.actions, ...second.actions]).filter((event) => event.type === 'worker.tool_done');
    expect(done.map((event) => (event as unknown as { call: ToolUseBlock }).call.id)).toEqual(['tu1', 'tu2']);
    // Each call's start is journaled too (the activity feed times it).
    const started = emitted([...replied.actions, ...first.actions]).filter((event) => event.type === 'worker.tool_start');
    expect(started.map((event) => (event as unknown as { call: ToolUseBlock }).call.id)).toEqual(['tu1', 'tu2']);
  });

  it('task_complete ends the worker with the summary, without running a tool', () => {
    const { snapshot, actions } = send(worker({ trust: 'auto' }).snapshot, modelReply(assistant(text('All done.'), finish())));
    expect(snapshot.value).toBe('completed');
    expect(snapshot.status).toBe('done');
    expect(snapshot.output).toEqual({ outcome: 'completed', summary: 'Fixed the greeting', messages: snapshot.context.messages });
    expect(snapshot.context.outcome.summary).toBe('Fixed the greeting');
    expect(runToolCalls(actions)).toEqual([]);
    // The transcript stays well formed: the task_complete call has its result.
    expect(lastUserResults(snapshot)).toEqual([
      { type: 'tool_result', tool_use_id: 'tu9', content: 'Task marked complete.', is_error: false },
    ]);
  });

  it('task_complete after another call in the same reply: the other runs first, then completed', () => {
    const replied = send(worker({ trust: 'auto' }).snapshot, modelReply(assistant(readA, finish())));
    expect(runToolCalls(replied.actions)).toEqual([readA]);
    const { snapshot } = send(replied.snapshot, toolDone('alpha'));
    expect(snapshot.value).toBe('completed');
    expect(snapshot.output).toEqual({ outcome: 'completed', summary: 'Fixed the greeting', messages: snapshot.context.messages });
    expect(lastUserResults(snapshot)).toEqual([
      { type: 'tool_result', tool_use_id: 'tu1', content: 'alpha', is_error: false },
      { type: 'tool_result', tool_use_id: 'tu9', content: 'Task marked complete.', is_error: false },
    ]);
  });
});

describe('worker: task_complete in step mode', () => {
  it('stops at pause 1 first; approve completes without running the tool', () => {
    const paused = atPause1(assistant(finish('tu9', 'Greeting fixed and checked')));
    expect(paused.snapshot.value).toEqual({ toolCycle: { awaitingApproval: 'ready' } });
    const { snapshot, actions } = send(paused.snapshot, { type: 'clutch.approve' });
    expect(snapshot.value).toBe('completed');
    expect(snapshot.output).toEqual({ outcome: 'completed', summary: 'Greeting fixed and checked', messages: snapshot.context.messages });
    expect(runToolCalls(actions)).toEqual([]);
    expect(sentToParent(actions)).toEqual([{ type: 'worker.resumed' }]);
  });
});

describe('worker: text-only replies and max_turns', () => {
  it('a text-only reply gets a nudge and goes back to the model', () => {
    const { snapshot, actions } = send(worker().snapshot, modelReply(assistant(text('I think it is fine.'))));
    expect(snapshot.value).toBe('prompting');
    expect(snapshot.context.turns).toBe(1);
    expect(snapshot.context.messages).toEqual([PROMPT, assistant(text('I think it is fine.')), { role: 'user', content: NUDGE }]);
    expect(modelCalls(actions)).toHaveLength(1);
    expect(stopped(actions)).toEqual(['model']);
  });

  it('after max_turns replies without task_complete the worker fails with a reason', () => {
    let { snapshot } = worker({ maxTurns: 2 });
    ({ snapshot } = send(snapshot, modelReply(assistant(text('one')))));
    expect(snapshot.value).toBe('prompting');
    ({ snapshot } = send(snapshot, modelReply(assistant(text('two')))));
    expect(snapshot.value).toBe('failed');
    expect(snapshot.context.turns).toBe(2);
    expect(snapshot.output).toEqual({ outcome: 'failed', reason: 'max_turns (2) reached without task_complete' });
    // No nudge after the last turn.
    expect(snapshot.context.messages.at(-1)).toEqual(assistant(text('two')));
  });

  it('tool turns count too: the last allowed turn ends in failed with its results in the transcript', () => {
    let { snapshot } = worker({ maxTurns: 1, trust: 'auto' });
    ({ snapshot } = sendAll(snapshot, [modelReply(assistant(readA)), toolDone('alpha')]));
    expect(snapshot.value).toBe('failed');
    expect(snapshot.output).toEqual({ outcome: 'failed', reason: 'max_turns (1) reached without task_complete' });
    expect(lastUserResults(snapshot)).toEqual([{ type: 'tool_result', tool_use_id: 'tu1', content: 'alpha', is_error: false }]);
  });
});

describe('worker: clutch.edit_payload at pause 1', () => {
  it('a valid payload rewrites the call in the transcript, is journaled with the original, and re-previews', () => {
    const paused = atPause1(assistant(text('Fixing.'), editA));
    const replacement = { path: 'a.txt', old_string: 'helo', new_string: 'Hello' };
    const { snapshot, actions } = send(paused.snapshot, { type: 'clutch.edit_payload', input: replacement });
    expect(snapshot.value).toEqual({ toolCycle: { awaitingApproval: 'previewing' } });
    const edited = toolUse('tu3', 'edit_file', replacement);
    expect(snapshot.context.messages).toEqual([PROMPT, assistant(text('Fixing.'), edited)]);
    const record = { kind: 'edit_payload', accepted: true, toolUseId: 'tu3', original: editA.input, replacement };
    expect(snapshot.context.edits).toEqual([record]);
    expect(snapshot.context.refusal).toBeNull();
    expect(emitted(actions)).toEqual([{ type: 'worker.edit', ticketId: 'T1', attempt: 1, edit: record }]);
    expect(spawned(actions)).toEqual([expect.objectContaining({ src: 'previewTool', input: { ticketId: 'T1', call: edited } })]);
    // Still paused: the parent hears nothing, nothing runs.
    expect(sentToParent(actions)).toEqual([]);
    expect(runToolCalls(actions)).toEqual([]);

    // What runs is the edited call, once its new preview is shown.
    expect(snapshot.context.preview).toBeNull();
    expect(snapshot.can({ type: 'clutch.approve' })).toBe(false);
    const ready = send(snapshot, previewDone(snapshot, { kind: 'text', text: 'edited' }));
    const approved = send(ready.snapshot, { type: 'clutch.approve' });
    expect(runToolCalls(approved.actions)).toEqual([edited]);
  });

  it('accepts the payload as a JSON string', () => {
    const paused = atPause1();
    const { snapshot } = send(paused.snapshot, { type: 'clutch.edit_payload', input: '{"path":"c.txt","limit":3}' });
    expect(snapshot.value).toEqual({ toolCycle: { awaitingApproval: 'previewing' } });
    expect(snapshot.context.messages.at(-1)).toEqual(assistant(text('Let me look.'), toolUse('tu1', 'read_file', { path: 'c.txt', limit: 3 })));
  });

  it.each([
    ['not JSON', '{"path": ', /^the payload is not valid JSON/],
    ['an unknown key', { path: 'a.txt', mode: 'fast' }, /^input for read_file is invalid: .*mode/],
    ['a wrong type', { path: 42 }, /^input for read_file is invalid: path: /],
    ['a missing key', {}, /^input for read_file is invalid: path: /],
  ])('refuses %s: state and transcript unchanged, refusal says why, refusal journaled', (_name, payload, reason) => {
    const paused = atPause1();
    const { snapshot, actions } = send(paused.snapshot, { type: 'clutch.edit_payload', input: payload });
    expect(snapshot.value).toEqual({ toolCycle: { awaitingApproval: 'ready' } });
    expect(snapshot.context.messages).toEqual(paused.snapshot.context.messages);
    expect(snapshot.context.preview).toEqual(paused.snapshot.context.preview);
    expect(snapshot.context.refusal).toMatch(reason);
    expect(snapshot.context.edits).toEqual([
      { kind: 'edit_payload', accepted: false, original: null, replacement: payload, reason: snapshot.context.refusal },
    ]);
    expect(emitted(actions)).toEqual([
      { type: 'worker.edit', ticketId: 'T1', attempt: 1, edit: snapshot.context.edits[0] },
    ]);
    expect(spawned(actions)).toEqual([]);
    expect(sentToParent(actions)).toEqual([]);
  });

  it('an accepted command clears the refusal', () => {
    const refused = send(atPause1().snapshot, { type: 'clutch.edit_payload', input: { path: 42 } });
    expect(refused.snapshot.context.refusal).not.toBeNull();
    const approved = send(refused.snapshot, { type: 'clutch.approve' });
    expect(approved.snapshot.context.refusal).toBeNull();
    const fixed = send(refused.snapshot, { type: 'clutch.edit_payload', input: { path: 'z.txt' } });
    expect(fixed.snapshot.context.refusal).toBeNull();
  });

  it('is not accepted outside pause 1', () => {
    const { snapshot } = worker();
    expect(snapshot.can({ type: 'clutch.edit_payload', input: { path: 'a.txt' } })).toBe(false);
    const review = sendAll(atPause1().snapshot, [{ type: 'clutch.approve' }, toolDone('alpha')]).snapshot;
    expect(review.can({ type: 'clutch.edit_payload', input: { path: 'a.txt' } })).toBe(false);
  });
});

describe('worker: clutch.edit_message at pause 1', () => {
  it('a valid message replaces the last assistant message and re-derives the pending call', () => {
    const paused = atPause1(assistant(text('Let me look.'), readA, readB));
    const replacement = assistant(text('Only b, actually.'), toolUse('tu7', 'read_file', { path: 'b.txt', limit: 10 }));
    const { snapshot, actions } = send(paused.snapshot, { type: 'clutch.edit_message', message: replacement });
    expect(snapshot.value).toEqual({ toolCycle: { awaitingApproval: 'previewing' } });
    expect(snapshot.context.messages).toEqual([PROMPT, replacement]);
    const record = { kind: 'edit_message', accepted: true, original: assistant(text('Let me look.'), readA, readB), replacement };
    expect(snapshot.context.edits).toEqual([record]);
    expect(emitted(actions)).toEqual([{ type: 'worker.edit', ticketId: 'T1', attempt: 1, edit: record }]);
    expect(spawned(actions)).toEqual([
      expect.objectContaining({ src: 'previewTool', input: { ticketId: 'T1', call: replacement.content[1] } }),
    ]);
    expect(sentToParent(actions)).toEqual([]);

    const ready = send(snapshot, previewDone(snapshot, { kind: 'text', text: 'b' })).snapshot;
    const done = sendAll(ready, [{ type: 'clutch.approve' }, toolDone('beta'), { type: 'clutch.approve' }]);
    expect(done.snapshot.value).toBe('prompting');
    expect(lastUserResults(done.snapshot)).toEqual([{ type: 'tool_result', tool_use_id: 'tu7', content: 'beta', is_error: false }]);
  });

  it('accepts the message as raw JSON text', () => {
    const paused = atPause1();
    const replacement = assistant(toolUse('tu8', 'run_command', { argv: ['node', '--version'] }));
    const { snapshot } = send(paused.snapshot, { type: 'clutch.edit_message', message: JSON.stringify(replacement) });
    expect(snapshot.value).toEqual({ toolCycle: { awaitingApproval: 'previewing' } });
    expect(snapshot.context.messages.at(-1)).toEqual(replacement);
  });

  it('a message whose calls already have results drops the stale ones and moves on', () => {
    // tu1 ran and was approved; at pause 1 of tu2 the human removes tu2.
    const atSecond = sendAll(atPause1(assistant(readA, readB)).snapshot, [
      { type: 'clutch.approve' },
      toolDone('alpha'),
      { type: 'clutch.approve' },
    ]).snapshot;
    expect(atSecond.value).toEqual({ toolCycle: { awaitingApproval: 'previewing' } });
    const { snapshot } = send(atSecond, { type: 'clutch.edit_message', message: assistant(readA) });
    expect(snapshot.value).toBe('prompting');
    expect(lastUserResults(snapshot)).toEqual([{ type: 'tool_result', tool_use_id: 'tu1', content: 'alpha', is_error: false }]);
  });

  it.each([
    ['bad JSON', '{"role": "assistant", ', /^the message is not valid JSON/],
    ['a wrong block shape', { role: 'assistant', content: [{ type: 'image', source: 'x' }] }, /^not an assistant message/],
    ['a user role', { role: 'user', content: [text('hi')] }, /^not an assistant message/],
    ['no content blocks', { role: 'assistant', content: [] }, /^the message has no content blocks$/],
    ['an unknown tool', assistant(toolUse('tu5', 'format_disk', {})), /^tu5: unknown tool "format_disk"/],
    ['a tool this worker lacks', assistant(toolUse('tu5', 'write_file', { path: 'a', content: '' })), /^tu5: unknown tool "write_file"/],
    ['a bad tool input', assistant(toolUse('tu5', 'read_file', { file: 'a.txt' })), /^tu5: input for read_file is invalid/],
    ['a tool_use id used twice in the message', assistant(toolUse('tu5', 'read_file', { path: 'a' }), toolUse('tu5', 'read_file', { path: 'b' })), /^tool_use id "tu5" is used twice$/],
  ])('refuses %s: messages unchanged, refusal says why', (_name, message, reason) => {
    const paused = atPause1();
    const { snapshot, actions } = send(paused.snapshot, { type: 'clutch.edit_message', message });
    expect(snapshot.value).toEqual({ toolCycle: { awaitingApproval: 'ready' } });
    expect(snapshot.context.messages).toEqual(paused.snapshot.context.messages);
    expect(snapshot.context.refusal).toMatch(reason);
    expect(snapshot.context.edits).toEqual([
      { kind: 'edit_message', accepted: false, original: null, replacement: message, reason: snapshot.context.refusal },
    ]);
    expect(emitted(actions)).toHaveLength(1);
    expect(spawned(actions)).toEqual([]);
  });

  it('refuses a tool_use id that an earlier message already used', () => {
    // Turn 1 used tu1; turn 2 is at pause 1; the edit reuses tu1.
    let { snapshot } = worker({ trust: 'auto' });
    ({ snapshot } = sendAll(snapshot, [modelReply(assistant(readA)), toolDone('alpha'), { type: 'clutch.set_trust', trust: 'step' }]));
    ({ snapshot } = send(snapshot, modelReply(assistant(readB))));
    expect(snapshot.value).toEqual({ toolCycle: { awaitingApproval: 'previewing' } });
    const before = snapshot.context.messages;
    ({ snapshot } = send(snapshot, { type: 'clutch.edit_message', message: assistant(toolUse('tu1', 'read_file', { path: 'c' })) }));
    expect(snapshot.context.refusal).toBe('tool_use id "tu1" is used twice');
    expect(snapshot.context.messages).toEqual(before);
    // Reusing the id of the very message being replaced is fine.
    ({ snapshot } = send(snapshot, { type: 'clutch.edit_message', message: assistant(toolUse('tu2', 'read_file', { path: 'c' })) }));
    expect(snapshot.context.refusal).toBeNull();
    expect(snapshot.context.messages.at(-1)).toEqual(assistant(toolUse('tu2', 'read_file', { path: 'c' })));
  });
});

describe('worker: pause 2 (reviewing a result)', () => {
  function atPause2(message = assistant(readA, readB)) {
    return sendAll(atPause1(message).snapshot, [{ type: 'clutch.approve' }, toolDone('alpha')]).snapshot;
  }

  it('edit_result changes what the model will see and journals the original', () => {
    const review = atPause2();
    const { snapshot, actions } = send(review, { type: 'clutch.edit_result', output: 'alpha (redacted)', is_error: true });
    expect(snapshot.value).toEqual({ toolCycle: 'reviewingResult' });
    expect(snapshot.context.review).toEqual({ type: 'tool_result', tool_use_id: 'tu1', content: 'alpha (redacted)', is_error: true });
    const record = { kind: 'edit_result', accepted: true, toolUseId: 'tu1', original: 'alpha', replacement: 'alpha (redacted)' };
    expect(snapshot.context.edits).toEqual([record]);
    expect(emitted(actions)).toEqual([{ type: 'worker.edit', ticketId: 'T1', attempt: 1, edit: record }]);
    expect(sentToParent(actions)).toEqual([]);

    const second = send(snapshot, { type: 'clutch.approve' }).snapshot;
    const ready = send(second, previewDone(second, { kind: 'text', text: 'b' })).snapshot;
    const done = sendAll(ready, [{ type: 'clutch.approve' }, toolDone('beta'), { type: 'clutch.approve' }]);
    expect(done.snapshot.value).toBe('prompting');
    expect(lastUserResults(done.snapshot)).toEqual([
      { type: 'tool_result', tool_use_id: 'tu1', content: 'alpha (redacted)', is_error: true },
      { type: 'tool_result', tool_use_id: 'tu2', content: 'beta', is_error: false },
    ]);
  });

  it('edit_result without is_error keeps the flag the tool gave', () => {
    const { snapshot } = send(atPause2(), { type: 'clutch.edit_result', output: 'shorter' });
    expect(snapshot.context.review).toEqual({ type: 'tool_result', tool_use_id: 'tu1', content: 'shorter', is_error: false });
  });

  it('edit_message keeping the reviewed call stays at pause 2 with the review', () => {
    const review = atPause2();
    const replacement = assistant(text('Just a.'), readA);
    const { snapshot } = send(review, { type: 'clutch.edit_message', message: replacement });
    expect(snapshot.value).toEqual({ toolCycle: 'reviewingResult' });
    expect(snapshot.context.review?.tool_use_id).toBe('tu1');
    expect(snapshot.context.messages.at(-1)).toEqual(replacement);
    const done = send(snapshot, { type: 'clutch.approve' });
    expect(done.snapshot.value).toBe('prompting');
    expect(lastUserResults(done.snapshot)).toEqual([{ type: 'tool_result', tool_use_id: 'tu1', content: 'alpha', is_error: false }]);
  });

  it('edit_message dropping the reviewed call drops its result and goes on with the new calls', () => {
    const review = atPause2();
    const replacement = assistant(toolUse('tu6', 'read_file', { path: 'c.txt' }));
    const { snapshot, actions } = send(review, { type: 'clutch.edit_message', message: replacement });
    expect(snapshot.value).toEqual({ toolCycle: { awaitingApproval: 'previewing' } });
    expect(snapshot.context.review).toBeNull();
    expect(snapshot.context.results).toEqual([]);
    expect(spawned(actions)).toEqual([expect.objectContaining({ src: 'previewTool', input: { ticketId: 'T1', call: replacement.content[0] } })]);
  });

  it('a refused edit_message leaves the review and transcript alone', () => {
    const review = atPause2();
    const { snapshot } = send(review, { type: 'clutch.edit_message', message: 'nope' });
    expect(snapshot.value).toEqual({ toolCycle: 'reviewingResult' });
    expect(snapshot.context.review).toEqual(review.context.review);
    expect(snapshot.context.messages).toEqual(review.context.messages);
    expect(snapshot.context.refusal).toMatch(/^the message is not valid JSON/);
  });
});

describe('worker: clutch.abort', () => {
  it('at pause 1: aborted, reason in output, every tool_use gets a tool_result', () => {
    const paused = atPause1(assistant(text('Two reads.'), readA, readB));
    const { snapshot, actions } = send(paused.snapshot, { type: 'clutch.abort', reason: 'wrong file' });
    expect(snapshot.value).toBe('aborted');
    expect(snapshot.status).toBe('done');
    expect(snapshot.output).toEqual({ outcome: 'aborted', reason: 'aborted: wrong file' });
    expect(runToolCalls(actions)).toEqual([]);
    expect(lastUserResults(snapshot)).toEqual([
      { type: 'tool_result', tool_use_id: 'tu1', content: 'Not run: aborted by the human.', is_error: true },
      { type: 'tool_result', tool_use_id: 'tu2', content: 'Not run: aborted by the human.', is_error: true },
    ]);
    expect(snapshot.context.results).toEqual([]);
    expect(snapshot.context.review).toBeNull();
  });

  it('at pause 2: the unapproved result stays out of the transcript, the remaining call is closed', () => {
    const review = sendAll(atPause1(assistant(readA, readB)).snapshot, [{ type: 'clutch.approve' }, toolDone('alpha')]).snapshot;
    const { snapshot } = send(review, { type: 'clutch.abort' });
    expect(snapshot.value).toBe('aborted');
    expect(snapshot.output).toEqual({ outcome: 'aborted', reason: 'aborted by the human' });
    expect(lastUserResults(snapshot)).toEqual([
      { type: 'tool_result', tool_use_id: 'tu1', content: 'Ran, but the result was not approved: the worker stopped at the review.', is_error: true },
      { type: 'tool_result', tool_use_id: 'tu2', content: 'Not run: aborted by the human.', is_error: true },
    ]);
  });

  it('at pause 1 of a later call: earlier results are kept', () => {
    const second = sendAll(atPause1(assistant(readA, readB, editA)).snapshot, [
      { type: 'clutch.approve' },
      toolDone('alpha'),
      { type: 'clutch.approve' },
    ]).snapshot;
    const { snapshot } = send(second, { type: 'clutch.abort' });
    expect(lastUserResults(snapshot).map((result) => [result.tool_use_id, result.content])).toEqual([
      ['tu1', 'alpha'],
      ['tu2', 'Not run: aborted by the human.'],
      ['tu3', 'Not run: aborted by the human.'],
    ]);
  });

  it('is not accepted while the model or a tool is working', () => {
    expect(worker().snapshot.can({ type: 'clutch.abort' })).toBe(false);
    const executing = send(atPause1().snapshot, { type: 'clutch.approve' }).snapshot;
    expect(executing.can({ type: 'clutch.abort' })).toBe(false);
  });
});

describe('worker: trust', () => {
  it('set_trust auto while prompting: the next call runs without pause 1', () => {
    let { snapshot } = worker({ trust: 'step' });
    ({ snapshot } = send(snapshot, { type: 'clutch.set_trust', trust: 'auto' }));
    expect(snapshot.value).toBe('prompting');
    expect(snapshot.context.trust).toBe('auto');
    const { snapshot: next, actions } = send(snapshot, modelReply(assistant(readA)));
    expect(next.value).toEqual({ toolCycle: 'executing' });
    expect(runToolCalls(actions)).toEqual([readA]);
  });

  it('set_trust auto at pause 1 releases the waiting call (journaled), and its result skips pause 2', () => {
    const paused = atPause1();
    const switched = send(paused.snapshot, { type: 'clutch.set_trust', trust: 'auto' });
    expect(switched.snapshot.value).toEqual({ toolCycle: 'executing' });
    expect(runToolCalls(switched.actions)).toEqual([readA]);
    const released = emitted(switched.actions).filter((event) => event.type === 'worker.auto_approved');
    expect(released).toEqual([expect.objectContaining({ pause: 'approval', cause: 'worker trust set to auto', call: readA })]);
    const { snapshot } = sendAll(switched.snapshot, [toolDone('alpha')]);
    expect(snapshot.value).toBe('prompting');
    expect(lastUserResults(snapshot)).toEqual([{ type: 'tool_result', tool_use_id: 'tu1', content: 'alpha', is_error: false }]);
  });

  it('an auto override at pause 1 releases the call too, naming the override as the cause', () => {
    const switched = send(atPause1().snapshot, { type: 'worker.trust_override', override: 'auto' });
    expect(switched.snapshot.value).toEqual({ toolCycle: 'executing' });
    expect(emitted(switched.actions).filter((event) => event.type === 'worker.auto_approved')).toEqual([
      expect.objectContaining({ pause: 'approval', cause: 'trust override set to auto' }),
    ]);
  });

  it('a switch to auto while pause 1 still previews releases the call once the preview is in', () => {
    const previewing = send(worker().snapshot, modelReply(assistant(readA))).snapshot;
    expect(previewing.value).toEqual({ toolCycle: { awaitingApproval: 'previewing' } });
    const switched = send(previewing, { type: 'clutch.set_trust', trust: 'auto' }).snapshot;
    expect(switched.value).toEqual({ toolCycle: { awaitingApproval: 'previewing' } });
    const { snapshot, actions } = send(switched, previewDone(switched, { kind: 'text', text: 'preview' }));
    expect(snapshot.value).toEqual({ toolCycle: 'executing' });
    expect(runToolCalls(actions)).toEqual([readA]);
  });

  it('set_trust step while a tool executes in auto: its result stops at pause 2', () => {
    const executing = send(worker({ trust: 'auto' }).snapshot, modelReply(assistant(readA, readB))).snapshot;
    const { snapshot } = sendAll(executing, [{ type: 'clutch.set_trust', trust: 'step' }, toolDone('alpha')]);
    expect(snapshot.value).toEqual({ toolCycle: 'reviewingResult' });
    expect(snapshot.context.review?.content).toBe('alpha');
    const next = send(snapshot, { type: 'clutch.approve' });
    expect(next.snapshot.value).toEqual({ toolCycle: { awaitingApproval: 'previewing' } });
  });

  it('set_trust auto at pause 2 releases the waiting result, and the next call runs without a pause', () => {
    const review = sendAll(atPause1(assistant(readA, readB)).snapshot, [{ type: 'clutch.approve' }, toolDone('alpha')]).snapshot;
    expect(review.value).toEqual({ toolCycle: 'reviewingResult' });
    const { snapshot, actions } = send(review, { type: 'clutch.set_trust', trust: 'auto' });
    expect(snapshot.value).toEqual({ toolCycle: 'executing' });
    expect(snapshot.context.results).toEqual([{ type: 'tool_result', tool_use_id: 'tu1', content: 'alpha', is_error: false }]);
    expect(runToolCalls(actions)).toEqual([readB]);
    expect(emitted(actions).filter((event) => event.type === 'worker.auto_approved')).toEqual([expect.objectContaining({ pause: 'review', call: readA })]);
  });

  it('never releases the interrupted pause on a switch to auto', () => {
    // (covered with the run store in tests/model/worker-interrupted.test.ts; here the gate itself)
    const review = sendAll(atPause1(assistant(readA)).snapshot, [{ type: 'clutch.approve' }]).snapshot;
    const interrupted = send(review, toolInterrupted()).snapshot;
    expect(interrupted.value).toEqual({ toolCycle: 'interrupted' });
    expect(send(interrupted, { type: 'clutch.set_trust', trust: 'auto' }).snapshot.value).toEqual({ toolCycle: 'interrupted' });
  });

  it('"Apply edit and approve" at pause 1 runs the edited call once its new preview is in', () => {
    const paused = atPause1().snapshot;
    const edited = send(paused, { type: 'clutch.edit_payload', input: { path: 'b.txt' }, approve: true }).snapshot;
    expect(edited.value).toEqual({ toolCycle: { awaitingApproval: 'previewing' } });
    const { snapshot, actions } = send(edited, previewDone(edited, { kind: 'text', text: 'preview' }));
    expect(snapshot.value).toEqual({ toolCycle: 'executing' });
    expect(runToolCalls(actions)).toEqual([{ ...readA, input: { path: 'b.txt' } }]);
    expect(snapshot.context.edits.at(-1)).toMatchObject({ kind: 'edit_payload', accepted: true, original: readA.input, replacement: { path: 'b.txt' } });
  });

  it('"Apply edit and approve" with an invalid payload refuses the edit and approves nothing', () => {
    const { snapshot } = send(atPause1().snapshot, { type: 'clutch.edit_payload', input: { nope: 1 }, approve: true });
    expect(snapshot.value).toEqual({ toolCycle: { awaitingApproval: 'ready' } });
    expect(snapshot.context.refusal).not.toBeNull();
  });

  it('"Apply edit and approve" at pause 2 sends the edited result to the model at once', () => {
    const review = sendAll(atPause1().snapshot, [{ type: 'clutch.approve' }, toolDone('alpha')]).snapshot;
    const { snapshot } = send(review, { type: 'clutch.edit_result', output: 'rewritten', approve: true });
    expect(snapshot.value).toBe('prompting');
    expect(lastUserResults(snapshot)).toEqual([{ type: 'tool_result', tool_use_id: 'tu1', content: 'rewritten', is_error: false }]);
  });

  it('worker.trust_override beats the worker\'s own trust, and none gives it back', () => {
    // An auto worker under a step override pauses.
    let auto = worker({ trust: 'auto' }).snapshot;
    auto = send(auto, { type: 'worker.trust_override', override: 'step' }).snapshot;
    expect(auto.context.trustOverride).toBe('step');
    expect(send(auto, modelReply(assistant(readA))).snapshot.value).toEqual({ toolCycle: { awaitingApproval: 'previewing' } });

    // A step worker under an auto override does not.
    const step = send(worker({ trust: 'step' }).snapshot, { type: 'worker.trust_override', override: 'auto' }).snapshot;
    expect(send(step, modelReply(assistant(readA))).snapshot.value).toEqual({ toolCycle: 'executing' });

    // The override from the input counts the same way.
    expect(send(worker({ trust: 'step', trustOverride: 'auto' }).snapshot, modelReply(assistant(readA))).snapshot.value).toEqual({
      toolCycle: 'executing',
    });

    // set_trust does not undo an override.
    const stillStep = sendAll(worker({ trust: 'auto', trustOverride: 'step' }).snapshot, [{ type: 'clutch.set_trust', trust: 'auto' }]).snapshot;
    expect(send(stillStep, modelReply(assistant(readA))).snapshot.value).toEqual({ toolCycle: { awaitingApproval: 'previewing' } });

    // Back to none: the worker's own trust again.
    const released = send(step, { type: 'worker.trust_override', override: 'none' }).snapshot;
    expect(send(released, modelReply(assistant(readA))).snapshot.value).toEqual({ toolCycle: { awaitingApproval: 'previewing' } });
  });
});

describe('worker: a tool actor that throws is a Clutch bug', () => {
  it('executing + xstate.error.actor.tool ends in failed and closes the open calls', () => {
    const executing = send(worker({ trust: 'auto' }).snapshot, modelReply(assistant(readA, readB))).snapshot;
    const { snapshot } = send(executing, toolError(new Error('EIO')));
    expect(snapshot.value).toBe('failed');
    expect(snapshot.output).toEqual({ outcome: 'failed', reason: 'internal error while running a tool: EIO' });
    expect(lastUserResults(snapshot)).toEqual([
      { type: 'tool_result', tool_use_id: 'tu1', content: 'Not run: the worker failed.', is_error: true },
      { type: 'tool_result', tool_use_id: 'tu2', content: 'Not run: the worker failed.', is_error: true },
    ]);
  });
});

describe('worker: a memory edit that drops every tool call', () => {
  it('nudges the model instead of sending an empty user message', () => {
    const paused = atPause1();
    const { snapshot, actions } = send(paused.snapshot, { type: 'clutch.edit_message', message: assistant(text('never mind')) });
    expect(snapshot.value).toBe('prompting');
    expect(snapshot.context.messages).toEqual([PROMPT, assistant(text('never mind')), { role: 'user', content: NUDGE }]);
    expect(modelCalls(actions)).toHaveLength(1);
  });
});

describe('worker: a command interrupted by a crash (the interrupted pause)', () => {
  const command = toolUse('tu4', 'run_command', { argv: ['node', 'build.js'] });

  /** Step worker that approved `command` and heard from runTool that its intent is on record with no result. */
  function atInterrupted(message = assistant(text('Building.'), command, readB)) {
    const approved = send(atPause1(message).snapshot, { type: 'clutch.approve' });
    expect(runToolInputs(approved.actions)).toEqual([{ ticketId: 'T1', attempt: 1, call: command, rerun: false }]);
    return send(approved.snapshot, toolInterrupted());
  }

  it('stops there: nothing to review, the parent and the journal told, nothing run, the model not asked', () => {
    const message = assistant(text('Building.'), command, readB);
    const { snapshot, actions } = atInterrupted(message);
    expect(snapshot.value).toEqual({ toolCycle: 'interrupted' });
    expect(snapshot.status).toBe('active');
    expect(snapshot.context.review).toBeNull();
    expect(snapshot.context.results).toEqual([]);
    expect(snapshot.context.grant.rerun).toBeNull();
    expect(snapshot.context.messages).toEqual([PROMPT, message]);
    expect(sentToParent(actions)).toEqual([{ type: 'worker.paused', pause: 'interrupted' }]);
    expect(emitted(actions)).toEqual([{ type: 'worker.interrupted', ticketId: 'T1', attempt: 1, call: command }]);
    expect(spawned(actions)).toEqual([]);
    expect(Object.keys(snapshot.children)).toEqual([]);
  });

  it('stops there in auto mode too: no gate lets the command through', () => {
    const executing = send(worker({ trust: 'auto' }).snapshot, modelReply(assistant(command, readB)));
    expect(runToolInputs(executing.actions)).toEqual([{ ticketId: 'T1', attempt: 1, call: command, rerun: false }]);
    const { snapshot, actions } = send(executing.snapshot, toolInterrupted());
    expect(snapshot.value).toEqual({ toolCycle: 'interrupted' });
    expect(sentToParent(actions)).toEqual([{ type: 'worker.paused', pause: 'interrupted' }]);
    expect(spawned(actions)).toEqual([]);
  });

  it('clutch.rerun runs the call again, saying so in runTool\'s input; its result then waits at pause 2', () => {
    const rerun = send(atInterrupted().snapshot, { type: 'clutch.rerun' });
    expect(rerun.snapshot.value).toEqual({ toolCycle: 'executing' });
    expect(rerun.snapshot.context.grant.rerun).toBe('tu4');
    expect(runToolInputs(rerun.actions)).toEqual([{ ticketId: 'T1', attempt: 1, call: command, rerun: true }]);
    expect(sentToParent(rerun.actions)).toEqual([{ type: 'worker.resumed' }]);

    const ran = send(rerun.snapshot, toolDone('built'));
    expect(ran.snapshot.value).toEqual({ toolCycle: 'reviewingResult' });
    expect(ran.snapshot.context.review).toEqual({ type: 'tool_result', tool_use_id: 'tu4', content: 'built', is_error: false });
    expect(ran.snapshot.context.grant.rerun).toBeNull();
    expect(emitted(ran.actions)).toEqual([
      { type: 'worker.tool_done', ticketId: 'T1', attempt: 1, call: command, output: { content: 'built', is_error: false } },
    ]);
    // The next call is run as usual: not a rerun.
    const next = sendAll(ran.snapshot, [{ type: 'clutch.approve' }]).snapshot;
    const ready = send(next, previewDone(next, { kind: 'text', text: 'b' })).snapshot;
    expect(runToolInputs(send(ready, { type: 'clutch.approve' }).actions)).toEqual([{ ticketId: 'T1', attempt: 1, call: readB, rerun: false }]);
  });

  it('clutch.use_output in step mode: an empty successful result waits at pause 2, then reaches the model', () => {
    const { snapshot, actions } = send(atInterrupted(assistant(command)).snapshot, { type: 'clutch.use_output' });
    expect(snapshot.value).toEqual({ toolCycle: 'reviewingResult' });
    expect(snapshot.context.review).toEqual({ type: 'tool_result', tool_use_id: 'tu4', content: '', is_error: false });
    expect(spawned(actions)).toEqual([]);
    expect(emitted(actions)).toEqual([
      { type: 'worker.tool_done', ticketId: 'T1', attempt: 1, call: command, output: { content: '', is_error: false } },
    ]);
    expect(sentToParent(actions)).toEqual([{ type: 'worker.resumed' }, { type: 'worker.paused', pause: 'review' }]);
    const done = send(snapshot, { type: 'clutch.approve' });
    expect(done.snapshot.value).toBe('prompting');
    expect(lastUserResults(done.snapshot)).toEqual([{ type: 'tool_result', tool_use_id: 'tu4', content: '', is_error: false }]);
    expect(modelCalls(done.actions)).toHaveLength(1);
  });

  it('clutch.use_output in auto mode: the result is committed and the next call runs at once', () => {
    const interrupted = sendAll(worker({ trust: 'auto' }).snapshot, [modelReply(assistant(command, readA)), toolInterrupted()]).snapshot;
    const { snapshot, actions } = send(interrupted, { type: 'clutch.use_output' });
    expect(snapshot.value).toEqual({ toolCycle: 'executing' });
    expect(snapshot.context.results).toEqual([{ type: 'tool_result', tool_use_id: 'tu4', content: '', is_error: false }]);
    expect(snapshot.context.review).toBeNull();
    expect(runToolInputs(actions)).toEqual([{ ticketId: 'T1', attempt: 1, call: readA, rerun: false }]);
    expect(sentToParent(actions)).toEqual([{ type: 'worker.resumed' }]);
  });

  it('clutch.abort: aborted, the interrupted call said to have maybe run, the others not run', () => {
    const { snapshot, actions } = send(atInterrupted().snapshot, { type: 'clutch.abort', reason: 'it may have half-migrated' });
    expect(snapshot.value).toBe('aborted');
    expect(snapshot.status).toBe('done');
    expect(snapshot.output).toEqual({ outcome: 'aborted', reason: 'aborted: it may have half-migrated' });
    expect(spawned(actions)).toEqual([]);
    expect(sentToParent(actions)).toEqual([{ type: 'worker.resumed' }]);
    expect(lastUserResults(snapshot)).toEqual([
      { type: 'tool_result', tool_use_id: 'tu4', content: INTERRUPTED_ABORTED, is_error: true },
      { type: 'tool_result', tool_use_id: 'tu2', content: 'Not run: aborted by the human.', is_error: true },
    ]);
    expect(snapshot.context.results).toEqual([]);
    expect(snapshot.context.review).toBeNull();
  });

  it('only rerun, use_output and abort answer it: approve and the edits are refused', () => {
    const { snapshot } = atInterrupted();
    expect(snapshot.can({ type: 'clutch.approve' })).toBe(false);
    expect(snapshot.can({ type: 'clutch.edit_result', output: 'fake' })).toBe(false);
    expect(snapshot.can({ type: 'clutch.edit_payload', input: { argv: ['node', '--version'] } })).toBe(false);
    expect(snapshot.can({ type: 'clutch.edit_message', message: assistant(text('never mind')) })).toBe(false);
    expect(snapshot.can({ type: 'clutch.retry_now' })).toBe(false);
    expect(snapshot.can({ type: 'clutch.rerun' })).toBe(true);
    expect(snapshot.can({ type: 'clutch.use_output' })).toBe(true);
    expect(snapshot.can({ type: 'clutch.abort' })).toBe(true);
    const approved = send(snapshot, { type: 'clutch.approve' });
    expect(approved.snapshot.value).toEqual({ toolCycle: 'interrupted' });
    expect(approved.actions).toEqual([]);
  });

  it('rerun and use_output answer nothing but the interrupted pause', () => {
    const paused = atPause1(assistant(command));
    expect(paused.snapshot.can({ type: 'clutch.rerun' })).toBe(false);
    expect(paused.snapshot.can({ type: 'clutch.use_output' })).toBe(false);
    const executing = send(paused.snapshot, { type: 'clutch.approve' }).snapshot;
    expect(executing.can({ type: 'clutch.rerun' })).toBe(false);
    const review = send(executing, toolDone('built')).snapshot;
    expect(review.can({ type: 'clutch.rerun' })).toBe(false);
    expect(review.can({ type: 'clutch.use_output' })).toBe(false);
  });

  it('set_trust auto (or an auto override) does not leave it; the new trust applies at the next gate', () => {
    const interrupted = atInterrupted().snapshot;
    const switched = sendAll(interrupted, [{ type: 'clutch.set_trust', trust: 'auto' }, { type: 'worker.trust_override', override: 'auto' }]);
    expect(switched.snapshot.value).toEqual({ toolCycle: 'interrupted' });
    expect(switched.snapshot.context.trust).toBe('auto');
    expect(switched.snapshot.context.trustOverride).toBe('auto');
    expect(switched.all).toEqual([]);
    // Taking the output now passes pause 2 (auto) and runs the next call without pause 1.
    const { snapshot, actions } = send(switched.snapshot, { type: 'clutch.use_output' });
    expect(snapshot.value).toEqual({ toolCycle: 'executing' });
    expect(runToolInputs(actions)).toEqual([{ ticketId: 'T1', attempt: 1, call: readB, rerun: false }]);
  });
});

describe('worker: QA hints and finishing calls', () => {
  const qa = { archetype: 'qa', profile: 'scripted', system: 'You write fix hints.', trust: 'auto' as const, rawLines: 4 };
  const test = toolUse('tu5', 'run_command', { argv: ['node', '--test'] });
  const failing = { type: 'xstate.done.actor.0.worker.toolCycle.executing', output: { content: 'exit code 1\nnot ok 1 - adds', is_error: true, exit_code: 1 } };
  const hinted = { type: 'xstate.done.actor.qa', output: { hint: 'addItem drops the quantity', content: 'exit code 1\nQA hint (qa): addItem drops the quantity\n\nOutput (1 line):\nnot ok 1 - adds', saved_tokens: 3 }, actorId: 'qa' };

  function ran(overrides: Partial<WorkerInput>, output = failing.output) {
    const replied = send(worker({ trust: 'auto', ...overrides }).snapshot, modelReply(assistant(test)));
    expect(replied.snapshot.value).toEqual({ toolCycle: 'executing' });
    return send(replied.snapshot, { ...toolDone(output.content, output.is_error), output } as never);
  }

  it('a command that exits non-zero goes to qaHint first (the raw output journaled), then the hint reaches the model', () => {
    const qaStarted = ran({ qa });
    expect(qaStarted.snapshot.value).toEqual({ toolCycle: 'qaHint' });
    expect(emitted(qaStarted.actions)).toEqual([expect.objectContaining({ type: 'worker.tool_done', output: failing.output })]);
    expect(spawned(qaStarted.actions)).toEqual([expect.objectContaining({ id: 'qa', src: 'qaHint', input: expect.objectContaining({ output: 'exit code 1\nnot ok 1 - adds', qa }) })]);
    const next = send(qaStarted.snapshot, hinted as never);
    // Auto worker, auto qa: the hint goes to the model at once.
    expect(next.snapshot.value).toBe('prompting');
    expect(lastUserResults(next.snapshot)[0]!.content).toContain('QA hint (qa): addItem drops the quantity');
    expect(next.snapshot.context.hint).toEqual({ tool_use_id: 'tu5', hint: 'addItem drops the quantity', saved_tokens: 3 });
  });

  it('with the qa archetype on step trust the hint stops at pause 2, even for an auto worker', () => {
    const next = send(ran({ qa: { ...qa, trust: 'step' } }).snapshot, hinted as never);
    expect(next.snapshot.value).toEqual({ toolCycle: 'reviewingResult' });
    expect(next.snapshot.context.review?.content).toContain('QA hint (qa)');
  });

  it('no QA without a qa archetype, for a passing command, or for a command that never exited', () => {
    expect(ran({}).snapshot.value).toBe('prompting');
    expect(ran({ qa }, { content: 'exit code 0\nok', is_error: false, exit_code: 0 }).snapshot.value).toBe('prompting');
    expect(ran({ qa }, { content: 'killed by signal SIGKILL: timed out', is_error: true } as never).snapshot.value).toBe('prompting');
  });

  it('a qa model that fails leaves the raw output', () => {
    const next = send(ran({ qa }).snapshot, { type: 'xstate.error.actor.qa', error: new Error('boom'), actorId: 'qa' } as never);
    expect(next.snapshot.value).toBe('prompting');
    expect(lastUserResults(next.snapshot)[0]!.content).toBe('exit code 1\nnot ok 1 - adds');
  });

  it('a finishing call that the tool accepts ends the worker with its input; a refused one goes back to the model', () => {
    const verdict = toolUse('tu7', 'request_changes', { comments: '1. Name the test.' });
    const tools = ['read_file', 'approve_change', 'request_changes'];
    const replied = send(worker({ trust: 'auto', tools, finish: ['approve_change', 'request_changes'] }).snapshot, modelReply(assistant(verdict)));
    const done = send(replied.snapshot, toolDone('verdict recorded: request changes'));
    expect(done.snapshot.status).toBe('done');
    expect(done.snapshot.output).toMatchObject({ outcome: 'completed', summary: '1. Name the test.', finished: { name: 'request_changes', input: { comments: '1. Name the test.' } } });
    const proposal = toolUse('tu8', 'propose_track', { title: 't', tickets: [] });
    const planner = send(worker({ trust: 'auto', tools: ['propose_track'], finish: ['propose_track'] }).snapshot, modelReply(assistant(proposal)));
    const refused = send(planner.snapshot, toolDone('the proposed track was not accepted; 1 problem', true));
    expect(refused.snapshot.value).toBe('prompting');
    expect(lastUserResults(refused.snapshot)[0]).toMatchObject({ is_error: true });
  });

  it('a worker given a transcript goes on from it, the prompt joining its last user message (roles keep alternating)', () => {
    const result = { type: 'tool_result' as const, tool_use_id: 'tu9', content: 'Task marked complete.', is_error: false };
    const before: ModelMessage[] = [PROMPT, assistant(finish()), { role: 'user', content: [result] }];
    const { snapshot } = worker({ messages: before, prompt: 'The review asks for changes: 1. x' });
    expect(snapshot.context.messages).toEqual([PROMPT, assistant(finish()), { role: 'user', content: [result, { type: 'text', text: 'The review asks for changes: 1. x' }] }]);
    expect(worker({ messages: [PROMPT, assistant(text('hm'))], prompt: 'next' }).snapshot.context.messages.at(-1)).toEqual({ role: 'user', content: 'next' });
  });
});
