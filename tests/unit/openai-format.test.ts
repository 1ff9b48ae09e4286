import { describe, expect, it } from 'vitest';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { ModelError } from '../../src/models/model-client.js';
import {
  ChatReplyAssembler,
  assistantMessageOf,
  fromChatMessages,
  stopReasonOf,
  toChatMessages,
  toChatTools,
  TOOL_ERROR_PREFIX,
} from '../../src/models/openai-format.js';
import type { AssistantMessage, ModelDelta, ModelMessage } from '../../src/protocol/index.js';
import { toolSpecs } from '../../src/tools/index.js';

const SYSTEM = 'You are a careful engineer.';
const read = { type: 'tool_use' as const, id: 'call_1', name: 'read_file', input: { path: 'src/money.js' } };
const list = { type: 'tool_use' as const, id: 'call_2', name: 'list_files', input: { path: 'src', depth: 2 } };
const write = { type: 'tool_use' as const, id: 'call_3', name: 'write_file', input: { path: 'a.txt', content: 'line "one"\nline two\n' } };

/** A transcript as the worker writes it: calls, results (one failed), text beside calls, a nudge. */
const transcript: ModelMessage[] = [
  { role: 'user', content: 'Ticket T1: implement toCents in src/money.js' },
  { role: 'assistant', content: [{ type: 'text', text: 'Let me look around first.' }, read, list] },
  {
    role: 'user',
    content: [
      { type: 'tool_result', tool_use_id: 'call_1', content: 'export function toCents() {}', is_error: false },
      { type: 'tool_result', tool_use_id: 'call_2', content: 'no such directory: src', is_error: true },
    ],
  },
  { role: 'assistant', content: [write] },
  {
    role: 'user',
    content: [
      { type: 'tool_result', tool_use_id: 'call_3', content: 'wrote a.txt (21 bytes)', is_error: false },
      { type: 'text', text: 'QA hint: the test expects whole cents.' },
    ],
  },
  { role: 'assistant', content: [{ type: 'text', text: 'Done, I think.' }] },
  { role: 'user', content: 'Continue: call task_complete when the ticket is done.' },
];

function roundTrip(messages: ModelMessage[], system = SYSTEM) {
  return fromChatMessages(toChatMessages(system, messages));
}

describe('internal transcript → Chat Completions', () => {
  const chat = toChatMessages(SYSTEM, transcript);

  it('puts the system prompt first and keeps plain user strings', () => {
    expect(chat[0]).toEqual({ role: 'system', content: SYSTEM });
    expect(chat[1]).toEqual({ role: 'user', content: 'Ticket T1: implement toCents in src/money.js' });
    expect(chat.at(-1)).toEqual({ role: 'user', content: 'Continue: call task_complete when the ticket is done.' });
    expect(toChatMessages('', [{ role: 'user', content: 'hi' }])).toEqual([{ role: 'user', content: 'hi' }]);
  });

  it('gives an assistant message its text and one function tool call per tool_use, arguments as JSON', () => {
    expect(chat[2]).toEqual({
      role: 'assistant',
      content: 'Let me look around first.',
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'read_file', arguments: '{"path":"src/money.js"}' } },
        { id: 'call_2', type: 'function', function: { name: 'list_files', arguments: '{"path":"src","depth":2}' } },
      ],
    });
    // Calls without text: content is null.
    expect(chat[5]).toMatchObject({ role: 'assistant', content: null, tool_calls: [{ id: 'call_3' }] });
    expect(JSON.parse((chat[5] as { tool_calls: { function: { arguments: string } }[] }).tool_calls[0]!.function.arguments)).toEqual(write.input);
    // Text only: no tool_calls key at all.
    expect(chat[8]).toEqual({ role: 'assistant', content: 'Done, I think.' });
  });

  it('turns tool results into tool messages right after the calls, a failure marked, the user text after them', () => {
    expect(chat.slice(3, 5)).toEqual([
      { role: 'tool', tool_call_id: 'call_1', content: 'export function toCents() {}' },
      { role: 'tool', tool_call_id: 'call_2', content: `${TOOL_ERROR_PREFIX}no such directory: src` },
    ]);
    expect(chat.slice(6, 8)).toEqual([
      { role: 'tool', tool_call_id: 'call_3', content: 'wrote a.txt (21 bytes)' },
      { role: 'user', content: 'QA hint: the test expects whole cents.' },
    ]);
    // Text before the results in the internal message still goes after the tool messages.
    const textFirst = toChatMessages('', [
      { role: 'assistant', content: [read] },
      { role: 'user', content: [{ type: 'text', text: 'note' }, { type: 'tool_result', tool_use_id: 'call_1', content: 'ok' }] },
    ]);
    expect(textFirst.map((message) => message.role)).toEqual(['assistant', 'tool', 'user']);
  });

  it('gives the tools as function tools with their JSON schema as parameters', () => {
    const tools = toChatTools(toolSpecs(['write_file', 'task_complete']));
    expect(tools.map((tool) => tool.function.name)).toEqual(['write_file', 'task_complete']);
    expect(tools[0]).toMatchObject({ type: 'function', function: { description: expect.any(String), parameters: { type: 'object', properties: { path: { type: 'string' } } } } });
  });
});

