import { ModelError, type ModelReply, type RateLimitInfo, type RateLimitReading } from '../models/model-client.js';
import { TokenBucket } from './token-bucket.js';

import type { FailureDecision, Lease, RateLimitConfig, SlotRequest, WaitUntil } from './rate-limit-types.js';

export type { FailureDecision, Lease, RateLimitConfig, SlotRequest, WaitUntil };

interface Waiter {
  request: SlotRequest;
  resolve(lease: Lease): void;
  reject(error: unknown): void;
  shown?: string;
}

const DEFAULT_MAX_RETRIES = 8;
const REQUEST_HEADROOM = 0.04;


/**
 * The scheduler every worker of one model profile shares. Before each request a worker asks it for
 * a slot: it queues requests in arrival order and grants one when the request, input-token and
 * output-token buckets and the concurrency window all allow it. It follows what the provider says
 * (retry-after, anthropic-ratelimit-* headers), halves the concurrency window on 429/529 and grows it
 * back by one per window of successes (AIMD), and decides when (and whether) a failed call retries.
 */
export class RateLimiter {
  readonly profile: string;
  readonly #config: RateLimitConfig;
  readonly #now: () => number;
  readonly #wait: WaitUntil;
  readonly #requests: TokenBucket;
  readonly #input: TokenBucket;
  readonly #output: TokenBucket;
  readonly #queue: Waiter[] = [];
  readonly #failures = new Map<string, number>();
  readonly #maxConcurrency: number;
  #window: number;
  #inFlight = 0;
  #seq = 0;
  #cutSeq = 0;
  #holdUntil = 0;
  #outputEstimate: number;
  #timer: { until: number; controller: AbortController } | undefined;
  /** Counters for benches and the UI. */
  readonly stats = { granted: 0, rateLimited: 0, overloaded: 0, cuts: 0 };

  constructor(profile: string, config: RateLimitConfig, clock: { now: () => number; wait: WaitUntil }) {
    this.profile = profile;
    this.#config = config;
    this.#now = clock.now;
    this.#wait = clock.wait;
    const windowMs = config.windowMs ?? 60_000;
    const start = this.#now();
    this.#requests = new TokenBucket(config.requestsPerMinute, windowMs, start);
    this.#input = new TokenBucket(config.inputTokensPerMinute, windowMs, start);
    this.#output = new TokenBucket(config.outputTokensPerMinute, windowMs, start);
    // Until the first reply, the provider's bucket may still sit full while our first burst is on
    // the way: a refill counted here before then would be a refill the provider never had.
    this.#requests.frozen = true;
    this.#maxConcurrency = config.maxConcurrency ?? Infinity;
    this.#window = this.#maxConcurrency;
    this.#outputEstimate = Math.min(config.maxTokens ?? 4096, 1024);
  }

