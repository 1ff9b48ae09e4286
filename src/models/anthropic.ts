import type Anthropic from '@anthropic-ai/sdk';
import type { Message, MessageParam, MessageStreamEvent, Tool } from '@anthropic-ai/sdk/resources/messages';
import type { AssistantMessage, ModelDelta, StopReason } from '../protocol/index.js';
import { ModelError, type ModelClient, type ModelReply, type ModelTurnRequest, type RateLimitInfo } from './model-client.js';
import { readRateLimitHeaders } from './rate-limit-headers.js';
import { errorText } from '../protocol/error-text.js';
import { redact } from '../protocol/redact.js';

export interface AnthropicModelOptions {
  /** The key; the caller reads ANTHROPIC_API_KEY so that a missing one is a clear error up front. */
  apiKey: string;
  /** ANTHROPIC_BASE_URL, or a test server's address. Defaults to the real API. */
  baseURL?: string;
  /** Model id, e.g. claude-sonnet-4-6. */
  model: string;
  /** Name of the profile in agents.toml, for messages that tell the user what to change. */
  profile: string;
  maxTokens?: number;
  /** Milliseconds; for retry-after deadlines. Injected so tests are deterministic. */
  now?: () => number;
  /** Milliseconds before the SDK gives up on a silent connection (default 10 minutes). */
  timeoutMs?: number;
}

export const DEFAULT_MAX_TOKENS = 8192;

type Sdk = typeof import('@anthropic-ai/sdk');
let sdk: Sdk | undefined;

/**
 * The SDK, loaded on a profile's first turn rather than with the CLI: a run whose profiles are all
 * scripted never loads it (the two SDKs cost about 28 MiB of RSS and 170 ms at start). An SDK error
 * can only exist once it is loaded, so toModelError reads the SDK's classes from here.
 */
export async function anthropicSdk(): Promise<Sdk> {
  return (sdk ??= await import('@anthropic-ai/sdk'));
}

/** The Messages API over @anthropic-ai/sdk `messages.stream`, with tool use. */
export function createAnthropicModel(options: AnthropicModelOptions): ModelClient {
  const now = options.now ?? Date.now;
  const maxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
  const secret = options.apiKey;
  // The client is made on the first turn, once the SDK is loaded (anthropicSdk).
  const clientOf = (loaded: Sdk): Anthropic => new loaded.default({
    apiKey: options.apiKey,
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    // Retries are the scheduler's job (src/actors/rate-limiter.ts): it sees every worker's
    // requests, so it can honour retry-after for all of them, cut concurrency on 429/529, cap the
    // attempts, and show the wait in the UI. The SDK retrying on its own, per request and
    // invisibly, would multiply traffic exactly when the API asks for less.
    maxRetries: 0,
    // The SDK's own logger would print parse failures to the console; errors reach the user as
    // ModelErrors instead.
    logLevel: 'off',
    ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
  });
  let client: Promise<Anthropic> | undefined;

  async function* turn(request: ModelTurnRequest): AsyncGenerator<ModelDelta, ModelReply, void> {
    let api: Anthropic;
    try {
      api = await (client ??= anthropicSdk().then(clientOf));
    } catch (error) {
      throw toModelError(error, { now: now(), profile: options.profile, secret, signal: request.signal });
    }
    const stream = api.messages.stream(
      {
        model: options.model,
        max_tokens: maxTokens,
        system: request.system,
        messages: request.messages as MessageParam[],
        tools: request.tools.map((tool) => ({ name: tool.name, description: tool.description, input_schema: tool.input_schema as Tool['input_schema'] })),
      },
      request.signal ? { signal: request.signal } : {},
    );
    // Errors are read from finalMessage(); the listener only keeps the SDK from reporting an
    // unhandled rejection when nothing else is waiting yet.
    stream.on('error', () => {});
    stream.on('abort', () => {});
    // Taken before the first await: the iterator only sees events emitted after it exists.
    const events = stream[Symbol.asyncIterator]();
    let message: Message;
    try {
      const blocks = new Map<number, { id: string; name: string }>();
      for (let step = await events.next(); !step.done; step = await events.next()) {
        const delta = toDelta(step.value, blocks);
        if (delta) yield delta;
      }
      message = await stream.finalMessage();
    } catch (error) {
      throw toModelError(error, { now: now(), profile: options.profile, secret, signal: request.signal });
    } finally {
      // A consumer that stops early (an aborted worker) must not leave the request running.
      if (!stream.ended) stream.abort();
    }
    const limits = readRateLimitHeaders(stream.response?.headers, now());
    return toReply(message, { profile: options.profile, maxTokens, limits });
  }

  return { label: `anthropic ${options.model}`, turn };
}

