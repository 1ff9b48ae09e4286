import { describe, expect, it } from 'vitest';
import { RateLimiter, type Lease } from '../../src/actors/rate-limiter.js';
import { ModelError } from '../../src/models/model-client.js';
import { readRateLimitHeaders } from '../../src/models/rate-limit-headers.js';

/** A clock that only moves when the test says; waits resolve when it passes their deadline. */
class TestClock {
  time = 0;
  readonly waits: { until: number; resolve(): void; signal: AbortSignal }[] = [];
  now = () => this.time;
  wait = (until: number, signal: AbortSignal) => new Promise<void>((resolve) => this.waits.push({ until, resolve, signal }));
  async advanceTo(time: number): Promise<void> {
    this.time = time;
    for (const wait of this.waits.splice(0)) {
      if (wait.signal.aborted) continue;
      if (wait.until <= time) wait.resolve();
      else this.waits.push(wait);
    }
    await flush();
  }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
const usage = (input = 10, output = 10) => ({ usage: { input_tokens: input, output_tokens: output } });

function track(limiter: RateLimiter, key: string, inputTokens = 10) {
  const waits: { reason: string; until: number | null }[] = [];
  let lease: Lease | undefined;
  let error: unknown;
  const slot = limiter.acquire({ key, inputTokens, onWaiting: (reason, until) => waits.push({ reason, until }) });
  slot.lease.then(
    (granted) => (lease = granted),
    (caught: unknown) => (error = caught),
  );
  return { waits, slot, get lease() { return lease; }, get error() { return error; } };
}

describe('the rate limiter', () => {
  it('grants requests while the per-minute bucket has room, then makes the next wait for a refill', async () => {
    const clock = new TestClock();
    const limiter = new RateLimiter('sonnet', { requestsPerMinute: 2 }, clock);
    const a = track(limiter, 'A');
    const b = track(limiter, 'B');
    const c = track(limiter, 'C');
    await flush();
    expect([a.lease, b.lease, c.lease].map(Boolean)).toEqual([true, true, false]);
    // No refill counts before the first reply: the provider's bucket may still have been full.
    expect(c.waits.at(-1)).toEqual({ reason: 'rate limit: 2 requests per minute for sonnet used up', until: null });
    await clock.advanceTo(10_000);
    expect(c.lease).toBeUndefined();
    limiter.succeeded(a.lease!, usage());
    expect(c.waits.at(-1)).toEqual({ reason: 'rate limit: 2 requests per minute for sonnet used up', until: 40_000 });
    await clock.advanceTo(39_999);
    expect(c.lease).toBeUndefined();
    await clock.advanceTo(40_000);
    expect(c.lease).toBeDefined();
  });

  it('serves waiters in arrival order and says how many are ahead', async () => {
    const clock = new TestClock();
    const limiter = new RateLimiter('p', { requestsPerMinute: 1 }, clock);
    const order: string[] = [];
    const slots = ['A', 'B', 'C'].map((key) => {
      const slot = track(limiter, key);
      slot.slot.lease.then(() => order.push(key));
      return slot;
    });
    await flush();
    expect(slots[2]!.waits.at(-1)?.reason).toMatch(/\(1 ahead in the queue\)/);
    limiter.succeeded(slots[0]!.lease!, usage());
    await clock.advanceTo(60_000);
    await clock.advanceTo(120_000);
    expect(order).toEqual(['A', 'B', 'C']);
  });

  it('caps requests in flight, and retry_now lets a waiter go at once', async () => {
    const clock = new TestClock();
    const limiter = new RateLimiter('p', { maxConcurrency: 1 }, clock);
    const a = track(limiter, 'A');
    const b = track(limiter, 'B');
    await flush();
    expect(b.lease).toBeUndefined();
    expect(b.waits.at(-1)).toEqual({ reason: 'waiting for a free slot: 1 of 1 requests to p in flight', until: null });
    b.slot.retryNow();
    await flush();
    expect(b.lease).toBeDefined();
    expect(limiter.concurrency.inFlight).toBe(2);
    limiter.succeeded(a.lease!, usage());
    expect(limiter.concurrency.inFlight).toBe(1);
  });

  it('halves the concurrency window on a 429 once per congestion event, and grows it back additively', async () => {
    const clock = new TestClock();
    const limiter = new RateLimiter('p', { maxConcurrency: 8 }, clock);
    const slots = Array.from({ length: 8 }, (_, i) => track(limiter, `T${i}`));
    await flush();
    const error = new ModelError('rate limited', { retryable: true, kind: 'rate_limited', status: 429 });
    limiter.failed(slots[0]!.lease!, error);
    expect(limiter.concurrency.limit).toBe(4);
    // The other requests of the same burst do not cut it again.
    limiter.failed(slots[1]!.lease!, error);
    expect(limiter.concurrency.limit).toBe(4);
    for (const slot of slots.slice(2)) limiter.succeeded(slot.lease!, usage());
    expect(limiter.concurrency.limit).toBe(5);
    const later = track(limiter, 'later');
    await flush();
    limiter.failed(later.lease!, error);
    expect(limiter.concurrency.limit).toBe(1); // min(window, in flight + 1) / 2, at least 1
    expect(limiter.stats).toMatchObject({ rateLimited: 3, cuts: 2 });
  });

  it('retry-after holds every request of the profile until then', async () => {
    const clock = new TestClock();
    const limiter = new RateLimiter('p', {}, clock);
    const a = track(limiter, 'A');
    await flush();
    const decision = limiter.failed(a.lease!, new ModelError('429', { retryable: true, kind: 'rate_limited', status: 429, limits: { retryAfterMs: 20_000 } }));
    expect(decision).toEqual({ retryable: true, retryAt: 20_000, reason: '429' });
    const b = track(limiter, 'B');
    await flush();
    expect(b.waits.at(-1)).toEqual({ reason: 'the API asked p to wait (retry-after)', until: 20_000 });
    await clock.advanceTo(20_000);
    expect(b.lease).toBeDefined();
  });

  it('backs off exponentially without retry-after, and gives up after maxRetries', async () => {
    const clock = new TestClock();
    const limiter = new RateLimiter('p', { maxRetries: 3, backoffBaseMs: 100 }, clock);
    const error = new ModelError('500', { retryable: true, kind: 'server', status: 500 });
    const decisions = [];
    for (let i = 0; i < 4; i++) {
      const slot = track(limiter, 'T1#1');
      await flush();
      decisions.push(limiter.failed(slot.lease!, error));
    }
    expect(decisions.map((decision) => decision.retryAt)).toEqual([100, 200, 400, undefined]);
    expect(decisions[3]).toEqual({ retryable: false, reason: 'gave up after 3 retries: 500' });
    // A success resets the count.
    const slot = track(limiter, 'T1#1');
    await flush();
    limiter.succeeded(slot.lease!, usage());
    const again = track(limiter, 'T1#1');
    await flush();
    expect(limiter.failed(again.lease!, error).retryAt).toBe(100);
  });

  it('a non-retryable failure stays final', async () => {
    const limiter = new RateLimiter('p', {}, new TestClock());
    const a = track(limiter, 'A');
    await flush();
    expect(limiter.failed(a.lease!, new ModelError('bad key', { kind: 'auth', status: 401 }))).toEqual({ retryable: false, reason: 'bad key' });
  });

  it('refuses a request that can never fit the input-token limit, with a reason', async () => {
    const limiter = new RateLimiter('sonnet', { inputTokensPerMinute: 1000 }, new TestClock());
    const big = track(limiter, 'A', 5000);
    await flush();
    expect(big.error).toBeInstanceOf(ModelError);
    expect((big.error as ModelError).retryable).toBe(false);
    expect((big.error as ModelError).message).toMatch(/about 5000 input tokens, more than the 1000 .*\[models\.sonnet\].*never be sent/);
  });

  it('meters input tokens and corrects the estimate with the real usage', async () => {
    const clock = new TestClock();
    const limiter = new RateLimiter('p', { inputTokensPerMinute: 1000 }, clock);
    const a = track(limiter, 'A', 400);
    await flush();
    limiter.succeeded(a.lease!, usage(900, 10)); // used 900, not 400: 100 left
    const b = track(limiter, 'B', 400);
    await flush();
    expect(b.lease).toBeUndefined();
    expect(b.waits.at(-1)).toEqual({ reason: 'rate limit: 1000 input tokens per minute for p used up', until: 18_000 });
  });

  it('believes the provider about what is left and adopts a lower limit', async () => {
    const clock = new TestClock();
    const limiter = new RateLimiter('p', { requestsPerMinute: 100 }, clock);
    const a = track(limiter, 'A');
    await flush();
    limiter.succeeded(a.lease!, { ...usage(), limits: { requests: { limit: 10, remaining: 0 } } });
    const b = track(limiter, 'B');
    await flush();
    expect(b.waits.at(-1)).toEqual({ reason: 'rate limit: 10 requests per minute for p used up', until: 6_000 });
  });

  it('learns a limit from the headers when none is configured', async () => {
    const clock = new TestClock();
    const limiter = new RateLimiter('p', {}, clock);
    const a = track(limiter, 'A');
    await flush();
    limiter.succeeded(a.lease!, { ...usage(), limits: { requests: { limit: 60, remaining: 0 } } });
    const b = track(limiter, 'B');
    await flush();
    // One request plus a headroom of 4% of the limit (2 requests), at one per second.
    expect(b.waits.at(-1)?.until).toBe(3_000);
  });

  it('an aborted waiter leaves the queue', async () => {
    const limiter = new RateLimiter('p', { maxConcurrency: 1 }, new TestClock());
    const a = track(limiter, 'A');
    const controller = new AbortController();
    let rejected: unknown;
    limiter.acquire({ key: 'B', inputTokens: 1, signal: controller.signal }).lease.catch((error: unknown) => (rejected = error));
    const c = track(limiter, 'C');
    await flush();
    controller.abort();
    await flush();
    expect((rejected as ModelError).kind).toBe('aborted');
    limiter.succeeded(a.lease!, usage());
    await flush();
    expect(c.lease).toBeDefined();
  });
});

describe('rate-limit headers', () => {
  it('reads retry-after and the anthropic-ratelimit-* headers', () => {
    const headers = new Headers({
      'retry-after': '12',
      'anthropic-ratelimit-requests-limit': '50',
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': '2026-01-01T00:00:30Z',
      'anthropic-ratelimit-input-tokens-limit': '30000',
      'anthropic-ratelimit-input-tokens-remaining': '29000',
      'anthropic-ratelimit-output-tokens-limit': '8000',
      'anthropic-ratelimit-output-tokens-remaining': '7999',
    });
    expect(readRateLimitHeaders(headers, 0)).toEqual({
      requests: { limit: 50, remaining: 0, reset: Date.parse('2026-01-01T00:00:30Z') },
      inputTokens: { limit: 30000, remaining: 29000 },
      outputTokens: { limit: 8000, remaining: 7999 },
      retryAfterMs: 12_000,
    });
    expect(readRateLimitHeaders(new Headers({ 'retry-after': 'Thu, 01 Jan 1970 00:00:05 GMT' }), 1_000)).toEqual({ retryAfterMs: 4_000 });
    expect(readRateLimitHeaders(new Headers({}), 0)).toBeUndefined();
  });
});
