import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { APIConnectionTimeoutError, APIError } from 'openai';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { withIdleTimeout } from '../../src/models/idle-timeout.js';
import { ModelError, runTurn, type ModelTurnRequest } from '../../src/models/model-client.js';
import { createOpenAIModel, openaiSdk, toModelError, type OpenAIModelOptions } from '../../src/models/openai.js';
import { durationMs, readOpenAIRateLimitHeaders } from '../../src/models/rate-limit-headers.js';
import type { AssistantMessage, ModelDelta } from '../../src/protocol/index.js';
import { toolSpecs } from '../../src/tools/index.js';
import type { Responder } from '../support/fake-anthropic.js';
import { goDuration, startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions, type OpenAIFaultKind } from '../support/fake-openai.js';
import { failure } from '../support/model-failure.js';

const KEY = 'sk-openai-test-0123456789-secret';
const NOW = 1_000_000;
let fake: FakeOpenAI | undefined;
let extra: Server | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await fake?.close();
  fake = undefined;
  await new Promise<void>((resolve) => (extra ? extra.close(() => resolve()) : resolve()));
  extra = undefined;
});

const readCall = { type: 'tool_use' as const, id: 'call_r', name: 'read_file', input: { path: 'src/money.js' } };
const writeCall = { type: 'tool_use' as const, id: 'call_w', name: 'write_file', input: { path: 'a.txt', content: 'hello world, a long enough content to be split in pieces' } };
const twoCalls: AssistantMessage = { role: 'assistant', content: [{ type: 'text', text: 'Let me read and write.' }, readCall, writeCall] };

async function setup(fakeOptions: Partial<FakeOpenAIOptions> = {}, clientOptions: Partial<OpenAIModelOptions> = {}) {
  const responder: Responder = () => structuredClone(twoCalls);
  fake = await startFakeOpenAI({ apiKey: KEY, responder, now: () => NOW, ...fakeOptions });
  return createOpenAIModel({ apiKey: KEY, baseURL: `${fake.url}/v1`, model: 'qwen2.5-coder:7b', profile: 'local', maxTokens: 512, now: () => NOW, ...clientOptions });
}

function request(overrides: Partial<ModelTurnRequest> = {}): ModelTurnRequest {
  return {
    ticketId: 'T1',
    attempt: 1,
    profile: 'local',
    system: 'You are a test.',
    messages: [{ role: 'user', content: 'Ticket T1: write a.txt' }],
    tools: toolSpecs(['read_file', 'write_file', 'task_complete']),
    ...overrides,
  };
}

