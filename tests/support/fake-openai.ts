import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatCompletionChunk, ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import { fromChatMessages } from '../../src/models/openai-format.js';
import type { ToolUseBlock } from '../../src/protocol/index.js';
import { describeRequest, requestBucket, type FakeReply, type FakeRequest, type Responder } from './fake-anthropic.js';

/**
 * A fake OpenAI-compatible Chat Completions server on 127.0.0.1 (POST /v1/chat/completions), the
 * way Ollama, vLLM and the real API stream: `data: {chat.completion.chunk}` lines, tool calls as
 * deltas by index (id and name first, arguments in pieces, two calls interleaved), a finish
 * chunk, a usage chunk when stream_options.include_usage asks for it, then `data: [DONE]`. It
 * converts each request back to Clutch's transcript format and answers with the same responders
 * as the fake Anthropic API (scriptResponder plays the demo script).
 */

export type OpenAIFaultKind = 'rate_limit' | 'server_error' | 'reset' | 'malformed' | 'stall' | 'length' | 'unauthorized';
/** The faults a retry gets past, in the order the demo test injects them. */
export const retryableOpenAIFaults: readonly OpenAIFaultKind[] = ['rate_limit', 'server_error', 'reset', 'malformed', 'stall'];

export interface FakeOpenAIOptions {
  /** The bearer key it wants; none: any request is let in, as a local server does. */
  apiKey?: string;
  responder: Responder;
  /** Requests allowed per window (continuous token bucket); none = unlimited and no x-ratelimit headers. */
  requestsPerWindow?: number;
  /** The rate limit's window in ms (default 60 000: per minute). */
  windowMs?: number;
  /** The server's clock (epoch ms); share the client's injected clock in tests. */
  now?: () => number;
  /** Characters per streamed piece (default 16). */
  chunkSize?: number;
  /** Sends no usage chunk even when asked for one (as some local servers). */
  noUsage?: boolean;
  /** A fault for the n-th request (0-based), for schedules that do not depend on arrival order. */
  faultFor?: (index: number, request: FakeRequest) => OpenAIFaultKind | undefined;
}

export interface RecordedOpenAIRequest {
  index: number;
  headers: IncomingMessage['headers'];
  /** The request as Clutch's transcript (max_tokens 0 when none was sent). */
  body: FakeRequest | undefined;
  /** The request as it came. */
  chat: ChatCompletionCreateParams | undefined;
  status: number;
  fault: OpenAIFaultKind | undefined;
  at: number;
}

export interface FakeOpenAI {
  url: string;
  requests: RecordedOpenAIRequest[];
  /** Makes the next requests fail this way, in order (before faultFor is asked). */
  inject(...faults: OpenAIFaultKind[]): void;
  /** Seconds the 429s ask the client to wait (default 2). */
  retryAfterSeconds: number;
  count(status: number): number;
  /** Resolves once `count` requests have been handled: answered, failed, or left stalled. */
  handled(count: number): Promise<void>;
  close(): Promise<void>;
}

type Delta = ChatCompletionChunk.Choice.Delta;
type FinishReason = ChatCompletionChunk.Choice['finish_reason'];

function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let start = 0; start < text.length; start += size) out.push(text.slice(start, start + size));
  return out;
}

function estimateTokens(value: unknown): number {
  return Math.max(1, Math.ceil(JSON.stringify(value).length / 4));
}

/** Go's duration format, as OpenAI writes x-ratelimit-reset-*: "20ms", "6s", "6m0s", "1h2m3.5s". */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/** Round robin over the lists: the first of each, then the second of each, ... */
function interleave<T>(lists: T[][]): T[] {
  const out: T[] = [];
  for (let n = 0; lists.some((list) => n < list.length); n += 1) {
    for (const list of lists) if (n < list.length) out.push(list[n]!);
  }
  return out;
}

/** Closes the connection after what was written so far has been sent. */
function cut(res: ServerResponse): void {
  res.write(': cut\n', () => setImmediate(() => res.socket?.destroy()));
}

