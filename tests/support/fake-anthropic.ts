import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AssistantMessage, ModelMessage, StopReason } from '../../src/protocol/index.js';
import type { Script } from '../../src/models/scripted.js';

/**
 * A fake Anthropic Messages API on 127.0.0.1: POST /v1/messages streaming Server-Sent Events the
 * way the real API does (message_start, content_block_start / _delta (text_delta,
 * input_json_delta) / _stop, ping, message_delta with stop_reason and usage, message_stop), with
 * the real rate-limit headers, a configurable request limit, and faults on demand.
 */

/** `stall`: the response starts, then nothing more is ever sent (the connection stays open). */
export type FaultKind = 'rate_limit' | 'overloaded' | 'server_error' | 'reset' | 'malformed' | 'stream_error' | 'unauthorized' | 'stall';
export const faultKinds: readonly FaultKind[] = ['rate_limit', 'overloaded', 'server_error', 'reset', 'malformed', 'stream_error'];

export interface FakeRequest {
  model: string;
  max_tokens: number;
  system: string;
  messages: ModelMessage[];
  tools: { name: string; description: string; input_schema: Record<string, unknown> }[];
  /** From the first user message, "Ticket T1: ...". */
  ticketId: string | undefined;
  /**
   * Which agent asks, read from its first message as Clutch writes it: a ticket's worker, its
   * reviewer ("Review ticket T1 (review 2 ..."), its QA ("A worker running ticket T1 ran ..."), the
   * planner's pm ("Request: ...") or tech lead ("... The pm proposes this track").
   */
  agent: { archetype: 'tech_lead' | 'qa' | 'pm'; id: string; round: number; first: string } | undefined;
  /** Assistant messages already in the transcript. */
  assistantTurns: number;
}

export interface FakeReply {
  message: AssistantMessage;
  stop_reason?: StopReason;
}

export type Responder = (request: FakeRequest) => FakeReply | AssistantMessage;

export interface FakeAnthropicOptions {
  apiKey: string;
  responder: Responder;
  /** Requests allowed per window (continuous token bucket, as the real API); none = unlimited. */
  requestsPerWindow?: number;
  /** The rate limit's window in ms (default 60 000: per minute). */
  windowMs?: number;
  /** The server's clock (epoch ms); share the client's injected clock in tests. */
  now?: () => number;
  /** Characters per streamed delta (default 16). */
  chunkSize?: number;
  /** A fault for the n-th request (0-based), for schedules that do not depend on arrival order. */
  faultFor?: (index: number, request: FakeRequest) => FaultKind | undefined;
}

export interface RecordedRequest {
  index: number;
  headers: IncomingMessage['headers'];
  body: FakeRequest | undefined;
  status: number;
  fault: FaultKind | undefined;
  at: number;
}

export interface FakeAnthropic {
  url: string;
  requests: RecordedRequest[];
  /** Makes the next requests fail this way, in order (before faultFor is asked). */
  inject(...faults: FaultKind[]): void;
  /** Seconds the 429s ask the client to wait (default 2). */
  retryAfterSeconds: number;
  count(status: number): number;
  close(): Promise<void>;
}

/** The reply for a ticket from a scripted-model script: the reply index is the assistant turn count. */
export function scriptResponder(script: Script): Responder {
  return (request) => {
    const agent = request.agent;
    const scripts = agent ? script.agents?.[agent.archetype] : undefined;
    const own = agent && scripts
      ? (scripts.tickets?.[agent.id] ?? scripts.requests?.find((rule) => agent.first.toLowerCase().includes(rule.match.toLowerCase()))?.replies ?? scripts.default)
      : undefined;
    const entry = own ?? (request.ticketId ? script.tickets[request.ticketId] : undefined);
    const list = Array.isArray(entry) ? entry : own && agent ? entry?.attempts[Math.min(agent.round, entry.attempts.length) - 1] : entry?.attempts.at(-1);
    const reply = list?.[request.assistantTurns];
    if (!reply) {
      return { role: 'assistant', content: [{ type: 'text', text: `I have nothing scripted for ${request.ticketId ?? 'this ticket'} turn ${request.assistantTurns + 1}.` }] };
    }
    return structuredClone(reply);
  };
}

function chunks(text: string, size: number): string[] {
  const out: string[] = [];
  for (let start = 0; start < text.length; start += size) out.push(text.slice(start, start + size));
  return out.length > 0 ? out : [''];
}