describe('the round trip internal → chat → internal', () => {
  it('gives back the same transcript: calls, results, several calls in one reply, text beside calls', () => {
    expect(roundTrip(transcript)).toEqual({ system: SYSTEM, messages: transcript });
  });

  it('gives back a memory edit: other text, an edited call input, a removed call', () => {
    const edited: AssistantMessage = {
      role: 'assistant',
      content: [{ type: 'text', text: 'Only read the file; skip the listing.' }, { ...read, input: { path: 'src/money.js', offset: 10 } }],
    };
    const mutated = [...transcript.slice(0, 1), edited];
    expect(roundTrip(mutated)).toEqual({ system: SYSTEM, messages: mutated });
    // What the model is sent is the edit, not the original.
    const sent = toChatMessages(SYSTEM, mutated).at(-1);
    expect(sent).toEqual({
      role: 'assistant',
      content: 'Only read the file; skip the listing.',
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'read_file', arguments: '{"path":"src/money.js","offset":10}' } }],
    });
  });

  it('keeps inputs with nesting, unicode and escapes exactly', () => {
    const odd = { type: 'tool_use' as const, id: 'c', name: 'edit_file', input: { path: 'ü/ä.js', edits: [{ old: '\\n"', new: '\u2028\t' }], none: null } };
    const messages: ModelMessage[] = [{ role: 'user', content: 'Ticket T9: x' }, { role: 'assistant', content: [odd] }];
    expect(roundTrip(messages).messages).toEqual(messages);
  });

  it('reads a chat transcript whose tool results are followed by the next assistant turn', () => {
    const chat = toChatMessages(SYSTEM, transcript.slice(0, 4));
    expect(fromChatMessages(chat).messages).toEqual(transcript.slice(0, 4));
  });
});

function chunk(delta: ChatCompletionChunk.Choice.Delta, finish: ChatCompletionChunk.Choice['finish_reason'] = null): ChatCompletionChunk {
  return { id: 'chatcmpl-7', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] };
}

function assemble(chunks: ChatCompletionChunk[]): { assembler: ChatReplyAssembler; deltas: ModelDelta[] } {
  const assembler = new ChatReplyAssembler();
  const deltas = chunks.flatMap((piece) => assembler.push(piece));
  return { assembler, deltas };
}