  /** Requests in flight, and the working concurrency limit AIMD has set. */
  get concurrency(): { inFlight: number; limit: number; queued: number } {
    return { inFlight: this.#inFlight, limit: Math.max(1, Math.floor(this.#window)), queued: this.#queue.length };
  }

  /**
   * Waits for a slot. `retryNow()` grants it at once, past every limit (the human's call). A
   * request that can never fit the limits is refused with a non-retryable ModelError.
   */
  acquire(request: SlotRequest): { lease: Promise<Lease>; retryNow(): void } {
    let waiter!: Waiter;
    const lease = new Promise<Lease>((resolve, reject) => {
      waiter = { request, resolve, reject };
    });
    const never = this.#neverFits(request);
    if (never) {
      waiter.reject(never);
      return { lease, retryNow: () => {} };
    }
    this.#queue.push(waiter);
    request.signal?.addEventListener(
      'abort',
      () => {
        if (this.#remove(waiter)) waiter.reject(new ModelError('model turn aborted', { kind: 'aborted' }));
        this.#pump();
      },
      { once: true },
    );
    this.#pump();
    return {
      lease,
      retryNow: () => {
        if (this.#remove(waiter)) this.#grant(waiter);
        this.#pump();
      },
    };
  }

  succeeded(lease: Lease, reply: Pick<ModelReply, 'usage' | 'limits'>): void {
    this.#release();
    this.#failures.delete(lease.key);
    const now = this.#now();
    // The estimates taken at admission are corrected to what the reply really used.
    this.#input.take(reply.usage.input_tokens - lease.inputTokens, now);
    this.#output.take(reply.usage.output_tokens - lease.outputTokens, now);
    this.#outputEstimate = Math.max(1, Math.round(0.8 * this.#outputEstimate + 0.2 * reply.usage.output_tokens));
    this.#window = Math.min(this.#maxConcurrency, this.#window + 1 / this.#window);
    this.#observe(reply.limits, now);
    this.#pump();
  }

  /** Records a failed call and says whether and when it may be retried. */
  failed(lease: Lease, error: ModelError): FailureDecision {
    this.#release();
    const now = this.#now();
    if (error.status !== undefined) {
      // Refused before any work: the tokens it reserved were never spent.
      this.#input.take(-lease.inputTokens, now);
      this.#output.take(-lease.outputTokens, now);
    }
    this.#observe(error.limits, now);
    if (error.kind === 'rate_limited' || error.kind === 'overloaded') {
      if (error.kind === 'rate_limited') this.stats.rateLimited += 1;
      else this.stats.overloaded += 1;
      // One cut per congestion event: requests sent before the last cut saw the old window.
      if (lease.seq > this.#cutSeq) {
        this.#window = Math.max(1, Math.min(this.#window, this.#inFlight + 1) / 2);
        this.#cutSeq = this.#seq;
        this.stats.cuts += 1;
      }
    }
    let decision: FailureDecision;
    if (!error.retryable) {
      this.#failures.delete(lease.key);
      decision = { retryable: false, reason: error.message };
    } else {
      const count = (this.#failures.get(lease.key) ?? 0) + 1;
      this.#failures.set(lease.key, count);
      const maxRetries = this.#config.maxRetries ?? DEFAULT_MAX_RETRIES;
      if (count > maxRetries) {
        this.#failures.delete(lease.key);
        decision = { retryable: false, reason: `gave up after ${maxRetries} retries: ${error.message}` };
      } else {
        const base = this.#config.backoffBaseMs ?? 1000;
        const backoff = now + Math.min(this.#config.backoffMaxMs ?? 60_000, base * 2 ** (count - 1));
        const asked = error.limits?.retryAfterMs !== undefined ? now + error.limits.retryAfterMs : error.retryAt;
        decision = { retryable: true, retryAt: Math.max(asked ?? backoff, this.#holdUntil), reason: error.message };
      }
    }
    this.#pump();
    return decision;
  }

  #release(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    if (this.#requests.frozen) {
      this.#requests.level(this.#now());
      this.#requests.frozen = false;
    }
  }

  /** What the provider said: its limits may be lower than configured, and other clients share them. */
  #observe(limits: RateLimitInfo | undefined, now: number): void {
    if (!limits) return;
    if (limits.retryAfterMs !== undefined) this.#holdUntil = Math.max(this.#holdUntil, now + limits.retryAfterMs);
    const apply = (bucket: TokenBucket, reading: RateLimitReading | undefined) => {
      if (reading) bucket.observe(reading, now);
    };
    apply(this.#requests, limits.requests);
    apply(this.#input, limits.inputTokens);
    apply(this.#output, limits.outputTokens);
  }

  #neverFits(request: SlotRequest): ModelError | undefined {
    const capacity = this.#input.capacity;
    if (capacity !== undefined && request.inputTokens > capacity) {
      return new ModelError(
        `this request needs about ${request.inputTokens} input tokens, more than the ${capacity} input tokens per minute ` +
          `[models.${this.profile}] allows, so it can never be sent; raise input_tokens_per_minute or shorten the conversation`,
        { retryable: false, kind: 'invalid_request' },
      );
    }
    return undefined;
  }

  #remove(waiter: Waiter): boolean {
    const index = this.#queue.indexOf(waiter);
    if (index < 0) return false;
    this.#queue.splice(index, 1);
    return true;
  }

  #grant(waiter: Waiter): void {
    const now = this.#now();
    const outputTokens = Math.min(this.#outputEstimate, this.#output.capacity ?? Infinity);
    this.#requests.take(1, now);
    this.#input.take(waiter.request.inputTokens, now);
    this.#output.take(outputTokens, now);
    this.#inFlight += 1;
    this.stats.granted += 1;
    waiter.resolve({ key: waiter.request.key, seq: ++this.#seq, inputTokens: waiter.request.inputTokens, outputTokens });
  }

  /** Why the head of the queue cannot go now, and until when (null: until a request ends). */
  #blocker(waiter: Waiter, now: number): { reason: string; until: number | null } | undefined {
    if (this.#holdUntil > now) return { reason: `the API asked ${this.profile} to wait (retry-after)`, until: this.#holdUntil };
    const limit = Math.max(1, Math.floor(this.#window));
    if (this.#inFlight >= limit) {
      return { reason: `waiting for a free slot: ${this.#inFlight} of ${limit} requests to ${this.profile} in flight`, until: null };
    }
    const outputTokens = Math.min(this.#outputEstimate, this.#output.capacity ?? Infinity);
    // A little headroom on requests (whole requests, 4% of the limit): the provider counts a
    // request when it arrives, and requests granted together do not arrive in order. Steady
    // throughput is the same; only the first burst is a few percent smaller.
    const headroom = Math.floor((this.#requests.capacity ?? 0) * REQUEST_HEADROOM);
    const checks: [TokenBucket, number, string][] = [
      [this.#requests, 1 + headroom, 'requests'],
      [this.#input, waiter.request.inputTokens, 'input tokens'],
      [this.#output, outputTokens, 'output tokens'],
    ];
    for (const [bucket, amount, what] of checks) {
      const until = bucket.readyAt(amount, now);
      if (until > now) {
        return { reason: `rate limit: ${bucket.capacity} ${what} per minute for ${this.profile} used up`, until: Number.isFinite(until) ? until : null };
      }
    }
    return undefined;
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      const never = this.#neverFits(head.request);
      if (never) {
        this.#queue.shift();
        head.reject(never);
        continue;
      }
      const now = this.#now();
      const blocked = this.#blocker(head, now);
      if (!blocked) {
        this.#queue.shift();
        this.#grant(head);
        continue;
      }
      for (const [position, waiter] of this.#queue.entries()) {
        const reason = position === 0 ? blocked.reason : `${blocked.reason} (${position} ahead in the queue)`;
        const shown = `${reason}@${blocked.until}`;
        if (waiter.shown !== shown) {
          waiter.shown = shown;
          waiter.request.onWaiting?.(reason, blocked.until);
        }
      }
      if (blocked.until !== null) this.#arm(blocked.until);
      return;
    }
  }

  /** One timer for the whole queue, at the earliest moment the head could go. */
  #arm(until: number): void {
    if (this.#timer && this.#timer.until <= until) return;
    this.#timer?.controller.abort();
    const timer = { until, controller: new AbortController() };
    this.#timer = timer;
    this.#wait(until, timer.controller.signal).then(
      () => {
        if (this.#timer !== timer) return;
        this.#timer = undefined;
        this.#pump();
      },
      () => {},
    );
  }
}
