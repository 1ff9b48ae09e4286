import { afterEach, describe, expect, it } from 'vitest';
import { createAnthropicModel } from '../../src/models/anthropic.js';
import { ModelError, runTurn, type ModelTurnRequest } from '../../src/models/model-client.js';
import type { ModelDelta } from '../../src/protocol/index.js';
import { toolSpecs } from '../../src/tools/index.js';
import { startFakeAnthropic, type FakeAnthropic, type FaultKind, type Responder } from '../support/fake-anthropic.js';
import { failure } from '../support/model-failure.js';

const KEY = 'sk-ant-test-0123456789-secret';
let fake: FakeAnthropic | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const writeCall = { type: 'tool_use' as const, id: 'toolu_1', name: 'write_file', input: { path: 'a.txt', content: 'hello world, a long enough content to be split' } };

async function setup(responder: Responder = () => ({ role: 'assistant', content: [{ type: 'text', text: 'Let me write it.' }, writeCall] })) {
  fake = await startFakeAnthropic({ apiKey: KEY, responder, now: () => 1_000_000 });
  return createAnthropicModel({ apiKey: KEY, baseURL: fake.url, model: 'claude-test', profile: 'sonnet', maxTokens: 512, now: () => 1_000_000 });
}

function request(overrides: Partial<ModelTurnRequest> = {}): ModelTurnRequest {
  return {
    ticketId: 'T1',
    attempt: 1,
    profile: 'sonnet',
    system: 'You are a test.',
    messages: [{ role: 'user', content: 'Ticket T1: write a.txt' }],
    tools: toolSpecs(['write_file', 'task_complete']),
    ...overrides,
  };
}

