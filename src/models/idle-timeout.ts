import type { ModelDelta } from '../protocol/index.js';
import { ModelError, type ModelClient, type ModelReply, type ModelTurnRequest } from './model-client.js';

/** Starts a timer of `ms`; the returned function cancels it. Injected so tests need not wait. */
export type IdleTimer = (ms: number, fire: () => void) => () => void;

const realTimer: IdleTimer = (ms, fire) => {
  const timer = setTimeout(fire, ms);
  return () => clearTimeout(timer);
};

export interface IdleTimeoutOptions {
  /** Milliseconds the stream may stay silent (no response, no event) before it is dropped. */
  idleMs: number;
  /** The profile's name, for the message. */
  profile: string;
  timer?: IdleTimer;
}

/**
 * Drops a model stream that sends nothing for `idleMs`: waiting for the response, or between two
 * events of its body. A stalled connection would otherwise hold its worker (and its rate-limit
 * slot) forever, since the SDKs' own timeouts only cover the request until its headers arrive.
 * The request is aborted and the turn fails with a retryable `connection` error, so the scheduler
 * retries it like a dropped connection. The time the consumer spends on a delta does not count.
 */
export function withIdleTimeout(client: ModelClient, options: IdleTimeoutOptions): ModelClient {
  const startTimer = options.timer ?? realTimer;
  const seconds = options.idleMs / 1000;
  const silence = () =>
    new ModelError(
      `the model stream sent nothing for ${seconds} s (idle_timeout_s of [models.${options.profile}]); it was dropped and will be retried`,
      { retryable: true, kind: 'connection' },
    );

  async function* turn(request: ModelTurnRequest): AsyncGenerator<ModelDelta, ModelReply, void> {
    const controller = new AbortController();
    const outer = request.signal;
    const follow = () => controller.abort(outer?.reason);
    if (outer?.aborted) controller.abort(outer.reason);
    else outer?.addEventListener('abort', follow, { once: true });
    const inner = client.turn({ ...request, signal: controller.signal });
    let finished = false;
    const next = () =>
      new Promise<IteratorResult<ModelDelta, ModelReply>>((resolve, reject) => {
        let timedOut = false;
        const cancel = startTimer(options.idleMs, () => {
          timedOut = true;
          controller.abort();
          reject(silence());
        });
        inner.next().then(
          (step) => {
            cancel();
            if (!timedOut) resolve(step);
          },
          (error: unknown) => {
            cancel();
            // After a timeout the inner turn fails with its abort: that is not the news.
            if (!timedOut) reject(error);
          },
        );
      });
    try {
      for (;;) {
        const step = await next();
        if (step.done) {
          finished = true;
          return step.value;
        }
        yield step.value;
      }
    } finally {
      outer?.removeEventListener('abort', follow);
      // Stopped early (aborted, timed out, or a consumer that left): the request must not go on.
      if (!finished) {
        controller.abort();
        inner.return(undefined as never).catch(() => {});
      }
    }
  }

  return { label: client.label, turn };
}
