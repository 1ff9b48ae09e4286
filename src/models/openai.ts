import type OpenAI from 'openai';
import type { APIError } from 'openai';
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import type { ModelDelta } from '../protocol/index.js';
import { errorText } from '../protocol/error-text.js';
import { redact } from '../protocol/redact.js';
import { estimateTokens, ModelError, type ModelClient, type ModelReply, type ModelTurnRequest, type RateLimitInfo } from './model-client.js';
import { ChatReplyAssembler, stopReasonOf, toChatMessages, toChatTools } from './openai-format.js';
import { readOpenAIRateLimitHeaders } from './rate-limit-headers.js';

export interface OpenAIModelOptions {
  /** The key, read by the caller from the variable api_key_env names; none for a local server. */
  apiKey?: string;
  /** The endpoint up to and including /v1, e.g. http://127.0.0.1:11434/v1 (Ollama). */
  baseURL: string;
  /** Model id as the server knows it, e.g. qwen2.5-coder:7b. */
  model: string;
  /** Name of the profile in agents.toml, for messages that tell the user what to change. */
  profile: string;
  /**
   * Sent as max_tokens when set. Unset, the server decides: vLLM refuses a max_tokens that does
   * not fit the model's context beside the prompt, so no default suits every local model.
   */
  maxTokens?: number;
  /** Milliseconds; for retry-after deadlines and rate-limit resets. Injected so tests are deterministic. */
  now?: () => number;
  /** Milliseconds before the SDK gives up waiting for the response (default 10 minutes). */
  timeoutMs?: number;
}

type Sdk = typeof import('openai');
let sdk: Sdk | undefined;

/**
 * The SDK, loaded on a profile's first turn rather than with the CLI: a run whose profiles are all
 * scripted never loads it (the two SDKs cost about 28 MiB of RSS and 170 ms at start). An SDK error
 * can only exist once it is loaded, so toModelError reads the SDK's classes from here.
 */
export async function openaiSdk(): Promise<Sdk> {
  return (sdk ??= await import('openai'));
}

/** The SDK insists on a key; a local server that wants none ignores this one. */
const NO_KEY = 'no-key';

/**
 * Any OpenAI-compatible Chat Completions endpoint (Ollama, vLLM, llama.cpp, LM Studio, hosted
 * APIs) over the `openai` SDK, streamed, with tool calls. The transcript is converted to and from
 * Chat Completions in openai-format.ts and nowhere else.
 */
export function createOpenAIModel(options: OpenAIModelOptions): ModelClient {
  const now = options.now ?? Date.now;
  const secret = options.apiKey ?? '';
  const where = endpointOf(options.baseURL);
  // The client is made on the first turn, once the SDK is loaded (openaiSdk).
  const clientOf = (loaded: Sdk): OpenAI => new loaded.default({
    // Everything given, so that the SDK reads nothing from the environment on its own:
    // OPENAI_API_KEY or OPENAI_ADMIN_KEY must not go to a server the profile did not name, nor
    // OPENAI_BASE_URL move the profile elsewhere. (OPENAI_CUSTOM_HEADERS, headers the user
    // asked for by name, is still honoured.)
    apiKey: options.apiKey ?? NO_KEY,
    adminAPIKey: null,
    baseURL: options.baseURL,
    organization: null,
    project: null,
    webhookSecret: null,
    // Retries are the scheduler's job (src/actors/rate-limiter.ts), as for the Anthropic client:
    // it sees every worker's requests, honours retry-after for all of them and shows the wait.
    maxRetries: 0,
    // Errors reach the user as ModelErrors; the SDK's logger would print them to the console.
    logLevel: 'off',
    ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
  });
  let client: Promise<OpenAI> | undefined;
  const context = { profile: options.profile, secret, where, keyed: options.apiKey !== undefined, maxTokens: options.maxTokens };

  async function* turn(request: ModelTurnRequest): AsyncGenerator<ModelDelta, ModelReply, void> {
    const params: ChatCompletionCreateParamsStreaming = {
      model: options.model,
      messages: toChatMessages(request.system, request.messages),
      // An empty list is refused by some servers; no tools means no `tools`.
      ...(request.tools.length > 0 ? { tools: toChatTools(request.tools) } : {}),
      ...(options.maxTokens !== undefined ? { max_tokens: options.maxTokens } : {}),
      stream: true,
      stream_options: { include_usage: true },
    };
    const assembler = new ChatReplyAssembler();
    let limits: RateLimitInfo | undefined;
    let abort: (() => void) | undefined;
    let finished = false;
    try {
      const api = await (client ??= openaiSdk().then(clientOf));
      const { data: stream, response } = await api.chat.completions.create(params, request.signal ? { signal: request.signal } : {}).withResponse();
      abort = () => stream.controller.abort();
      limits = readOpenAIRateLimitHeaders(response.headers, now());
      for await (const chunk of stream) {
        for (const delta of assembler.push(chunk)) yield delta;
      }
      finished = true;
    } catch (error) {
      throw toModelError(error, { ...context, now: now(), signal: request.signal });
    } finally {
      // A consumer that stops early (an aborted worker, the idle timeout) must not leave the request running.
      if (!finished) abort?.();
    }
    // The SDK ends an aborted stream quietly: that is an abort, not a reply cut short.
    if (request.signal?.aborted) throw new ModelError('model turn aborted', { retryable: false, kind: 'aborted' });
    return toReply(assembler, request, { ...context, limits });
  }

  return { label: `openai-compatible ${options.model} at ${where.host}`, turn };
}