describe('the OpenAI-compatible client against the fake server', () => {
  it('assembles interleaved tool calls by index, streams their deltas, and takes the usage of the last chunk', async () => {
    const model = await setup();
    const deltas: ModelDelta[] = [];
    const reply = await runTurn(model, request(), (delta) => deltas.push(delta));
    expect(reply.message).toEqual(twoCalls);
    expect(reply.stop_reason).toBe('tool_use');
    const sent = fake!.requests[0]!.body!;
    // The fake's own count of the request it received, sent back in its usage chunk.
    const prompt = Math.ceil(JSON.stringify([sent.system, sent.messages, sent.tools]).length / 4);
    expect(reply.usage).toEqual({ input_tokens: prompt, output_tokens: Math.ceil(JSON.stringify(twoCalls.content).length / 4) });
    expect(deltas.filter((delta) => delta.type === 'text').map((delta) => (delta.type === 'text' ? delta.text : '')).join('')).toBe('Let me read and write.');
    const inputs = deltas.filter((delta) => delta.type === 'tool_input');
    // The two calls' pieces came interleaved: the second call's first piece before the first call's last.
    const order = inputs.map((delta) => delta.index);
    expect(order.indexOf(2)).toBeLessThan(order.lastIndexOf(1));
    for (const [index, call] of [[1, readCall], [2, writeCall]] as const) {
      const own = inputs.filter((delta) => delta.index === index);
      expect(own.every((delta) => delta.id === call.id && delta.name === call.name)).toBe(true);
      expect(JSON.parse(own.map((delta) => delta.partial_json).join(''))).toEqual(call.input);
    }
  });

  it('sends the model, max_tokens, the streamed usage request, the tools and the transcript, with the key as a Bearer token', async () => {
    const model = await setup();
    await runTurn(model, request());
    const sent = fake!.requests[0]!;
    expect(sent.headers['authorization']).toBe(`Bearer ${KEY}`);
    expect(sent.headers['x-stainless-retry-count']).toBe('0');
    expect(sent.chat).toMatchObject({ model: 'qwen2.5-coder:7b', max_tokens: 512, stream: true, stream_options: { include_usage: true } });
    expect(sent.chat!.messages).toEqual([
      { role: 'system', content: 'You are a test.' },
      { role: 'user', content: 'Ticket T1: write a.txt' },
    ]);
    expect(sent.body?.tools.map((tool) => tool.name)).toEqual(['read_file', 'write_file', 'task_complete']);
    expect(sent.body?.tools[1]!.input_schema).toMatchObject({ type: 'object', properties: { path: { type: 'string' } } });
    expect(model.label).toBe(`openai-compatible qwen2.5-coder:7b at ${new URL(fake!.url).host}`);
  });

  it('sends no max_tokens and no tools when there are none to send', async () => {
    const model = await setup({}, { maxTokens: undefined });
    await runTurn(model, request({ tools: [] }));
    expect(fake!.requests[0]!.chat).not.toHaveProperty('max_tokens');
    expect(fake!.requests[0]!.chat).not.toHaveProperty('tools');
  });

  it('needs no key when none is configured, and reads neither OPENAI_API_KEY nor OPENAI_BASE_URL', async () => {
    vi.stubEnv('OPENAI_API_KEY', 'sk-from-the-environment-0000');
    vi.stubEnv('OPENAI_ADMIN_KEY', 'sk-admin-from-the-environment-0000');
    vi.stubEnv('OPENAI_BASE_URL', 'http://127.0.0.1:9/v1');
    const model = await setup({ apiKey: undefined }, { apiKey: undefined });
    const reply = await runTurn(model, request());
    expect(reply.stop_reason).toBe('tool_use');
    expect(fake!.requests).toHaveLength(1);
    expect(fake!.requests[0]!.headers['authorization']).toBe('Bearer no-key');
  });

  it('reads the x-ratelimit headers of a reply into its limits', async () => {
    const model = await setup({ requestsPerWindow: 10 });
    const reply = await runTurn(model, request());
    expect(reply.limits?.requests).toEqual({ limit: 10, remaining: 9, reset: NOW + 6_000 });
  });

  it('estimates the usage when the server sends none', async () => {
    const model = await setup({ noUsage: true });
    const reply = await runTurn(model, request());
    expect(reply.usage.input_tokens).toBeGreaterThan(50);
    expect(reply.usage.output_tokens).toBeGreaterThan(10);
  });

  it('finish_reason length after plain text is a reply the worker nudges', async () => {
    const model = await setup({ responder: () => ({ role: 'assistant', content: [{ type: 'text', text: 'The change I would make is this one' }] }) });
    fake!.inject('length');
    const reply = await runTurn(model, request());
    expect(reply.stop_reason).toBe('max_tokens');
    expect(reply.message.content).toEqual([{ type: 'text', text: 'The change I would' }]);
  });

  it('finish_reason length in the middle of a tool call is a clear, non-retryable cut_off', async () => {
    const model = await setup();
    fake!.inject('length');
    const error = await failure(runTurn(model, request()));
    expect(error).toMatchObject({ retryable: false, kind: 'cut_off' });
    expect(error.message).toBe(
      'the reply hit max_tokens (512) in the middle of a write_file call, so its input is incomplete; raise max_tokens in [models.local] or ask for smaller steps',
    );
  });

  it('without max_tokens configured, the cut_off says what to set', async () => {
    const model = await setup({}, { maxTokens: undefined });
    fake!.inject('length');
    const error = await failure(runTurn(model, request()));
    expect(error.message).toMatch(/hit the server's output limit \(no max_tokens in \[models\.local\]\) in the middle of a write_file call/);
  });

  it('a content filter stop is a non-retryable refusal', async () => {
    const model = await setup({ responder: () => ({ message: { role: 'assistant', content: [{ type: 'text', text: 'No.' }] }, stop_reason: 'refusal' }) });
    const error = await failure(runTurn(model, request()));
    expect(error).toMatchObject({ retryable: false, kind: 'refused' });
    expect(error.message).toMatch(/refused.*content_filter/);
  });

  const retryable: [OpenAIFaultKind, string, RegExp][] = [
    ['rate_limit', 'rate_limited', /^rate limited by the server \(HTTP 429: Rate limit reached for requests\)$/],
    ['server_error', 'server', /^the server had an error \(HTTP 500: The server had an error/],
    ['reset', 'stream', /^the response stream broke off: terminated/],
    ['malformed', 'stream', /^the response stream was malformed: /],
  ];
  for (const [fault, kind, message] of retryable) {
    it(`${fault} is a retryable ModelError (${kind}), and the next request goes through`, async () => {
      const model = await setup();
      fake!.inject(fault);
      const error = await failure(runTurn(model, request()));
      expect(error).toMatchObject({ retryable: true, kind });
      expect(error.message).toMatch(message);
      expect(fake!.requests).toHaveLength(1); // the SDK did not retry on its own
      expect((await runTurn(model, request())).stop_reason).toBe('tool_use');
    });
  }

  it('a 429 carries retry-after as a deadline on the injected clock, and its rate-limit headers', async () => {
    const model = await setup({ requestsPerWindow: 50 });
    fake!.retryAfterSeconds = 7;
    fake!.inject('rate_limit');
    const error = await failure(runTurn(model, request()));
    expect(error.status).toBe(429);
    expect(error.retryAt).toBe(NOW + 7_000);
    expect(error.limits).toMatchObject({ retryAfterMs: 7_000, requests: { limit: 50, remaining: 50 } });
  });

  it('a stalled stream is dropped by the idle timeout as a retryable connection error', async () => {
    const model = withIdleTimeout(await setup(), { idleMs: 200, profile: 'local' });
    fake!.inject('stall');
    const error = await failure(runTurn(model, request()));
    expect(error).toMatchObject({ retryable: true, kind: 'connection' });
    expect(error.message).toMatch(/sent nothing for 0\.2 s \(idle_timeout_s of \[models\.local\]\)/);
    expect(fake!.requests[0]).toMatchObject({ status: 200, fault: 'stall' });
    expect((await runTurn(model, request())).stop_reason).toBe('tool_use');
  });

  it('closing the fake ends a stalled stream, so the turn fails instead of hanging', async () => {
    const model = await setup();
    fake!.inject('stall');
    const turn = runTurn(model, request());
    await fake!.handled(1);
    await fake!.close();
    fake = undefined;
    const error = await failure(turn);
    expect(error.retryable).toBe(true);
  });

  it('a stream that ends without a finish_reason is a retryable broken stream', async () => {
    extra = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { content: 'half a rep' }, finish_reason: null }] })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
    await new Promise<void>((resolve) => extra!.listen(0, '127.0.0.1', resolve));
    const model = createOpenAIModel({ baseURL: `http://127.0.0.1:${(extra.address() as AddressInfo).port}/v1`, model: 'm', profile: 'local' });
    const error = await failure(runTurn(model, request()));
    expect(error).toMatchObject({ retryable: true, kind: 'stream' });
    expect(error.message).toMatch(/broke off before the reply was finished \(no finish_reason\)/);
  });

  it('a refused connection is retryable and names the base URL', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const model = createOpenAIModel({ baseURL: `http://127.0.0.1:${port}/v1`, model: 'm', profile: 'local' });
    const error = await failure(runTurn(model, request()));
    expect(error).toMatchObject({ retryable: true, kind: 'connection' });
    expect(error.message).toBe(`could not reach http://127.0.0.1:${port}/v1 — is the server running? (connect ECONNREFUSED 127.0.0.1:${port})`);
  });

  it('a wrong key is not retryable, says what to check, and never shows the key the server quoted', async () => {
    await setup();
    const wrong = 'sk-wrong-key-987654321-abcdef';
    const model = createOpenAIModel({ apiKey: wrong, baseURL: `${fake!.url}/v1`, model: 'm', profile: 'hosted' });
    const error = await failure(runTurn(model, request()));
    expect(error).toMatchObject({ retryable: false, kind: 'auth', status: 401 });
    expect(error.message).toMatch(/rejected the API key \(check the variable api_key_env names in \[models\.hosted\]\).*Incorrect API key provided: \[redacted\]/);
    expect(error.message).not.toContain(wrong);
    expect(fake!.requests).toHaveLength(1);
  });

  it('a server that wants a key when none is configured says to set api_key_env', async () => {
    const model = await setup({}, { apiKey: undefined });
    const error = await failure(runTurn(model, request()));
    expect(error).toMatchObject({ retryable: false, kind: 'auth', status: 401 });
    expect(error.message).toMatch(/wants an API key and \[models\.local\] sends none \(set api_key_env/);
  });

  it('a wrong path is a 404 that names the profile to check', async () => {
    await setup();
    const model = createOpenAIModel({ apiKey: KEY, baseURL: `${fake!.url}/nowhere`, model: 'm', profile: 'opus' });
    const error = await failure(runTurn(model, request()));
    expect(error).toMatchObject({ retryable: false, kind: 'invalid_request', status: 404 });
    expect(error.message).toMatch(/model or endpoint was not found \(check model and base_url in \[models\.opus\]/);
  });

  it('aborting the signal ends the turn with a non-retryable abort', async () => {
    const model = await setup();
    const controller = new AbortController();
    controller.abort();
    const error = await failure(runTurn(model, request({ signal: controller.signal })));
    expect(error.kind).toBe('aborted');
  });
});

