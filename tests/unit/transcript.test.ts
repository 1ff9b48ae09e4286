import { describe, expect, it } from 'vitest';
import {
  checkAssistantMessage,
  checkToolInput,
  currentCall,
  lastAssistant,
  pairResults,
  replaceLast,
  toolCalls,
  withCallInput,
} from '../../src/machines/transcript.js';
import type { ModelMessage, ToolResultBlock, ToolUseBlock } from '../../src/protocol/index.js';
import { assistant, text, toolUse } from '../support/pure.js';

const TOOLS = ['read_file', 'edit_file', 'run_command', 'task_complete'];
const prompt: ModelMessage = { role: 'user', content: 'Do the thing' };
const readA = toolUse('tu1', 'read_file', { path: 'a.txt' });
const readB = toolUse('tu2', 'read_file', { path: 'b.txt' });
const run = toolUse('tu3', 'run_command', { argv: ['node', '--test'] });

function result(id: string, content = `out ${id}`): ToolResultBlock {
  return { type: 'tool_result', tool_use_id: id, content, is_error: false };
}

describe('lastAssistant and toolCalls', () => {
  it('gives the last message only when it is the assistant\'s', () => {
    const reply = assistant(text('hi'), readA);
    expect(lastAssistant([prompt, reply])).toBe(reply);
    expect(lastAssistant([prompt, reply, { role: 'user', content: [result('tu1')] }])).toBeUndefined();
    expect(lastAssistant([])).toBeUndefined();
  });

  it('lists the tool_use blocks in order, skipping text', () => {
    expect(toolCalls(assistant(text('a'), readA, text('b'), readB))).toEqual([readA, readB]);
    expect(toolCalls(assistant(text('only text')))).toEqual([]);
    expect(toolCalls(undefined)).toEqual([]);
  });
});

describe('currentCall', () => {
  const messages: ModelMessage[] = [prompt, assistant(readA, readB, run)];

  it('is the first call without a committed result or a result under review', () => {
    expect(currentCall(messages, [], null)).toEqual(readA);
    expect(currentCall(messages, [], result('tu1'))).toEqual(readB);
    expect(currentCall(messages, [result('tu1')], result('tu2'))).toEqual(run);
    expect(currentCall(messages, [result('tu1'), result('tu2'), result('tu3')], null)).toBeUndefined();
  });

  it('follows the call order, not the order results came in', () => {
    expect(currentCall(messages, [result('tu2')], null)).toEqual(readA);
  });

  it('is undefined when the last message is not the assistant\'s', () => {
    expect(currentCall([...messages, { role: 'user', content: 'nudge' }], [], null)).toBeUndefined();
  });
});

describe('replaceLast and withCallInput', () => {
  it('replaceLast swaps the last message and leaves the input alone', () => {
    const messages: ModelMessage[] = [prompt, assistant(readA)];
    const next = replaceLast(messages, assistant(readB));
    expect(next).toEqual([prompt, assistant(readB)]);
    expect(messages).toEqual([prompt, assistant(readA)]);
  });

  it('withCallInput rewrites only the input of the call with that id', () => {
    const message = assistant(text('two reads'), readA, readB);
    const next = withCallInput(message, 'tu2', { path: 'c.txt', limit: 5 });
    expect(next).toEqual(assistant(text('two reads'), readA, toolUse('tu2', 'read_file', { path: 'c.txt', limit: 5 })));
    expect(message.content[2]).toEqual(readB);
    expect(withCallInput(message, 'nope', { path: 'x' })).toEqual(message);
  });
});

describe('pairResults', () => {
  const closing = (call: ToolUseBlock): ToolResultBlock => ({ type: 'tool_result', tool_use_id: call.id, content: 'not run', is_error: true });

  it('orders results by the calls they answer', () => {
    expect(pairResults(assistant(readA, readB, run), [result('tu3'), result('tu1'), result('tu2')], closing)).toEqual([
      result('tu1'),
      result('tu2'),
      result('tu3'),
    ]);
  });

  it('closes every call left open, so each tool_use has its tool_result', () => {
    expect(pairResults(assistant(text('x'), readA, readB, run), [result('tu2')], closing)).toEqual([
      { type: 'tool_result', tool_use_id: 'tu1', content: 'not run', is_error: true },
      result('tu2'),
      { type: 'tool_result', tool_use_id: 'tu3', content: 'not run', is_error: true },
    ]);
  });

  it('drops results of calls the message does not make', () => {
    expect(pairResults(assistant(readA), [result('tu1'), result('ghost')], closing)).toEqual([result('tu1')]);
  });

  it('gives nothing for a message without calls or no message', () => {
    expect(pairResults(assistant(text('x')), [result('tu1')], closing)).toEqual([]);
    expect(pairResults(undefined, [], closing)).toEqual([]);
  });
});