interface ReplyContext {
  profile: string;
  maxTokens: number | undefined;
  limits: RateLimitInfo | undefined;
}

function toReply(assembler: ChatReplyAssembler, request: ModelTurnRequest, context: ReplyContext): ModelReply {
  const extra = context.limits ? { limits: context.limits } : {};
  const finish = assembler.finishReason;
  if (!finish) {
    // The body ended without a finish_reason (a server or proxy that closed it early); the request
    // itself was fine, so another try can work.
    throw new ModelError('the response stream broke off before the reply was finished (no finish_reason)', { retryable: true, kind: 'stream', ...extra });
  }
  const calls = assembler.calls;
  const stop_reason = stopReasonOf(finish, calls.length > 0);
  if (stop_reason === 'refusal') {
    throw new ModelError('the model refused to continue (finish_reason "content_filter"); the ticket needs a different prompt or a human', { retryable: false, kind: 'refused', ...extra });
  }
  if (stop_reason === 'max_tokens' && calls.length > 0) {
    // Text comes before calls, so the last call is the one cut: it would run with half its
    // arguments, and a retry would be cut at the same place. Say what to change instead.
    const limit = context.maxTokens !== undefined ? `max_tokens (${context.maxTokens})` : `the server's output limit (no max_tokens in [models.${context.profile}])`;
    throw new ModelError(
      `the reply hit ${limit} in the middle of a ${calls.at(-1)!.name} call, so its input is incomplete; ` +
        `raise max_tokens in [models.${context.profile}] or ask for smaller steps`,
      { retryable: false, kind: 'cut_off', ...extra },
    );
  }
  // Text cut by max_tokens stays a reply: the worker's nudge asks the model to go on.
  const message = assembler.message();
  return { message, stop_reason, usage: assembler.usage ?? estimatedUsage(request, assembler), ...extra };
}

/**
 * A server that sends no usage (an older local server, or one that ignores stream_options) still
 * costs tokens: estimate them from the characters, so per-ticket and per-run budgets count
 * something rather than nothing.
 */
function estimatedUsage(request: ModelTurnRequest, assembler: ChatReplyAssembler): { input_tokens: number; output_tokens: number } {
  const input = request.system.length + JSON.stringify(request.messages).length + JSON.stringify(request.tools).length;
  const output = assembler.text.length + assembler.calls.reduce((total, call) => total + call.name.length + call.arguments.length, 0);
  return { input_tokens: estimateTokens(input), output_tokens: estimateTokens(output) };
}

/** The base URL for messages and the label: no user info, no query; the host alone for the label. */
function endpointOf(baseURL: string): { url: string; host: string } {
  try {
    const url = new URL(baseURL);
    return { url: `${url.origin}${url.pathname.replace(/\/$/, '')}`, host: url.host };
  } catch {
    return { url: baseURL, host: 'an invalid base_url' };
  }
}

interface ErrorContext {
  now: number;
  profile: string;
  secret: string;
  where: { url: string };
  /** Whether the profile sends a key (api_key_env), for what a 401 asks to change. */
  keyed: boolean;
  signal: AbortSignal | undefined;
}

type FatalKind = 'auth' | 'invalid_request';

