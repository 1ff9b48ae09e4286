import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AssistantMessage, ModelDelta, ModelMessage } from '../../src/protocol/index.js';
import { ModelError, runTurn, type ModelReply, type ModelTurnRequest } from '../../src/models/model-client.js';
import { jsonErrorOffset } from '../../src/models/script-schema.js';
import { chunkText, createScriptedModel, loadScript, parseScript, type Script } from '../../src/models/scripted.js';

const say = (text: string): AssistantMessage => ({ role: 'assistant', content: [{ type: 'text', text }] });
const call = (id: string, name: string, input: Record<string, unknown>, text?: string): AssistantMessage => ({
  role: 'assistant',
  content: [...(text === undefined ? [] : [{ type: 'text' as const, text }]), { type: 'tool_use', id, name, input }],
});

const script: Script = {
  version: 1,
  tickets: {
    T1: [
      call('toolu_1', 'read_file', { path: 'src/a.js' }, 'Reading the file that the ticket is about, first.'),
      say('All done here, nothing else to change.'),
    ],
    T2: { attempts: [[say('attempt one')], [say('attempt two'), say('attempt two, second reply')]] },
  },
};

function request(ticketId: string, messages: ModelMessage[] = [], extra: Partial<ModelTurnRequest> = {}): ModelTurnRequest {
  return { ticketId, attempt: 1, profile: 'scripted', system: 'You are a worker.', messages, tools: [], ...extra };
}

/** A transcript after `replies` assistant turns, each answered by a user message. */
function transcript(...replies: AssistantMessage[]): ModelMessage[] {
  const messages: ModelMessage[] = [{ role: 'user', content: 'Do the ticket.' }];
  for (const reply of replies) {
    messages.push(reply);
    const toolUse = reply.content.find((block) => block.type === 'tool_use');
    messages.push(
      toolUse
        ? { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: 'ok' }] }
        : { role: 'user', content: 'Go on.' },
    );
  }
  return messages;
}