/** Closes the connection after what was written so far has been sent. */
function cut(res: ServerResponse): void {
  res.write(': cut\n', () => setImmediate(() => res.socket?.destroy()));
}

function estimateTokens(value: unknown): number {
  return Math.max(1, Math.ceil(JSON.stringify(value).length / 4));
}

function agentOf(first: string): FakeRequest['agent'] {
  const review = /^Review ticket (\S+) \(review (\d+) /.exec(first);
  if (review) return { archetype: 'tech_lead', id: review[1]!, round: Number(review[2]), first };
  const qa = /^A worker running ticket (\S+) ran /.exec(first);
  if (qa) return { archetype: 'qa', id: qa[1]!, round: 1, first };
  if (first.startsWith('Request: ')) return first.includes('The pm proposes this track') ? { archetype: 'tech_lead', id: '@plan-review', round: 1, first } : { archetype: 'pm', id: '@plan', round: 1, first };
  return undefined;
}

/**
 * A request in the internal format, with what the responders read from it: the ticket, the agent
 * and the turn. The fake OpenAI server describes the requests it converted back the same way.
 */
export function describeRequest(body: Omit<FakeRequest, 'ticketId' | 'agent' | 'assistantTurns' | 'system' | 'tools'> & Partial<Pick<FakeRequest, 'system' | 'tools'>>): FakeRequest {
  const first = body.messages.find((message) => message.role === 'user');
  const text = typeof first?.content === 'string' ? first.content : '';
  return {
    ...body,
    system: body.system ?? '',
    tools: body.tools ?? [],
    ticketId: /^Ticket ([^:\s]+):/.exec(text)?.[1],
    agent: agentOf(text),
    assistantTurns: body.messages.filter((message) => message.role === 'assistant').length,
  };
}

function parseRequest(raw: string): FakeRequest | undefined {
  try {
    return describeRequest(JSON.parse(raw) as Parameters<typeof describeRequest>[0]);
  } catch {
    return undefined;
  }
}

/**
 * A fake server's request limit: a continuous token bucket over `windowMs`, as the real APIs keep
 * theirs; no limit, no headers. The servers write its state in their own header names.
 */
export function requestBucket(limit: number | undefined, windowMs: number, now: () => number) {
  let tokens = limit ?? 0;
  let refilledAt = now();
  return {
    limit,
    refill(): void {
      if (limit === undefined) return;
      const at = now();
      tokens = Math.min(limit, tokens + ((at - refilledAt) * limit) / windowMs);
      refilledAt = at;
    },
    /** Takes one request; false (nothing taken) when the bucket is empty. */
    take(): boolean {
      if (limit === undefined) return true;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    remaining: () => Math.max(0, Math.floor(tokens)),
    /** Milliseconds until the bucket is full again. */
    resetMs: () => (limit === undefined ? 0 : Math.ceil(((limit - tokens) * windowMs) / limit)),
    /** Whole seconds until one request is allowed (at least 1), for retry-after. */
    retryAfterS: () => (limit === undefined ? 1 : Math.max(1, Math.ceil(((1 - tokens) * windowMs) / limit / 1000))),
  };
}

export async function startFakeAnthropic(options: FakeAnthropicOptions): Promise<FakeAnthropic> {
  const now = options.now ?? Date.now;
  const windowMs = options.windowMs ?? 60_000;
  const limit = options.requestsPerWindow;
  const chunkSize = options.chunkSize ?? 16;
  const queued: FaultKind[] = [];
  const requests: RecordedRequest[] = [];
  const bucket = requestBucket(limit, windowMs, now);
  let messageCount = 0;

  function limitHeaders(): Record<string, string> {
    if (limit === undefined) return {};
    return {
      'anthropic-ratelimit-requests-limit': String(limit),
      'anthropic-ratelimit-requests-remaining': String(bucket.remaining()),
      'anthropic-ratelimit-requests-reset': new Date(now() + bucket.resetMs()).toISOString(),
    };
  }

  function errorJson(res: ServerResponse, status: number, type: string, message: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${requests.length}`, ...headers });
    res.end(JSON.stringify({ type: 'error', error: { type, message } }));
  }

  function sse(res: ServerResponse, event: string, data: unknown): void {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  function stream(res: ServerResponse, request: FakeRequest, fault: FaultKind | undefined): void {
    const produced = options.responder(request);
    const reply: FakeReply = 'role' in produced ? { message: produced } : produced;
    const stop = reply.stop_reason ?? (reply.message.content.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn');
    const id = `msg_fake_${++messageCount}`;
    const input_tokens = estimateTokens([request.system, request.messages, request.tools]);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': `req_${requests.length}`, ...limitHeaders() });
    sse(res, 'message_start', {
      type: 'message_start',
      message: { id, type: 'message', role: 'assistant', model: request.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens, output_tokens: 1 } },
    });
    if (fault === 'stall') return;
    if (fault === 'stream_error') {
      sse(res, 'error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
      res.end();
      return;
    }
    sse(res, 'ping', { type: 'ping' });
    for (const [index, block] of reply.message.content.entries()) {
      if (block.type === 'text') {
        sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
        for (const text of chunks(block.text, chunkSize)) sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
      } else {
        sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
        const json = JSON.stringify(block.input);
        const pieces = chunks(json, chunkSize);
        for (const [n, partial_json] of pieces.entries()) {
          if (fault === 'reset' && n === Math.floor(pieces.length / 2)) {
            // A connection reset mid-stream: the socket dies once half the reply is on the wire.
            cut(res);
            return;
          }
          if (fault === 'malformed' && n === 0) res.write(`event: content_block_delta\ndata: {"type":"content_block_delta","index":${index},"delta":{"type":"input_json_de\n\n`);
          sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } });
        }
        if (stop === 'max_tokens' && index === reply.message.content.length - 1) {
          // Cut off: the tool_use block never gets its content_block_stop.
          break;
        }
      }
      sse(res, 'content_block_stop', { type: 'content_block_stop', index });
    }
    if (fault === 'reset' || fault === 'malformed') {
      // A reply without a tool call to cut: break it at the end instead.
      if (fault === 'reset') {
        cut(res);
        return;
      }
      res.write('event: message_delta\ndata: {not json\n\n');
    }
    sse(res, 'message_delta', { type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: estimateTokens(reply.message.content) } });
    sse(res, 'message_stop', { type: 'message_stop' });
    res.end();
  }

  function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const index = requests.length;
    const record: RecordedRequest = { index, headers: req.headers, body: undefined, status: 0, fault: undefined, at: now() };
    requests.push(record);
    const finish = (status: number) => {
      record.status = status;
    };
    if (req.method !== 'POST' || req.url?.split('?')[0] !== '/v1/messages') {
      finish(404);
      return errorJson(res, 404, 'not_found_error', `no route ${req.method} ${req.url}`);
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers['authorization'] ?? '')?.[1];
    const key = bearer ?? (req.headers['x-api-key'] as string | undefined);
    if (key !== options.apiKey) {
      finish(401);
      return errorJson(res, 401, 'authentication_error', 'invalid x-api-key');
    }
    if (!req.headers['anthropic-version']) {
      finish(400);
      return errorJson(res, 400, 'invalid_request_error', 'anthropic-version: header is required');
    }
    const body = parseRequest(raw);
    record.body = body;
    if (!body || !Array.isArray(body.messages) || typeof body.max_tokens !== 'number') {
      finish(400);
      return errorJson(res, 400, 'invalid_request_error', 'messages and max_tokens are required');
    }
    const fault = queued.shift() ?? options.faultFor?.(index, body);
    record.fault = fault;
    bucket.refill();
    if (fault === 'unauthorized') {
      finish(401);
      return errorJson(res, 401, 'authentication_error', 'invalid x-api-key');
    }
    if (fault === 'rate_limit' || !bucket.take()) {
      finish(429);
      const wait = fault === 'rate_limit' ? fake.retryAfterSeconds : bucket.retryAfterS();
      return errorJson(res, 429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit', {
        'retry-after': String(wait),
        ...limitHeaders(),
      });
    }
    if (fault === 'overloaded') {
      finish(529);
      return errorJson(res, 529, 'overloaded_error', 'Overloaded');
    }
    if (fault === 'server_error') {
      finish(500);
      return errorJson(res, 500, 'api_error', 'Internal server error');
    }
    finish(200);
    stream(res, body, fault);
  }

  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => handle(req, res, raw));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const fake: FakeAnthropic = {
    url: `http://127.0.0.1:${port}`,
    requests,
    retryAfterSeconds: 2,
    inject: (...faults) => void queued.push(...faults),
    count: (status) => requests.filter((request) => request.status === status).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}
