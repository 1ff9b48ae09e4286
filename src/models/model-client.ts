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
  /** The archetype asking (the scripted model picks its script by it). */
  archetype?: string;
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

/**
 * Drains a turn, passing each delta on, and returns the final reply. This is where a reply enters
 * Clutch: one whose tool input nests too deeply is refused here, with a reason the ticket shows,
 * before anything (a preview, a snapshot, the journal) walks it and overflows the stack.
 */
export async function runTurn(
  client: ModelClient,
  request: ModelTurnRequest,
  onDelta: (delta: ModelDelta) => void = () => {},
): Promise<ModelReply> {
  const turn = client.turn(request);
  let reply: ModelReply;
  try {
    for (;;) {
      const step = await turn.next();
      if (step.done) {
        reply = step.value;
        break;
      }
      onDelta(step.value);
    }
  } catch (error) {
    // A client that walks such a reply itself (streaming it, parsing it) overflows before we see it.
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      throw new ModelError(`the model's reply could not be read: it nests too deeply (${error.message})`, { retryable: false, kind: 'invalid_request', cause: error });
    }
    throw error;
  }
  refuseDeepInput(reply.message);
  return reply;
}

/**
 * How deeply a tool_use input may nest (objects and arrays, the input itself being level 1). No
 * tool takes more than two levels; the limit only keeps recursive code (JSON.stringify,
 * structuredClone, zod) safe from a reply built to overflow the stack.
 */
export const MAX_INPUT_DEPTH = 64;

/**
 * The path to the first object or array nested deeper than `limit` levels, or undefined. It walks
 * with its own stack: a recursive walk would overflow on the very input it guards against.
 */
export function nestedTooDeep(value: unknown, limit = MAX_INPUT_DEPTH): (string | number)[] | undefined {
  const pending: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (typeof next.value !== 'object' || next.value === null) continue;
    if (next.path.length >= limit) return next.path;
    const entries: [string | number, unknown][] = Array.isArray(next.value) ? next.value.map((item, index) => [index, item]) : Object.entries(next.value);
    for (let index = entries.length - 1; index >= 0; index -= 1) {
      const [key, child] = entries[index]!;
      if (typeof child === 'object' && child !== null) pending.push({ value: child, path: [...next.path, key] });
    }
  }
  return undefined;
}

/** `['tickets', 'T2', 1, 'content', 0]` → `tickets.T2[1].content[0]`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || '(top level)';
}

function refuseDeepInput(message: AssistantMessage): void {
  for (const block of message.content) {
    if (block.type !== 'tool_use') continue;
    const path = nestedTooDeep(block.input);
    if (!path) continue;
    throw new ModelError(
      `the model's ${block.name} call ${block.id} has an input nested deeper than ${MAX_INPUT_DEPTH} levels ` +
        `(at ${formatPath(['input', ...path])}); no tool takes such input, so the reply was not used`,
      { retryable: false, kind: 'invalid_request' },
    );
  }
}

/** About four characters a token: an estimate (scripted usage, rate-limit admission), never a count. */
export function estimateTokens(characters: number): number {
  return Math.ceil(characters / 4);
}
