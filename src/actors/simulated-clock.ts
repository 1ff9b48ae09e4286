/**
 * A clock that jumps instead of waiting: `waitUntil` moves time to the deadline and resolves at
 * once. Tests use it so backoffs and rate-limit waits take no real time, and `clutch run --replay`
 * uses it because a replayed run has nothing to wait for.
 */
export class SimulatedClock {
  #now: number;

  constructor(start = 0) {
    this.#now = start;
  }

  readonly now = (): number => this.#now;

  advance(ms: number): void {
    this.#now += Math.max(0, ms);
  }

  readonly waitUntil = (until: number, signal: AbortSignal): Promise<void> => {
    if (signal.aborted) return new Promise<void>(() => {});
    // A macrotask, so that whatever else is ready runs first, as it would while really waiting.
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        if (signal.aborted) return;
        this.#now = Math.max(this.#now, until);
        resolve();
      }),
    );
  };
}