describe('a streamed reply put together', () => {
  it('assembles two interleaved calls by index, text first, with deltas carrying id and name', () => {
    const { assembler, deltas } = assemble([
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Reading ' }),
      chunk({ content: 'both.' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'read_file', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'list_files', arguments: '{"pa' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"path":' } }] }),
      chunk({ tool_calls: [{ index: 1, function: { arguments: 'th":"src"}' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"a.js"}' } }] }),
      chunk({}, 'tool_calls'),
      { id: 'chatcmpl-7', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [], usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 } },
    ]);
    expect(assembler.message()).toEqual({
      role: 'assistant',
      content: [
        { type: 'text', text: 'Reading both.' },
        { type: 'tool_use', id: 'call_a', name: 'read_file', input: { path: 'a.js' } },
        { type: 'tool_use', id: 'call_b', name: 'list_files', input: { path: 'src' } },
      ],
    });
    expect(assembler.finishReason).toBe('tool_calls');
    expect(assembler.usage).toEqual({ input_tokens: 120, output_tokens: 30 });
    expect(deltas.filter((delta) => delta.type === 'text')).toEqual([
      { type: 'text', index: 0, text: 'Reading ' },
      { type: 'text', index: 0, text: 'both.' },
    ]);
    const inputs = deltas.filter((delta) => delta.type === 'tool_input');
    expect(inputs.map((delta) => [delta.index, delta.id, delta.name, delta.partial_json])).toEqual([
      [2, 'call_b', 'list_files', '{"pa'],
      [1, 'call_a', 'read_file', '{"path":'],
      [2, 'call_b', 'list_files', 'th":"src"}'],
      [1, 'call_a', 'read_file', '"a.js"}'],
    ]);
  });

  it('a whole call in one delta (as Ollama sends it), and a call with no id, still assemble', () => {
    const { assembler } = assemble([
      chunk({ tool_calls: [{ index: 0, id: 'call_x', function: { name: 'task_complete', arguments: '{"summary":"done"}' } }] }),
      chunk({ tool_calls: [{ index: 1, function: { name: 'read_file', arguments: '' } }] }),
      chunk({}, 'stop'),
    ]);
    expect(assembler.message().content).toEqual([
      { type: 'tool_use', id: 'call_x', name: 'task_complete', input: { summary: 'done' } },
      { type: 'tool_use', id: 'chatcmpl-7_1', name: 'read_file', input: {} },
    ]);
    expect(assembler.usage).toBeUndefined();
  });

  it('holds argument pieces back until the call has a name', () => {
    const { deltas } = assemble([
      chunk({ tool_calls: [{ index: 0, id: 'call_n', function: { arguments: '{"path"' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { name: 'read_file', arguments: ':"x"}' } }] }),
    ]);
    expect(deltas).toEqual([{ type: 'tool_input', index: 1, id: 'call_n', name: 'read_file', partial_json: '{"path":"x"}' }]);
  });

  it('a chunk that is not a chat.completion.chunk is a retryable malformed stream', () => {
    const assembler = new ChatReplyAssembler();
    let error: unknown;
    try {
      assembler.push({ id: 'x', choices: 'nope' } as unknown as ChatCompletionChunk);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ retryable: true, kind: 'stream', message: expect.stringMatching(/response stream was malformed/) });
  });
});

describe('tool call arguments that cannot be used', () => {
  function failure(run: () => unknown): ModelError {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(ModelError);
      return error as ModelError;
    }
    throw new Error('no error');
  }

  it('unparsable arguments are a non-retryable error that names the call', () => {
    const error = failure(() => assistantMessageOf('', [{ id: 'call_9', name: 'write_file', arguments: '{"path": "a.txt", "content": "unterminated' }]));
    expect(error).toMatchObject({ retryable: false, kind: 'invalid_request' });
    expect(error.message).toMatch(/write_file call call_9 has arguments that cannot be used \(they are not JSON/);
  });

  it('arguments that are JSON but no object are refused too; empty arguments are no arguments', () => {
    expect(failure(() => assistantMessageOf('', [{ id: 'c', name: 'read_file', arguments: '["a.js"]' }])).message).toMatch(/read_file call c .*not a JSON object/);
    expect(failure(() => assistantMessageOf('', [{ id: 'c', name: 'read_file', arguments: '"a.js"' }])).message).toMatch(/not a JSON object/);
    expect(assistantMessageOf('hi', [{ id: 'c', name: 'task_complete', arguments: ' ' }]).content).toEqual([
      { type: 'text', text: 'hi' },
      { type: 'tool_use', id: 'c', name: 'task_complete', input: {} },
    ]);
  });

  it('a streamed call with broken arguments fails when the message is taken', () => {
    const { assembler } = assemble([chunk({ tool_calls: [{ index: 0, id: 'call_b', function: { name: 'edit_file', arguments: '{"path":' } }] }), chunk({}, 'tool_calls')]);
    expect(failure(() => assembler.message()).message).toMatch(/edit_file call call_b/);
  });
});

describe('finish_reason as a stop reason', () => {
  it('maps each finish reason', () => {
    expect(stopReasonOf('tool_calls', true)).toBe('tool_use');
    expect(stopReasonOf('function_call', true)).toBe('tool_use');
    expect(stopReasonOf('stop', false)).toBe('end_turn');
    expect(stopReasonOf('length', false)).toBe('max_tokens');
    expect(stopReasonOf('content_filter', false)).toBe('refusal');
    // Some local servers say "stop" beside tool calls.
    expect(stopReasonOf('stop', true)).toBe('tool_use');
  });
});