async function collect(turn: AsyncGenerator<ModelDelta, ModelReply, void>): Promise<{ deltas: ModelDelta[]; reply: ModelReply }> {
  const deltas: ModelDelta[] = [];
  for (;;) {
    const step = await turn.next();
    if (step.done) return { deltas, reply: step.value };
    deltas.push(step.value);
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('scripted model: reply selection', () => {
  const model = createScriptedModel({ script });

  it('is labelled honestly', () => {
    expect(model.label).toBe('scripted model');
  });

  it('picks the reply by the number of assistant messages in the transcript', async () => {
    const first = await runTurn(model, request('T1', transcript()));
    expect(first.message).toEqual((script.tickets.T1 as AssistantMessage[])[0]);
    const second = await runTurn(model, request('T1', transcript(first.message)));
    expect(second.message).toEqual(say('All done here, nothing else to change.'));
  });

  it('gives the same reply when the same request is sent again (stateless)', async () => {
    const messages = transcript(call('toolu_1', 'read_file', { path: 'src/a.js' }));
    const once = await runTurn(model, request('T1', messages));
    const again = await runTurn(model, request('T1', messages));
    expect(again).toEqual(once);
    const fromStart = await runTurn(model, request('T1', transcript()));
    expect(fromStart.message.content[1]).toMatchObject({ type: 'tool_use', id: 'toolu_1' });
  });

  it('does not shift when the last assistant message was edited (memory mutation)', async () => {
    const edited = call('toolu_1', 'read_file', { path: 'src/other.js' }, 'A human rewrote this message.');
    const reply = await runTurn(model, request('T1', transcript(edited)));
    expect(reply.message).toEqual(say('All done here, nothing else to change.'));
  });

  it('hands out copies, so editing a reply cannot change the script', async () => {
    const reply = await runTurn(model, request('T1'));
    const block = reply.message.content[1];
    if (block?.type !== 'tool_use') throw new Error('expected a tool_use block');
    block.input.path = 'changed.js';
    const again = await runTurn(model, request('T1'));
    expect(again.message.content[1]).toMatchObject({ input: { path: 'src/a.js' } });
  });

  it('uses one reply list per attempt, the last one repeating', async () => {
    const text = async (attempt: number, messages: ModelMessage[] = []): Promise<unknown> =>
      (await runTurn(model, request('T2', messages, { attempt }))).message.content[0];
    expect(await text(1)).toEqual({ type: 'text', text: 'attempt one' });
    expect(await text(2)).toEqual({ type: 'text', text: 'attempt two' });
    expect(await text(2, transcript(say('attempt two')))).toEqual({ type: 'text', text: 'attempt two, second reply' });
    expect(await text(7)).toEqual({ type: 'text', text: 'attempt two' });
  });
});

describe('scripted model: streaming', () => {
  it('streams deltas of chunkSize characters that reassemble to the final message', async () => {
    const model = createScriptedModel({ script, chunkSize: 5 });
    const { deltas, reply } = await collect(model.turn(request('T1')));
    expect(deltas.length).toBeGreaterThan(4);
    const texts = new Map<number, string>();
    const inputs = new Map<number, string>();
    for (const delta of deltas) {
      if (delta.type === 'text') {
        expect(delta.text.length).toBeLessThanOrEqual(5);
        texts.set(delta.index, (texts.get(delta.index) ?? '') + delta.text);
      } else {
        expect(delta.partial_json.length).toBeLessThanOrEqual(5);
        expect(delta).toMatchObject({ id: 'toolu_1', name: 'read_file' });
        inputs.set(delta.index, (inputs.get(delta.index) ?? '') + delta.partial_json);
      }
    }
    expect(reply.message.content[0]).toEqual({ type: 'text', text: texts.get(0) });
    expect(reply.message.content[1]).toMatchObject({ input: JSON.parse(inputs.get(1) ?? 'null') });
    expect([...texts.keys(), ...inputs.keys()]).toEqual([0, 1]);
  });

  it('sends one delta per block with chunkSize 0 or Infinity, and 24-character chunks by default', async () => {
    for (const chunkSize of [0, Infinity]) {
      const { deltas } = await collect(createScriptedModel({ script, chunkSize }).turn(request('T1')));
      expect(deltas).toEqual([
        { type: 'text', index: 0, text: 'Reading the file that the ticket is about, first.' },
        { type: 'tool_input', index: 1, id: 'toolu_1', name: 'read_file', partial_json: '{"path":"src/a.js"}' },
      ]);
    }
    const { deltas } = await collect(createScriptedModel({ script }).turn(request('T1')));
    expect(deltas.map((delta) => (delta.type === 'text' ? delta.text : delta.partial_json))).toEqual([
      'Reading the file that th',
      'e ticket is about, first',
      '.',
      '{"path":"src/a.js"}',
    ]);
  });

  it('never cuts a surrogate pair in two', () => {
    expect(chunkText('a😀b😀', 2)).toEqual(['a😀', 'b😀']);
    expect(chunkText('', 3)).toEqual(['']);
  });

  it('refuses a nonsensical chunk size', () => {
    expect(() => createScriptedModel({ script, chunkSize: -1 })).toThrow(RangeError);
    expect(() => createScriptedModel({ script, chunkSize: 2.5 })).toThrow(RangeError);
  });

  it('awaits the injected delay between deltas only when chunkDelayMs is set', async () => {
    const waits: number[] = [];
    const delay = async (ms: number): Promise<void> => void waits.push(ms);
    const { deltas } = await collect(createScriptedModel({ script, chunkSize: 10, delay, chunkDelayMs: 7 }).turn(request('T1')));
    expect(waits).toEqual(Array<number>(deltas.length - 1).fill(7));
    waits.length = 0;
    await collect(createScriptedModel({ script, chunkSize: 10, delay }).turn(request('T1')));
    expect(waits).toEqual([]);
  });

  it('reports tool_use or end_turn as the stop reason', async () => {
    const model = createScriptedModel({ script });
    expect((await runTurn(model, request('T1'))).stop_reason).toBe('tool_use');
    expect((await runTurn(model, request('T2'))).stop_reason).toBe('end_turn');
  });

  it('estimates usage as a quarter of the characters, rounded up', async () => {
    const model = createScriptedModel({ script });
    const reply = await runTurn(model, request('T2', [{ role: 'user', content: '12345' }], { system: 'abc' }));
    expect(reply.usage).toEqual({ input_tokens: 2, output_tokens: Math.ceil('attempt one'.length / 4) });
    const withTools = await runTurn(model, request('T2', [], {
      system: '',
      tools: [{ name: 'read_file', description: 'Reads.', input_schema: { type: 'object' } }],
    }));
    expect(withTools.usage.input_tokens).toBe(Math.ceil(('read_file' + 'Reads.' + '{"type":"object"}').length / 4));
  });
});

describe('scripted model: running out and aborting', () => {
  const model = createScriptedModel({ script });

  it('throws a non-retryable "script exhausted" error past the last reply', async () => {
    const error = await rejection(runTurn(model, request('T1', transcript(say('one'), say('two')))));
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).retryable).toBe(false);
    expect((error as ModelError).message).toBe(
      'script exhausted: ticket T1 has 2 scripted replies and the model was asked for reply 3',
    );
  });

  it('says which attempt ran out, and names tickets the script does not have', async () => {
    const attempt = await rejection(runTurn(model, request('T2', transcript(say('x')), { attempt: 1 })));
    expect((attempt as Error).message).toBe(
      'script exhausted: ticket T2 (attempt 1) has 1 scripted reply and the model was asked for reply 2',
    );
    const missing = await rejection(runTurn(model, request('T9')));
    expect(missing).toBeInstanceOf(ModelError);
    expect((missing as Error).message).toMatch(/^script exhausted: ticket T9 has 0 scripted replies \(the script has no entry/);
  });

  it('throws at once when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await rejection(runTurn(model, request('T1', [], { signal: controller.signal })));
    expect(error).toBeInstanceOf(ModelError);
    expect((error as Error).message).toMatch(/aborted/);
  });

  it('stops mid-stream when the signal aborts between deltas', async () => {
    const controller = new AbortController();
    const turn = createScriptedModel({ script, chunkSize: 4 }).turn(request('T1', [], { signal: controller.signal }));
    expect((await turn.next()).done).toBe(false);
    controller.abort();
    expect(await rejection(turn.next())).toBeInstanceOf(ModelError);
  });

  it('does not hang on a pending delay when aborted', async () => {
    const controller = new AbortController();
    const never = (): Promise<void> => new Promise<void>(() => {});
    const turn = createScriptedModel({ script, chunkSize: 4, chunkDelayMs: 1000, delay: never }).turn(
      request('T1', [], { signal: controller.signal }),
    );
    await turn.next();
    const pending = turn.next();
    controller.abort();
    expect(await rejection(pending)).toBeInstanceOf(ModelError);
  });
});