function toDelta(event: MessageStreamEvent, blocks: Map<number, { id: string; name: string }>): ModelDelta | undefined {
  if (event.type === 'content_block_start' && event.content_block.type === 'tool_use') {
    blocks.set(event.index, { id: event.content_block.id, name: event.content_block.name });
    return undefined;
  }
  if (event.type !== 'content_block_delta') return undefined;
  if (event.delta.type === 'text_delta') return { type: 'text', index: event.index, text: event.delta.text };
  if (event.delta.type === 'input_json_delta') {
    const block = blocks.get(event.index);
    if (block) return { type: 'tool_input', index: event.index, id: block.id, name: block.name, partial_json: event.delta.partial_json };
  }
  return undefined;
}

function toReply(message: Message, context: { profile: string; maxTokens: number; limits: RateLimitInfo | undefined }): ModelReply {
  const content: AssistantMessage['content'] = [];
  for (const block of message.content) {
    if (block.type === 'text') content.push({ type: 'text', text: block.text });
    else if (block.type === 'tool_use') {
      const input = typeof block.input === 'object' && block.input !== null && !Array.isArray(block.input) ? (block.input as Record<string, unknown>) : {};
      content.push({ type: 'tool_use', id: block.id, name: block.name, input });
    }
    // Other block kinds (thinking, server tools) are not part of Clutch's transcript format.
  }
  const usage = { input_tokens: message.usage.input_tokens, output_tokens: message.usage.output_tokens };
  const stop = message.stop_reason ?? 'end_turn';
  const failure = (text: string, kind: 'refused' | 'cut_off') =>
    new ModelError(text, { retryable: false, kind, ...(context.limits ? { limits: context.limits } : {}) });
  switch (stop) {
    case 'refusal':
      throw failure('the model refused to continue (stop_reason "refusal"); the ticket needs a different prompt or a human', 'refused');
    case 'model_context_window_exceeded':
      throw failure("the conversation no longer fits the model's context window; split the ticket into smaller ones", 'cut_off');
    case 'max_tokens': {
      const last = content.at(-1);
      if (last?.type === 'tool_use') {
        // A tool call cut off mid-input would run with half its arguments; retrying would be cut
        // off at the same place. Say what to change instead.
        throw failure(
          `the reply hit max_tokens (${context.maxTokens}) in the middle of a ${last.name} call, so its input is incomplete; ` +
            `raise max_tokens in [models.${context.profile}] or ask for smaller steps`,
          'cut_off',
        );
      }
      // Text cut short: the worker's nudge asks the model to go on, counting against max_turns.
      break;
    }
    default:
      break;
  }
  const stop_reason: StopReason = stop === 'stop_sequence' || stop === 'pause_turn' || stop === 'max_tokens' ? stop : stop === 'tool_use' ? 'tool_use' : 'end_turn';
  return { message: { role: 'assistant', content }, stop_reason, usage, ...(context.limits ? { limits: context.limits } : {}) };
}

/** Removes the key from text that came back from the network or the SDK. */
export function redactKey(text: string, secret: string): string {
  return secret.length >= 4 ? redact(text, [secret]) : text;
}

interface ErrorContext {
  now: number;
  profile: string;
  secret: string;
  signal: AbortSignal | undefined;
}

const NOT_RETRYABLE: Record<number, { kind: 'auth' | 'invalid_request'; what: (profile: string) => string }> = {
  400: { kind: 'invalid_request', what: () => 'the API rejected the request as invalid' },
  401: { kind: 'auth', what: () => 'the API key was rejected (check ANTHROPIC_API_KEY)' },
  403: { kind: 'auth', what: () => 'the API key may not use this model or feature (permission denied)' },
  404: { kind: 'invalid_request', what: (profile) => `the model or endpoint was not found (check model in [models.${profile}] and ANTHROPIC_BASE_URL)` },
  413: { kind: 'invalid_request', what: () => 'the request is too large for the API' },
};

