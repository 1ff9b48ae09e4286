import type { ClutchConfig } from '../protocol/index.js';
import type { RateLimitConfig, WaitUntil } from './rate-limit-types.js';
import { RateLimiter } from './rate-limiter.js';

/** One scheduler per network profile (anthropic, openai) of agents.toml, for the engine to share among its workers. */
export function limitersFromConfig(
  config: ClutchConfig,
  clock: { now: () => number; wait: WaitUntil; windowMs?: number | undefined },
): Map<string, RateLimiter> {
  const limiters = new Map<string, RateLimiter>();
  for (const [name, profile] of Object.entries(config.models)) {
    if (profile.provider === 'scripted') continue;
    const limits: RateLimitConfig = {
      requestsPerMinute: profile.requests_per_minute,
      inputTokensPerMinute: profile.input_tokens_per_minute,
      outputTokensPerMinute: profile.output_tokens_per_minute,
      maxConcurrency: profile.max_concurrency,
      maxTokens: profile.max_tokens,
      windowMs: clock.windowMs,
    };
    limiters.set(name, new RateLimiter(name, limits, clock));
  }
  return limiters;
}
