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

export interface ModelReply {
  message: AssistantMessage;
  stop_reason: StopReason;
  usage: TokenUsage;
}

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
  constructor(message: string, options: { retryable?: boolean; retryAt?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ModelError';
    this.retryable = options.retryable ?? false;
    this.retryAt = options.retryAt;
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
