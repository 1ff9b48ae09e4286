import { describe, expect, it } from 'vitest';
import { withIdleTimeout, type IdleTimer } from '../../src/models/idle-timeout.js';
import { ModelError, runTurn, type ModelClient, type ModelReply, type ModelTurnRequest } from '../../src/models/model-client.js';
import type { ModelDelta } from '../../src/protocol/index.js';

/** A timer the test fires by hand: `fire()` runs the armed callback, as if idleMs had passed. */
function manualTimer(): IdleTimer & { armed: number; fire(): void } {
  let pending: (() => void) | undefined;
  const timer = ((_ms: number, fire: () => void) => {
    pending = fire;
    timer.armed += 1;
    return () => {
      if (pending === fire) pending = undefined;
    };
  }) as IdleTimer & { armed: number; fire(): void };
  timer.armed = 0;
  timer.fire = () => {
    const fire = pending;
    pending = undefined;
    fire?.();
  };
  return timer;
}

const reply: ModelReply = { message: { role: 'assistant', content: [{ type: 'text', text: 'hi' }] }, stop_reason: 'end_turn', usage: { input_tokens: 1, output_tokens: 1 } };
const request = (signal?: AbortSignal): ModelTurnRequest => ({ ticketId: 'T1', attempt: 1, profile: 'local', system: '', messages: [{ role: 'user', content: 'go' }], tools: [], ...(signal ? { signal } : {}) });

/** A client whose turn yields a delta, then waits for `release` before it returns (or forever, and sees its abort). */
function stallingClient(): ModelClient & { aborted: boolean; release(): void } {
  let release = () => {};
  const client = {
    label: 'stalling',
    aborted: false,
    release: () => release(),
    async *turn(turnRequest: ModelTurnRequest): AsyncGenerator<ModelDelta, ModelReply, void> {
      yield { type: 'text', index: 0, text: 'h' };
      await new Promise<void>((resolve, reject) => {
        release = resolve;
        turnRequest.signal?.addEventListener('abort', () => {
          client.aborted = true;
          reject(new ModelError('model turn aborted', { kind: 'aborted' }));
        });
      });
      return reply;
    },
  };
  return client;
}

describe('the idle timeout of a model stream', () => {
  it('a stream that goes silent is aborted and fails as a retryable dropped connection that names the setting', async () => {
    const timer = manualTimer();
    const inner = stallingClient();
    const turn = runTurn(withIdleTimeout(inner, { idleMs: 60_000, profile: 'local', timer }), request());
    await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    timer.fire();
    const error = await turn.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ kind: 'connection', retryable: true });
    expect((error as Error).message).toBe('the model stream sent nothing for 60 s (idle_timeout_s of [models.local]); it was dropped and will be retried');
    expect(inner.aborted).toBe(true);
  });

  it('a stream that keeps sending is never cut: the timer starts again at every event', async () => {
    const timer = manualTimer();
    const inner = stallingClient();
    const deltas: ModelDelta[] = [];
    const turn = runTurn(withIdleTimeout(inner, { idleMs: 1000, profile: 'local', timer }), request(), (delta) => deltas.push(delta));
    await new Promise((resolve) => setImmediate(resolve));
    inner.release();
    expect(await turn).toEqual(reply);
    expect(deltas).toHaveLength(1);
    // One timer for the first event, one for the reply: each cancelled when its event came.
    expect(timer.armed).toBe(2);
    timer.fire();
    expect(inner.aborted).toBe(false);
  });

  it("the caller's abort reaches the inner turn", async () => {
    const controller = new AbortController();
    const inner = stallingClient();
    const turn = runTurn(withIdleTimeout(inner, { idleMs: 60_000, profile: 'local', timer: manualTimer() }), request(controller.signal));
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await expect(turn).rejects.toMatchObject({ kind: 'aborted' });
    expect(inner.aborted).toBe(true);
  });
});