/** Maps anything the SDK throws to a ModelError that says whether a retry can help. */
export function toModelError(error: unknown, context: ErrorContext): ModelError {
  if (error instanceof ModelError) return error;
  const { APIConnectionError, APIError, APIUserAbortError, AnthropicError } = sdk ?? UNLOADED;
  const clean = (text: string) => redactKey(text, context.secret);
  if (error instanceof APIUserAbortError || context.signal?.aborted) {
    return new ModelError('model turn aborted', { retryable: false, kind: 'aborted' });
  }
  if (error instanceof APIError && error.status !== undefined) {
    const status = error.status;
    const limits = readRateLimitHeaders(error.headers, context.now);
    const detail = clean(error.apiMessage ?? error.message);
    const extra = { status, ...(limits ? { limits } : {}), cause: error };
    const retryAt = limits?.retryAfterMs !== undefined ? context.now + limits.retryAfterMs : undefined;
    const retryable = (kind: 'rate_limited' | 'overloaded' | 'server', what: string) =>
      new ModelError(`${what} (HTTP ${status}: ${detail})`, { retryable: true, kind, ...(retryAt !== undefined ? { retryAt } : {}), ...extra });
    if (status === 429) return retryable('rate_limited', 'rate limited by the API');
    if (status === 529) return retryable('overloaded', 'the API is overloaded');
    if (status === 408 || status === 409 || status >= 500) return retryable('server', 'the API had a server error');
    const known = NOT_RETRYABLE[status];
    const kind = known?.kind ?? 'invalid_request';
    const what = known?.what(context.profile) ?? 'the API refused the request';
    return new ModelError(`${what} (HTTP ${status}: ${detail})`, { retryable: false, kind, ...extra });
  }
  if (error instanceof APIError && !(error instanceof APIConnectionError)) {
    // An `event: error` in the stream after a 200: overloaded_error, api_error, ...
    const body = error.error as { error?: { type?: string; message?: string } } | undefined;
    const type = body?.error?.type ?? 'error';
    const detail = clean(body?.error?.message ?? error.message);
    const fatal = type === 'invalid_request_error' || type === 'authentication_error' || type === 'permission_error' || type === 'not_found_error';
    const kind = type === 'overloaded_error' ? 'overloaded' : type === 'rate_limit_error' ? 'rate_limited' : fatal ? 'invalid_request' : 'stream';
    return new ModelError(`the API reported an error mid-stream (${type}: ${detail})`, { retryable: !fatal, kind, cause: error });
  }
  if (error instanceof APIConnectionError) {
    return new ModelError(`could not reach the API: ${clean(causeText(error))}`, { retryable: true, kind: 'connection', cause: error });
  }
  if (error instanceof AnthropicError || error instanceof SyntaxError || error instanceof TypeError) {
    // A stream cut mid-way (socket reset: "terminated"), an unparsable event, or a stream that
    // ended without message_stop. The request itself was fine, so another try can work.
    const syntax = error instanceof SyntaxError || error.cause instanceof SyntaxError;
    const what = syntax ? 'the response stream was malformed' : 'the response stream broke off';
    return new ModelError(`${what}: ${clean(causeText(error))}`, { retryable: true, kind: 'stream', cause: error });
  }
  const text = errorText(error);
  return new ModelError(`unexpected error from the Anthropic client: ${clean(text)}`, { retryable: false, kind: 'other', cause: error });
}

/** Before the SDK is loaded: classes nothing is an instance of. */
const UNLOADED = ((never: unknown) => ({ APIConnectionError: never, APIError: never, APIUserAbortError: never, AnthropicError: never }))(class {}) as unknown as Pick<
  Sdk,
  'APIConnectionError' | 'APIError' | 'APIUserAbortError' | 'AnthropicError'
>;

function causeText(error: Error): string {
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
