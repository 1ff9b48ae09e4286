/** The rate-limit scheduler's vocabulary, shared by the scheduler, its actor and the model call. */

/** Resolves at an absolute deadline (epoch ms on the limiter's clock); an abort cancels it. */
export type WaitUntil = (until: number, signal: AbortSignal) => Promise<void>;

export interface RateLimitConfig {
  requestsPerMinute?: number;
  inputTokensPerMinute?: number;
  outputTokensPerMinute?: number;
  /** Most requests in flight at once; AIMD moves the working limit between 1 and this. */
  maxConcurrency?: number;
  /** The profile's max_tokens: the most a reply can cost in output tokens. */
  maxTokens?: number;
  /** The limits' window; 60 000 (a minute) unless a bench scales it down. */
  windowMs?: number;
  /** Retryable failures in a row for one ticket attempt before its failure becomes final. */
  maxRetries?: number;
  /** Backoff after a failure without retry-after: base * 2^(n-1), capped. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export interface Lease {
  readonly key: string;
  readonly seq: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export interface SlotRequest {
  /** Ticket and attempt: failures in a row are counted per key. */
  key: string;
  inputTokens: number;
  signal?: AbortSignal;
  onWaiting?: (reason: string, until: number | null) => void;
}

export interface FailureDecision {
  retryable: boolean;
  retryAt?: number;
  reason: string;
}