/** The request in the fake's terms, or why it cannot be read. */
function parseChat(raw: string): { chat: ChatCompletionCreateParams; body: FakeRequest } | string {
  let chat: ChatCompletionCreateParams;
  try {
    chat = JSON.parse(raw) as ChatCompletionCreateParams;
  } catch {
    return 'the body is not JSON';
  }
  if (typeof chat.model !== 'string' || !Array.isArray(chat.messages)) return 'model and messages are required';
  try {
    const { system, messages } = fromChatMessages(chat.messages);
    const tools = (chat.tools ?? []).flatMap((tool) =>
      tool.type === 'function' ? [{ name: tool.function.name, description: tool.function.description ?? '', input_schema: tool.function.parameters ?? {} }] : [],
    );
    return { chat, body: describeRequest({ model: chat.model, max_tokens: chat.max_tokens ?? 0, system, messages, tools }) };
  } catch (error) {
    return `the messages cannot be read: ${(error as Error).message}`;
  }
}

export async function startFakeOpenAI(options: FakeOpenAIOptions): Promise<FakeOpenAI> {
  const now = options.now ?? Date.now;
  const windowMs = options.windowMs ?? 60_000;
  const limit = options.requestsPerWindow;
  const chunkSize = options.chunkSize ?? 16;
  const queued: OpenAIFaultKind[] = [];
  const requests: RecordedOpenAIRequest[] = [];
  const bucket = requestBucket(limit, windowMs, now);
  let replyCount = 0;
  let handledCount = 0;
  const waiters: { count: number; resolve: () => void }[] = [];

  function limitHeaders(): Record<string, string> {
    if (limit === undefined) return {};
    return {
      'x-ratelimit-limit-requests': String(limit),
      'x-ratelimit-remaining-requests': String(bucket.remaining()),
      'x-ratelimit-reset-requests': goDuration(bucket.resetMs()),
    };
  }

  function errorJson(res: ServerResponse, status: number, type: string, message: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `req_${requests.length}`, ...headers });
    res.end(JSON.stringify({ error: { message, type, param: null, code: null } }));
  }

  /** The reply's deltas after the role chunk, and how it finishes. `cutShort`: as if max_tokens ran out. */
  function replyDeltas(reply: FakeReply, cutShort: boolean): { deltas: Delta[]; finish: FinishReason } {
    const text = reply.message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('\n\n');
    const calls = reply.message.content.filter((block): block is ToolUseBlock => block.type === 'tool_use');
    const json = calls.map((call) => JSON.stringify(call.input));
    if (cutShort && calls.length > 0) json[json.length - 1] = json.at(-1)!.slice(0, Math.floor(json.at(-1)!.length / 2));
    const shownText = cutShort && calls.length === 0 ? text.slice(0, Math.ceil(text.length / 2)) : text;
    const deltas: Delta[] = pieces(shownText, chunkSize).map((content) => ({ content }));
    const perCall = calls.map((call, index): Delta[] => [
      { tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] },
      ...pieces(json[index]!, chunkSize).map((piece): Delta => ({ tool_calls: [{ index, function: { arguments: piece } }] })),
    ]);
    deltas.push(...interleave(perCall));
    const finish: FinishReason = cutShort ? 'length' : reply.stop_reason === 'refusal' ? 'content_filter' : calls.length > 0 ? 'tool_calls' : 'stop';
    return { deltas, finish };
  }

  function stream(res: ServerResponse, request: FakeRequest, chat: ChatCompletionCreateParams, fault: OpenAIFaultKind | undefined): void {
    const produced = options.responder(request);
    const reply: FakeReply = 'role' in produced ? { message: produced } : produced;
    const { deltas, finish } = replyDeltas(reply, fault === 'length' || reply.stop_reason === 'max_tokens');
    const id = `chatcmpl-fake-${++replyCount}`;
    const created = Math.floor(now() / 1000);
    const send = (body: Omit<ChatCompletionChunk, 'id' | 'object' | 'created' | 'model'>) =>
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: chat.model, system_fingerprint: 'fp_fake', ...body })}\n\n`);
    const choice = (delta: Delta, finish_reason: FinishReason = null) => send({ choices: [{ index: 0, delta, logprobs: null, finish_reason }] });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': `req_${requests.length}`, ...limitHeaders() });
    choice({ role: 'assistant', content: '' });
    // Stalled: the headers and a first chunk, then nothing, the connection left open.
    if (fault === 'stall') return;
    const steps: [Delta, FinishReason][] = [...deltas.map((delta): [Delta, FinishReason] => [delta, null]), [{}, finish]];
    const middle = Math.floor(deltas.length / 2);
    for (const [n, [delta, reason]] of steps.entries()) {
      if (fault === 'reset' && n === middle) {
        // A connection reset mid-stream: the socket dies once half the reply is on the wire.
        cut(res);
        return;
      }
      if (fault === 'malformed' && n === middle) res.write(`data: {"id":"${id}","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"cont\n\n`);
      choice(delta, reason);
    }
    if (chat.stream_options?.include_usage && !options.noUsage) {
      const prompt_tokens = estimateTokens([request.system, request.messages, request.tools]);
      const completion_tokens = estimateTokens(reply.message.content);
      send({ choices: [], usage: { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens } });
    }
    res.end('data: [DONE]\n\n');
  }

  function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const index = requests.length;
    const record: RecordedOpenAIRequest = { index, headers: req.headers, body: undefined, chat: undefined, status: 0, fault: undefined, at: now() };
    requests.push(record);
    const fail = (status: number, type: string, message: string, headers: Record<string, string> = {}) => {
      record.status = status;
      errorJson(res, status, type, message, headers);
    };
    if (req.method !== 'POST' || req.url?.split('?')[0] !== '/v1/chat/completions') return fail(404, 'invalid_request_error', `no route ${req.method} ${req.url}`);
    // A careless server quotes the key it refused: the client must not pass that on.
    const bearer = /^Bearer (.+)$/.exec(req.headers['authorization'] ?? '')?.[1];
    if (options.apiKey !== undefined && bearer !== options.apiKey) return fail(401, 'invalid_request_error', `Incorrect API key provided: ${bearer ?? '(none)'}`);
    const parsed = parseChat(raw);
    if (typeof parsed === 'string') return fail(400, 'invalid_request_error', parsed);
    record.chat = parsed.chat;
    record.body = parsed.body;
    if (parsed.chat.stream !== true) return fail(400, 'invalid_request_error', 'this fake server only streams');
    const fault = queued.shift() ?? options.faultFor?.(index, parsed.body);
    record.fault = fault;
    bucket.refill();
    if (fault === 'unauthorized') return fail(401, 'invalid_request_error', `Incorrect API key provided: ${bearer ?? '(none)'}`);
    if (fault === 'rate_limit' || !bucket.take()) {
      const wait = fault === 'rate_limit' ? fake.retryAfterSeconds : bucket.retryAfterS();
      return fail(429, 'requests', 'Rate limit reached for requests', { 'retry-after': String(wait), ...limitHeaders() });
    }
    if (fault === 'server_error') return fail(500, 'server_error', 'The server had an error while processing your request');
    record.status = 200;
    stream(res, parsed.body, parsed.chat, fault);
  }

  function noteHandled(): void {
    handledCount += 1;
    for (const waiter of waiters.filter((candidate) => candidate.count <= handledCount)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }

  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => {
      handle(req, res, raw);
      noteHandled();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const fake: FakeOpenAI = {
    url: `http://127.0.0.1:${port}`,
    requests,
    retryAfterSeconds: 2,
    inject: (...faults) => void queued.push(...faults),
    count: (status) => requests.filter((request) => request.status === status).length,
    handled: (count) => (handledCount >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve }))),
    close: () =>
      new Promise<void>((resolve) => {
        // Stalled streams too: they would keep server.close() waiting for ever.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}
