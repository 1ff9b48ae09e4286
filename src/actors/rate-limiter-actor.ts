import { fromCallback, type AnyActorRef, type EventObject } from 'xstate';
import type { ModelError, ModelReply } from '../models/model-client.js';
import type { FailureDecision, Lease, RateLimiter } from './rate-limiter.js';

/** The rate-limit scheduler's address in the actor system, per model profile. */
export const limiterSystemId = (profile: string) => `rate-limiter:${profile}`;

/** What a model call asks of the scheduler. */
export type LimiterRequest =
  | { type: 'limiter.acquire'; key: string; inputTokens: number; replyTo: AnyActorRef }
  | { type: 'limiter.retry_now'; key: string }
  | { type: 'limiter.cancel'; key: string }
  | { type: 'limiter.succeeded'; lease: Lease; reply: Pick<ModelReply, 'usage' | 'limits'> }
  | { type: 'limiter.failed'; lease: Lease; error: ModelError; replyTo: AnyActorRef };

/** What the scheduler answers, to the model call that asked. */
export type LimiterReply =
  | { type: 'limiter.waiting'; reason: string; until: number | null }
  | { type: 'limiter.granted'; lease: Lease }
  | { type: 'limiter.refused'; error: unknown }
  | { type: 'limiter.decision'; decision: FailureDecision };

/**
 * One actor per provider profile, spawned by the conductor: every worker's model calls reach the
 * profile's token buckets and AIMD concurrency only through this actor's mailbox, so they share
 * one view of the limits. The buckets themselves re-learn after a restore (from the headers).
 */
export function rateLimiterLogic(limiters: ReadonlyMap<string, RateLimiter>) {
  return fromCallback<EventObject, { profile: string }>(({ input, receive }) => {
    const limiter = limiters.get(input.profile);
    if (!limiter) throw new Error(`no rate limiter for model profile "${input.profile}"`);
    const waiting = new Map<string, { retryNow(): void; controller: AbortController }>();
    receive((received) => {
      const event = received as LimiterRequest;
      switch (event.type) {
        case 'limiter.acquire': {
          const controller = new AbortController();
          const reply = (message: LimiterReply) => event.replyTo.send(message);
          const slot = limiter.acquire({
            key: event.key,
            inputTokens: event.inputTokens,
            signal: controller.signal,
            onWaiting: (reason, until) => reply({ type: 'limiter.waiting', reason, until }),
          });
          waiting.set(event.key, { retryNow: slot.retryNow, controller });
          slot.lease.then(
            (lease) => {
              waiting.delete(event.key);
              reply({ type: 'limiter.granted', lease });
            },
            (error: unknown) => {
              waiting.delete(event.key);
              if (!controller.signal.aborted) reply({ type: 'limiter.refused', error });
            },
          );
          break;
        }
        case 'limiter.retry_now':
          waiting.get(event.key)?.retryNow();
          break;
        case 'limiter.cancel':
          waiting.get(event.key)?.controller.abort();
          waiting.delete(event.key);
          break;
        case 'limiter.succeeded':
          limiter.succeeded(event.lease, event.reply);
          break;
        case 'limiter.failed':
          event.replyTo.send({ type: 'limiter.decision', decision: limiter.failed(event.lease, event.error) } satisfies LimiterReply);
          break;
      }
    });
    return () => {
      for (const entry of waiting.values()) entry.controller.abort();
    };
  });
}