describe('the Anthropic model client against the fake Messages API', () => {
  it('streams text and tool-input deltas, and returns the message, stop reason and usage', async () => {
    const model = await setup();
    const deltas: ModelDelta[] = [];
    const reply = await runTurn(model, request(), (delta) => deltas.push(delta));
    expect(reply.message).toEqual({ role: 'assistant', content: [{ type: 'text', text: 'Let me write it.' }, writeCall] });
    expect(reply.stop_reason).toBe('tool_use');
    expect(reply.usage.input_tokens).toBeGreaterThan(10);
    expect(reply.usage.output_tokens).toBeGreaterThan(5);
    expect(deltas.filter((delta) => delta.type === 'text').map((delta) => (delta.type === 'text' ? delta.text : '')).join('')).toBe('Let me write it.');
    const json = deltas.flatMap((delta) => (delta.type === 'tool_input' ? [delta.partial_json] : []));
    expect(json.length).toBeGreaterThan(1);
    expect(JSON.parse(json.join(''))).toEqual(writeCall.input);
    expect(deltas.find((delta) => delta.type === 'tool_input')).toMatchObject({ id: 'toolu_1', name: 'write_file', index: 1 });
  });

  it('sends the key as a Bearer token, the tools as JSON schemas, and the system prompt', async () => {
    const model = await setup();
    await runTurn(model, request());
    const sent = fake!.requests[0]!;
    expect(sent.headers['authorization']).toBe(`Bearer ${KEY}`);
    expect(sent.headers['anthropic-version']).toBe('2026-10-21');
    expect(sent.headers['x-stainless-retry-count']).toBe('0');
    expect(sent.body?.model).toBe('claude-test');
    expect(sent.body?.max_tokens).toBe(512);
    expect(sent.body?.system).toBe('You are a test.');
    expect(sent.body?.tools.map((tool) => tool.name)).toEqual(['write_file', 'task_complete']);
    expect(sent.body?.tools[0]!.input_schema).toMatchObject({ type: 'object', properties: { path: { type: 'string' } } });
  });

  it('reads the rate-limit headers of a reply', async () => {
    fake = await startFakeAnthropic({ apiKey: KEY, responder: () => ({ role: 'assistant', content: [{ type: 'text', text: 'hi' }] }), requestsPerWindow: 10, now: () => 5_000 });
    const model = createAnthropicModel({ apiKey: KEY, baseURL: fake.url, model: 'm', profile: 'p', now: () => 5_000 });
    const reply = await runTurn(model, request());
    expect(reply.stop_reason).toBe('end_turn');
    expect(reply.limits?.requests).toEqual({ limit: 10, remaining: 9, reset: 5_000 + 6_000 });
  });

  it('end_turn with text only is a reply; max_tokens with text is a reply the worker nudges', async () => {
    const model = await setup(() => ({ message: { role: 'assistant', content: [{ type: 'text', text: 'cut sho' }] }, stop_reason: 'max_tokens' }));
    const reply = await runTurn(model, request());
    expect(reply.stop_reason).toBe('max_tokens');
    expect(reply.message.content).toEqual([{ type: 'text', text: 'cut sho' }]);
  });

  it('max_tokens in the middle of a tool call is a clear, non-retryable error', async () => {
    const model = await setup(() => ({ message: { role: 'assistant', content: [writeCall] }, stop_reason: 'max_tokens' }));
    const error = await failure(runTurn(model, request()));
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/max_tokens \(512\) in the middle of a write_file call.*\[models\.sonnet\]/);
  });

  it('a refusal is a non-retryable error saying the model refused', async () => {
    const model = await setup(() => ({ message: { role: 'assistant', content: [{ type: 'text', text: 'I cannot help.' }] }, stop_reason: 'refusal' }));
    const error = await failure(runTurn(model, request()));
    expect(error).toMatchObject({ retryable: false, kind: 'refused' });
    expect(error.message).toMatch(/model refused/);
  });

  const retryable: [FaultKind, string, RegExp][] = [
    ['rate_limit', 'rate_limited', /rate limited by the API \(HTTP 429/],
    ['overloaded', 'overloaded', /overloaded \(HTTP 529/],
    ['server_error', 'server', /server error \(HTTP 500/],
    ['reset', 'stream', /stream broke off/],
    ['malformed', 'stream', /malformed/],
    ['stream_error', 'overloaded', /mid-stream \(overloaded_error/],
  ];
  for (const [fault, kind, message] of retryable) {
    it(`${fault} is a retryable ModelError (${kind})`, async () => {
      const model = await setup();
      fake!.inject(fault);
      const error = await failure(runTurn(model, request()));
      expect(error).toMatchObject({ retryable: true, kind });
      expect(error.message).toMatch(message);
      expect(fake!.requests).toHaveLength(1); // the SDK did not retry on its own
      // The next request goes through.
      expect((await runTurn(model, request())).stop_reason).toBe('tool_use');
    });
  }

  it('a 429 carries retry-after as a deadline on the injected clock', async () => {
    const model = await setup();
    fake!.retryAfterSeconds = 7;
    fake!.inject('rate_limit');
    const error = await failure(runTurn(model, request()));
    expect(error.retryAt).toBe(1_000_000 + 7_000);
    expect(error.limits?.retryAfterMs).toBe(7_000);
  });

  it('a connection refused is retryable', async () => {
    const model = createAnthropicModel({ apiKey: KEY, baseURL: 'http://127.0.0.1:9', model: 'm', profile: 'p' });
    const error = await failure(runTurn(model, request()));
    expect(error).toMatchObject({ retryable: true, kind: 'connection' });
  });

  it('a wrong key is not retryable, says so, and never shows the key', async () => {
    await setup();
    const wrong = 'sk-ant-wrong-key-987654321';
    const model = createAnthropicModel({ apiKey: wrong, baseURL: fake!.url, model: 'm', profile: 'p' });
    const error = await failure(runTurn(model, request()));
    expect(error).toMatchObject({ retryable: false, kind: 'auth', status: 401 });
    expect(error.message).toMatch(/API key was rejected.*ANTHROPIC_API_KEY/);
    expect(error.message).not.toContain(wrong);
    expect(fake!.requests).toHaveLength(1);
  });

  it('404 and 400 are not retryable and name what to check', async () => {
    await setup();
    const model = createAnthropicModel({ apiKey: KEY, baseURL: `${fake!.url}/nowhere`, model: 'm', profile: 'opus' });
    const error = await failure(runTurn(model, request()));
    expect(error).toMatchObject({ retryable: false, status: 404 });
    expect(error.message).toMatch(/\[models\.opus\]/);
  });

  it('the x-api-key header is accepted too', async () => {
    await setup();
    const response = await fetch(`${fake!.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'Ticket T1: hi' }], stream: true }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/^event: message_start\ndata: /);
    expect(text).toContain('event: content_block_delta');
    expect(text).toContain('"type":"input_json_delta"');
    expect(text.trimEnd().endsWith('event: message_stop\ndata: {"type":"message_stop"}')).toBe(true);
  });

  it('aborting the signal ends the turn with a non-retryable abort', async () => {
    const model = await setup();
    const controller = new AbortController();
    controller.abort();
    const error = await failure(runTurn(model, request({ signal: controller.signal })));
    expect(error.kind).toBe('aborted');
  });
});