describe('HTTP failures by status', () => {
  // As on a profile's first turn: the SDK is loaded before any of its errors can exist.
  beforeAll(() => openaiSdk());
  const context = { now: NOW, profile: 'local', secret: KEY, where: { url: 'http://127.0.0.1:11434/v1' }, keyed: true, signal: undefined };
  const statuses: [number, string, boolean][] = [
    [400, 'invalid_request', false],
    [401, 'auth', false],
    [403, 'auth', false],
    [404, 'invalid_request', false],
    [413, 'invalid_request', false],
    [422, 'invalid_request', false],
    [408, 'server', true],
    [409, 'server', true],
    [429, 'rate_limited', true],
    [500, 'server', true],
    [503, 'server', true],
  ];
  for (const [status, kind, retry] of statuses) {
    it(`HTTP ${status} is ${kind}${retry ? ', retried' : ', not retried'}, with the server's words and no key`, () => {
      const cause = APIError.generate(status, { error: { message: `nope, and your key is ${KEY}` } }, undefined, new Headers({ 'retry-after-ms': '1500' }));
      const error = toModelError(cause, context);
      expect(error).toMatchObject({ kind, retryable: retry, status });
      expect(error.message).toMatch(new RegExp(`\\(HTTP ${status}: nope, and your key is \\[redacted\\]\\)$`));
      if (retry) expect(error.retryAt).toBe(NOW + 1500);
    });
  }

  it('an error body that is a bare string (as some servers send it) is quoted', () => {
    const error = toModelError(APIError.generate(404, { error: 'model "llama9" not found, try pulling it first' }, undefined, new Headers()), context);
    expect(error.message).toMatch(/HTTP 404: model "llama9" not found, try pulling it first\)$/);
  });

  it('an error inside the stream after a 200 is a retryable stream error', () => {
    const error = toModelError(new APIError(undefined, { message: 'context shifted' }, undefined, undefined), context);
    expect(error).toMatchObject({ retryable: true, kind: 'stream' });
    expect(error.message).toBe('the server reported an error mid-stream (context shifted)');
  });

  it('a request that timed out names the base URL', () => {
    const error = toModelError(new APIConnectionTimeoutError(), context);
    expect(error).toMatchObject({ retryable: true, kind: 'connection', message: 'http://127.0.0.1:11434/v1 did not answer in time' });
  });
});

