/**
 * The engine's run clock as seen from the page. Journal and timeline entries carry `at`, in ms
 * since the engine started; the page has its own clock. Each entry seen at local time `local`
 * says the run clock was at least `at` then, so `at - local` bounds the offset from below; the
 * largest bound seen is the one that arrived with the least delay (batches go out about 30 times
 * a second). Durations that are still going (a tool running now) read it.
 */
export class RunClock {
  #offset = -Infinity;

  observe(at: number, local: number): void {
    if (Number.isFinite(at) && at - local > this.#offset) this.#offset = at - local;
  }

  /** The run clock now, or null before any entry was seen. */
  now(local: number): number | null {
    return Number.isFinite(this.#offset) ? local + this.#offset : null;
  }

  /** Another run, or the same run on a new engine (a resume starts its clock at 0 again). */
  reset(): void {
    this.#offset = -Infinity;
  }
}

/** The later of two readings: both clocks read the same engine, one may simply have seen less. */
export function laterOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}