function fatalFor(status: number, context: ErrorContext): { kind: FatalKind; what: string } {
  const profile = `[models.${context.profile}]`;
  switch (status) {
    case 401:
      return {
        kind: 'auth',
        what: context.keyed
          ? `the server rejected the API key (check the variable api_key_env names in ${profile})`
          : `the server wants an API key and ${profile} sends none (set api_key_env to the variable that holds it)`,
      };
    case 403:
      return { kind: 'auth', what: `the API key may not use this model (permission denied; check model and api_key_env in ${profile})` };
    case 404:
      return { kind: 'invalid_request', what: `the model or endpoint was not found (check model and base_url in ${profile}; a local server may need the model pulled first)` };
    case 413:
      return { kind: 'invalid_request', what: 'the request is too large for the server' };
    case 400:
    case 422:
      return { kind: 'invalid_request', what: 'the server rejected the request as invalid' };
    default:
      return { kind: 'invalid_request', what: 'the server refused the request' };
  }
}

/** Maps anything the SDK throws to a ModelError that says whether a retry can help. */
export function toModelError(error: unknown, context: ErrorContext): ModelError {
  if (error instanceof ModelError) return error;
  const { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, OpenAIError } = sdk ?? UNLOADED;
  const clean = (text: string) => (context.secret.length >= 4 ? redact(text, [context.secret]) : text);
  if (error instanceof APIUserAbortError || context.signal?.aborted) {
    return new ModelError('model turn aborted', { retryable: false, kind: 'aborted' });
  }
  if (error instanceof APIError && error.status !== undefined) {
    const status = error.status;
    const limits = readOpenAIRateLimitHeaders(error.headers, context.now);
    const detail = clean(apiDetail(error));
    const extra = { status, ...(limits ? { limits } : {}), cause: error };
    const retryAt = limits?.retryAfterMs !== undefined ? context.now + limits.retryAfterMs : undefined;
    const retryable = (kind: 'rate_limited' | 'server', what: string) =>
      new ModelError(`${what} (HTTP ${status}: ${detail})`, { retryable: true, kind, ...(retryAt !== undefined ? { retryAt } : {}), ...extra });
    if (status === 429) return retryable('rate_limited', 'rate limited by the server');
    if (status === 408 || status === 409 || status >= 500) return retryable('server', 'the server had an error');
    const { kind, what } = fatalFor(status, context);
    return new ModelError(`${what} (HTTP ${status}: ${detail})`, { retryable: false, kind, ...extra });
  }
  if (error instanceof APIConnectionTimeoutError) {
    return new ModelError(clean(`${context.where.url} did not answer in time`), { retryable: true, kind: 'connection', cause: error });
  }
  if (error instanceof APIConnectionError) {
    return new ModelError(clean(`could not reach ${context.where.url} — is the server running? (${innermost(error).message})`), { retryable: true, kind: 'connection', cause: error });
  }
  if (error instanceof APIError) {
    // `data: {"error": …}` in the stream after a 200: the server gave up mid-reply.
    return new ModelError(`the server reported an error mid-stream (${clean(apiDetail(error))})`, { retryable: true, kind: 'stream', cause: error });
  }
  if (error instanceof SyntaxError || (error instanceof Error && error.cause instanceof SyntaxError)) {
    return new ModelError(`the response stream was malformed: ${clean(rootCause(error))}`, { retryable: true, kind: 'stream', cause: error });
  }
  if (error instanceof OpenAIError || error instanceof TypeError) {
    // The body cut mid-way (a socket reset: "terminated").
    return new ModelError(`the response stream broke off: ${clean(rootCause(error))}`, { retryable: true, kind: 'stream', cause: error });
  }
  return new ModelError(`unexpected error from the OpenAI client: ${clean(errorText(error))}`, { retryable: false, kind: 'other', cause: error });
}

/** Before the SDK is loaded: classes nothing is an instance of. */
const UNLOADED = ((never: unknown) => ({ APIConnectionError: never, APIConnectionTimeoutError: never, APIError: never, APIUserAbortError: never, OpenAIError: never }))(
  class {},
) as unknown as Pick<Sdk, 'APIConnectionError' | 'APIConnectionTimeoutError' | 'APIError' | 'APIUserAbortError' | 'OpenAIError'>;

/** The server's own words: its error body's message (a string, for some servers), else the SDK's. */
function apiDetail(error: APIError): string {
  const body = error.error as { message?: unknown } | string | undefined;
  if (typeof body === 'string') return body;
  if (typeof body?.message === 'string') return body.message;
  return error.message;
}

/** The error's innermost cause ("connect ECONNREFUSED 127.0.0.1:11434"), which says what happened. */
function innermost(error: Error): Error {
  let inner = error;
  while (inner.cause instanceof Error) inner = inner.cause;
  return inner;
}

/** The error and what caused it: "terminated: other side closed". */
function rootCause(error: Error): string {
  const inner = innermost(error);
  return inner === error ? error.message : `${error.message}: ${inner.message}`;
}