describe('the x-ratelimit headers', () => {
  it('reads requests and tokens (tokens as the input limit), resets as durations from now', () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': '500',
      'x-ratelimit-remaining-requests': '499',
      'x-ratelimit-reset-requests': '120ms',
      'x-ratelimit-limit-tokens': '30000',
      'x-ratelimit-remaining-tokens': '29000',
      'x-ratelimit-reset-tokens': '6m0s',
      'retry-after': '3',
    });
    expect(readOpenAIRateLimitHeaders(headers, 10_000)).toEqual({
      requests: { limit: 500, remaining: 499, reset: 10_120 },
      inputTokens: { limit: 30_000, remaining: 29_000, reset: 10_000 + 360_000 },
      retryAfterMs: 3_000,
    });
    expect(readOpenAIRateLimitHeaders(new Headers({ 'retry-after-ms': '250', 'retry-after': '3' }), 0)).toEqual({ retryAfterMs: 250 });
    expect(readOpenAIRateLimitHeaders(new Headers({ 'anthropic-ratelimit-requests-limit': '5' }), 0)).toBeUndefined();
  });

  it('parses the duration forms, and refuses what is not one', () => {
    expect(durationMs('20ms')).toBe(20);
    expect(durationMs('1s')).toBe(1_000);
    expect(durationMs('6m0s')).toBe(360_000);
    expect(durationMs('1h2m3.5s')).toBe(3_723_500);
    expect(durationMs('2m')).toBe(120_000);
    expect(durationMs('12')).toBe(12_000);
    expect(durationMs('soon')).toBeUndefined();
    expect(durationMs('')).toBeUndefined();
    expect(durationMs(null)).toBeUndefined();
    // The fake server writes what the client reads.
    for (const ms of [20, 1_000, 6_000, 360_000, 3_723_500]) expect(durationMs(goDuration(ms))).toBe(ms);
  });
});
