import type {
  AssistantMessage,
  ModelDelta,
  ModelMessage,
  StopReason,
  TokenUsage,
} from '../protocol/index.js';

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the input, as the Messages API takes it. */
  input_schema: Record<string, unknown>;
}

export interface ModelTurnRequest {
  ticketId: string;
  /** 1 for the first try of a ticket, 2 after the first retry, ... */
  attempt: number;
  /** Name of the model profile in agents.toml. */
  profile: string;
  system: string;
  messages: ModelMessage[];
  tools: ToolSpec[];
  signal?: AbortSignal;
}

/** One rate limit as a provider reported it in its response headers. */
export interface RateLimitReading {
  limit?: number;
  remaining?: number;
  /** When the limit is fully replenished (epoch ms). */
  reset?: number;
}

/**
 * What a response said about the provider's rate limits (Anthropic: `retry-after` and the
 * `anthropic-ratelimit-*` headers), for the shared rate-limit scheduler to adjust to.
 */
export interface RateLimitInfo {
  requests?: RateLimitReading;
  inputTokens?: RateLimitReading;
  outputTokens?: RateLimitReading;
  /** From `retry-after`: how long the provider asks every request to wait. */
  retryAfterMs?: number;
}

export interface ModelReply {
  message: AssistantMessage;
  stop_reason: StopReason;
  usage: TokenUsage;
  /** Rate-limit headers of the response, when the provider sends them. */
  limits?: RateLimitInfo;
}

/**
 * Why a model call failed, for the scheduler: `rate_limited` (429) and `overloaded` (529) cut
 * concurrency; the others are retried with backoff (`server`, `connection`, `stream`) or not at all.
 */
export type ModelErrorKind =
  | 'rate_limited'
  | 'overloaded'
  | 'server'
  | 'connection'
  | 'stream'
  | 'refused'
  | 'invalid_request'
  | 'auth'
  | 'cut_off'
  | 'replay'
  | 'aborted'
  | 'other';

/**
 * One model turn: an async generator that yields deltas for live rendering and returns the final
 * reply. Errors are thrown (ModelError); the worker turns them into state.
 */
export interface ModelClient {
  /** Shown in the UI and CLI, e.g. "scripted model" or "anthropic claude-sonnet-4-5". */
  readonly label: string;
  turn(request: ModelTurnRequest): AsyncGenerator<ModelDelta, ModelReply, void>;
}

export class ModelError extends Error {
  readonly retryable: boolean;
  /** When a retry may go (epoch ms); with retryable, the worker backs off until then. */
  readonly retryAt: number | undefined;
  readonly kind: ModelErrorKind;
  /** HTTP status of the failed response, when there was one. */
  readonly status: number | undefined;
  readonly limits: RateLimitInfo | undefined;
  constructor(
    message: string,
    options: {
      retryable?: boolean;
      retryAt?: number;
      cause?: unknown;
      kind?: ModelErrorKind;
      status?: number;
      limits?: RateLimitInfo;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ModelError';
    this.retryable = options.retryable ?? false;
    this.retryAt = options.retryAt;
    this.kind = options.kind ?? 'other';
    this.status = options.status;
    this.limits = options.limits;
  }
}

/** Drains a turn, passing each delta on, and returns the final reply. */
export async function runTurn(
  client: ModelClient,
  request: ModelTurnRequest,
  onDelta: (delta: ModelDelta) => void = () => {},
): Promise<ModelReply> {
  const turn = client.turn(request);
  for (;;) {
    const step = await turn.next();
    if (step.done) return step.value;
    onDelta(step.value);
  }
}

/** About four characters a token: an estimate (scripted usage, rate-limit admission), never a count. */
export function estimateTokens(characters: number): number {
  return Math.ceil(characters / 4);
}
