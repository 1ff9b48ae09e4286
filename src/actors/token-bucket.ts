import type { RateLimitReading } from '../models/model-client.js';

/**
 * A continuously refilling bucket, as the Anthropic API meters its limits: `capacity` per window,
 * refilled smoothly. Without a capacity it never limits, until the provider's headers give one.
 * The level may go below zero when a reply used more than was estimated; it then refills from there.
 */
export class TokenBucket {
  capacity: number | undefined;
  readonly #windowMs: number;
  #level: number;
  #updatedAt: number;
  /** While frozen the bucket does not refill (see RateLimiter: until the first reply arrives). */
  frozen = false;

  constructor(capacity: number | undefined, windowMs: number, now: number) {
    this.capacity = capacity;
    this.#windowMs = windowMs;
    this.#level = capacity ?? 0;
    this.#updatedAt = now;
  }

  level(now: number): number {
    this.#refill(now);
    return this.#level;
  }

  take(amount: number, now: number): void {
    if (this.capacity === undefined) return;
    this.#refill(now);
    this.#level = Math.min(this.capacity, this.#level - amount);
  }

  /** When `amount` will be available (now, if it is). */
  readyAt(amount: number, now: number): number {
    if (this.capacity === undefined) return now;
    this.#refill(now);
    const need = Math.min(amount, this.capacity) - this.#level;
    if (need <= 0) return now;
    if (this.frozen) return Infinity;
    return now + Math.ceil((need * this.#windowMs) / this.capacity);
  }

  /** Adopts a lower limit, and never believes in more room than the provider says is left. */
  observe(reading: RateLimitReading, now: number): void {
    this.#refill(now);
    if (reading.limit !== undefined && reading.limit > 0 && (this.capacity === undefined || reading.limit < this.capacity)) {
      if (this.capacity === undefined) this.#level = reading.limit;
      this.capacity = reading.limit;
      this.#level = Math.min(this.#level, this.capacity);
    }
    if (this.capacity === undefined || reading.remaining === undefined) return;
    // `reset` is when the bucket is full again, not when the next request fits: the smooth refill
    // from `remaining` already says when that is.
    this.#level = Math.min(this.#level, reading.remaining);
  }

  #refill(now: number): void {
    if (this.capacity === undefined) return;
    if (now > this.#updatedAt && !this.frozen) this.#level = Math.min(this.capacity, this.#level + ((now - this.#updatedAt) * this.capacity) / this.#windowMs);
    this.#updatedAt = Math.max(this.#updatedAt, now);
  }
}