describe('checkToolInput', () => {
  it('accepts a valid input, as an object or as JSON text', () => {
    expect(checkToolInput('read_file', { path: 'a.txt', limit: 3 }, TOOLS)).toEqual({ ok: true, value: { path: 'a.txt', limit: 3 } });
    expect(checkToolInput('run_command', '{"argv":["node","-v"]}', TOOLS)).toEqual({ ok: true, value: { argv: ['node', '-v'] } });
  });

  it('refuses a tool that does not exist or that this worker does not have', () => {
    expect(checkToolInput('format_disk', {}, TOOLS)).toEqual({
      ok: false,
      reason: 'unknown tool "format_disk"; this worker has: read_file, edit_file, run_command, task_complete',
    });
    expect(checkToolInput('write_file', { path: 'a', content: '' }, ['read_file'])).toEqual({
      ok: false,
      reason: 'unknown tool "write_file"; this worker has: read_file',
    });
  });

  it('refuses JSON text that does not parse', () => {
    const checked = checkToolInput('read_file', '{"path": ', TOOLS);
    expect(checked.ok).toBe(false);
    expect(!checked.ok && checked.reason).toMatch(/^the payload is not valid JSON: /);
  });

  it('names the offending field', () => {
    const wrongType = checkToolInput('read_file', { path: 7 }, TOOLS);
    expect(!wrongType.ok && wrongType.reason).toMatch(/^input for read_file is invalid: path: /);
    const nested = checkToolInput('run_command', { argv: ['node', 3] }, TOOLS);
    expect(!nested.ok && nested.reason).toMatch(/^input for run_command is invalid: argv\.1: /);
    const extra = checkToolInput('task_complete', { summary: 'ok', extra: true }, TOOLS);
    expect(!extra.ok && extra.reason).toMatch(/^input for task_complete is invalid: .*"extra"/);
    const notObject = checkToolInput('read_file', ['a.txt'], TOOLS);
    expect(notObject.ok).toBe(false);
  });
});

describe('checkAssistantMessage', () => {
  const earlier: ModelMessage[] = [prompt, assistant(readA), { role: 'user', content: [result('tu1')] }];

  it('accepts a well-formed message, as an object or as JSON text', () => {
    const message = assistant(text('Now b.'), readB, run);
    expect(checkAssistantMessage(message, TOOLS, earlier)).toEqual({ ok: true, value: message });
    expect(checkAssistantMessage(JSON.stringify(message), TOOLS, earlier)).toEqual({ ok: true, value: message });
    expect(checkAssistantMessage(assistant(text('just text')), TOOLS, earlier)).toEqual({ ok: true, value: assistant(text('just text')) });
  });

  it.each([
    ['text that is not JSON', '{"role":', /^the message is not valid JSON: /],
    ['a user message', { role: 'user', content: 'hi' }, /^not an assistant message: /],
    ['an unknown block type', { role: 'assistant', content: [{ type: 'image', data: '' }] }, /^not an assistant message: content\.0/],
    ['a tool_result block', { role: 'assistant', content: [result('tu2')] }, /^not an assistant message: content\.0/],
    ['an extra key', { role: 'assistant', content: [text('x')], stop_reason: 'end_turn' }, /^not an assistant message: .*stop_reason/],
    ['a tool_use without id', { role: 'assistant', content: [{ type: 'tool_use', id: '', name: 'read_file', input: { path: 'a' } }] }, /^not an assistant message: content\.0\.id/],
    ['no blocks', { role: 'assistant', content: [] }, /^the message has no content blocks$/],
    ['an unknown tool', assistant(toolUse('tu7', 'rm_rf', {})), /^tu7: unknown tool "rm_rf"/],
    ['a bad tool input', assistant(toolUse('tu7', 'edit_file', { path: 'a.txt' })), /^tu7: input for edit_file is invalid: old_string/],
    ['an id used twice in the message', assistant(toolUse('tu7', 'read_file', { path: 'a' }), toolUse('tu7', 'read_file', { path: 'b' })), /^tool_use id "tu7" is used twice$/],
    ['an id used by an earlier message', assistant(toolUse('tu1', 'read_file', { path: 'a' })), /^tool_use id "tu1" is used twice$/],
  ])('refuses %s', (_name, raw, reason) => {
    const checked = checkAssistantMessage(raw, TOOLS, earlier);
    expect(checked.ok).toBe(false);
    expect(!checked.ok && checked.reason).toMatch(reason);
  });
});
