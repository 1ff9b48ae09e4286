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

/** The reading made of what a response said; undefined when it said nothing. */
function readingOf(limit: number | undefined, remaining: number | undefined, reset: number | undefined): RateLimitReading | undefined {
  if (limit === undefined && remaining === undefined && reset === undefined) return undefined;
  return {
    ...(limit !== undefined ? { limit } : {}),
    ...(remaining !== undefined ? { remaining } : {}),
    ...(reset !== undefined ? { reset } : {}),
  };
}

function reading(headers: HeaderSource, prefix: string): RateLimitReading | undefined {
  const resetText = headers.get(`${prefix}-reset`);
  const reset = resetText ? Date.parse(resetText) : NaN;
  return readingOf(number(headers, `${prefix}-limit`), number(headers, `${prefix}-remaining`), Number.isNaN(reset) ? undefined : reset);
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

const DURATION = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/;

/**
 * Milliseconds in a Go-style duration as OpenAI writes its resets ("20ms", "1s", "6m0s",
 * "1h2m3.5s"); a bare number is seconds, as some compatible servers send it.
 */
export function durationMs(text: string | null): number | undefined {
  const trimmed = text?.trim() ?? '';
  if (trimmed === '') return undefined;
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const match = DURATION.exec(trimmed);
  if (!match) return undefined;
  const [, hours, minutes, seconds, ms] = match.map((part) => Number(part ?? 0));
  return Math.round(hours! * 3_600_000 + minutes! * 60_000 + seconds! * 1000 + ms!);
}

function openaiReading(headers: HeaderSource, kind: 'requests' | 'tokens', now: number): RateLimitReading | undefined {
  const wait = durationMs(headers.get(`x-ratelimit-reset-${kind}`));
  return readingOf(number(headers, `x-ratelimit-limit-${kind}`), number(headers, `x-ratelimit-remaining-${kind}`), wait === undefined ? undefined : now + wait);
}

/**
 * Reads `retry-after(-ms)` and OpenAI's `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`
 * (reset is how long until the limit is full again, so `now` turns it into a time). OpenAI's
 * token limit counts input and output together; it is reported as `inputTokens`, the limit the
 * scheduler admits a request by, since the prompt is the part known before the request goes.
 */
export function readOpenAIRateLimitHeaders(headers: HeaderSource | undefined | null, now: number): RateLimitInfo | undefined {
  if (!headers) return undefined;
  const requests = openaiReading(headers, 'requests', now);
  const inputTokens = openaiReading(headers, 'tokens', now);
  const retryAfter = retryAfterMs(headers, now);
  if (!requests && !inputTokens && retryAfter === undefined) return undefined;
  return {
    ...(requests ? { requests } : {}),
    ...(inputTokens ? { inputTokens } : {}),
    ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
  };
}
