import type { RateLimitInfo, RateLimitReading } from './model-client.js';

/** The part of a fetch `Headers` object this needs, so tests can pass a plain map. */
export interface HeaderSource {
  get(name: string): string | null;
}

function number(headers: HeaderSource, name: string): number | undefined {
  const text = headers.get(name);
  if (text === null || text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

function reading(headers: HeaderSource, prefix: string): RateLimitReading | undefined {
  const limit = number(headers, `${prefix}-limit`);
  const remaining = number(headers, `${prefix}-remaining`);
  const resetText = headers.get(`${prefix}-reset`);
  const reset = resetText ? Date.parse(resetText) : NaN;
  if (limit === undefined && remaining === undefined && Number.isNaN(reset)) return undefined;
  return {
    ...(limit !== undefined ? { limit } : {}),
    ...(remaining !== undefined ? { remaining } : {}),
    ...(Number.isNaN(reset) ? {} : { reset }),
  };
}

/**
 * `retry-after` is seconds or an HTTP date; `retry-after-ms` (which the SDK also honours) wins
 * when present. `now` is only needed for the date form.
 */
export function retryAfterMs(headers: HeaderSource, now: number): number | undefined {
  const ms = number(headers, 'retry-after-ms');
  if (ms !== undefined) return ms;
  const text = headers.get('retry-after');
  if (text === null || text.trim() === '') return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Reads `retry-after` and the `anthropic-ratelimit-{requests,input-tokens,output-tokens}-*` headers. */
export function readRateLimitHeaders(headers: HeaderSource | undefined | null, now: number): RateLimitInfo | undefined {
  if (!headers) return undefined;
  const requests = reading(headers, 'anthropic-ratelimit-requests');
  const inputTokens = reading(headers, 'anthropic-ratelimit-input-tokens');
  const outputTokens = reading(headers, 'anthropic-ratelimit-output-tokens');
  const retryAfter = retryAfterMs(headers, now);
  if (!requests && !inputTokens && !outputTokens && retryAfter === undefined) return undefined;
  return {
    ...(requests ? { requests } : {}),
    ...(inputTokens ? { inputTokens } : {}),
    ...(outputTokens ? { outputTokens } : {}),
    ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
  };
}