describe('script files', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clutch-script-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const fileWith = async (name: string, text: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  it('loads a valid script', async () => {
    const path = await fileWith('good.json', JSON.stringify(script));
    expect(await loadScript(path)).toEqual(script);
  });

  it('names the file, line and column of bad JSON', async () => {
    const path = await fileWith('bad.json', '{\n  "version": 1,\n  "tickets": }\n');
    const error = await rejection(loadScript(path));
    expect((error as Error).message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:14: invalid JSON`));
    expect((error as Error).message).toContain('position 31');
  });

  it('names the file and the JSON path of a wrong shape', async () => {
    const bad = { version: 1, tickets: { T1: [say('ok')], T2: [say('fine'), { role: 'assistant', content: [{ type: 'text', text: 3 }] }] } };
    const path = await fileWith('shape.json', JSON.stringify(bad));
    const error = await rejection(loadScript(path));
    expect((error as Error).message).toMatch(/shape\.json: tickets\.T2\[1\]\.content\[0\]\.text: .*expected string/);
  });

  it('reports every kind of shape problem with its path', () => {
    const problem = (value: unknown): string => {
      try {
        parseScript(value, 'demo/script.json');
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('expected parseScript to fail');
    };
    expect(problem({ version: 2, tickets: {} })).toMatch(/^demo\/script\.json: version: /);
    expect(problem({ version: 1, tickets: {}, extra: true })).toMatch(/^demo\/script\.json: \(top level\): .*extra/);
    expect(problem({ version: 1, tickets: { T1: 'hello' } })).toMatch(/tickets\.T1: expected a list of assistant messages/);
    expect(problem({ version: 1, tickets: { T1: { attempts: [[say('a')], []] } } })).toMatch(/tickets\.T1\.attempts\[1\]: /);
    expect(problem({ version: 1, tickets: { 'my ticket': [{ role: 'user', content: 'x' }] } })).toMatch(
      /tickets\["my ticket"\]\[0\]\.role: /,
    );
    const duplicate = { version: 1, tickets: { T1: [call('same', 'read_file', {}), call('same', 'read_file', {})] } };
    expect(problem(duplicate)).toMatch(/tickets\.T1\[1\]\.content\[0\]\.id: duplicate tool_use id "same" \(first used at tickets\.T1\[0\]/);
  });

  it('says when the file cannot be read', async () => {
    const error = await rejection(loadScript(join(dir, 'missing.json')));
    expect((error as Error).message).toMatch(/missing\.json: cannot read the script/);
  });

  it('finds the offset of JSON syntax errors', () => {
    for (const [text, offset] of [
      ['{"a": }', 6],
      ['[1, 2', 5],
      ['{"a": 1} x', 9],
      ['"tab\there"', 4],
      ['[01]', 2],
      ['{"a": tru}', 6],
      ['{"a\\q": 1}', 4],
    ] as const) {
      expect(() => JSON.parse(text)).toThrow();
      expect([text, jsonErrorOffset(text)]).toEqual([text, offset]);
    }
  });
});
