import type { Progress, RunLog } from '../store/index.js';
import { crashPoint } from './crash-points.js';

export interface CommitSchedulerOptions {
  log: RunLog;
  /** The conductor's persisted snapshot as it stands now. */
  snapshot: () => unknown;
  progress: () => Progress;
  /** Objects of the snapshot the store keeps as parts of their own (unchanged ones cost a reference). */
  parts?: WeakSet<object>;
  /**
   * Least time between two commits that nobody waits for, in ms (default COMMIT_INTERVAL_MS). The
   * first change after a quiet spell commits in the next turn of the event loop; a busy run
   * commits at most this often. A human command commits at once, whatever this says, and tool
   * intents and results never wait for a commit (the run log writes them at once).
   */
  intervalMs?: number;
  /** A commit that failed (disk full, say); the staged rows stay for the next try. */
  onError: (error: unknown) => void;
}

/**
 * The default least time between two commits. Every commit rewrites the snapshot of each live
 * ticket that changed since the last; at 100 ms a busy run rewrites each ticket once per 100 ms,
 * not once per turn of the event loop, and a ticket that starts and ends in between is never
 * written into a snapshot at all (1k tickets on the engine bench: main-thread CPU 3,400–3,760 ms at
 * 0 ms, 2,440–3,130 ms at 100 ms). A crash loses at most the journal rows of the last 100 ms,
 * which the restored run makes again.
 */
export const COMMIT_INTERVAL_MS = 100;

/**
 * Commits the run's staged journal rows with the conductor's snapshot. Changes are coalesced: a
 * burst of events in one turn of the event loop costs one commit, written after the burst, when
 * the actor system is at rest, so the snapshot always matches the journal that led to it.
 */
export class CommitScheduler {
  readonly #options: CommitSchedulerOptions;
  readonly #interval: number;
  #dirty = false;
  #timer: NodeJS.Immediate | NodeJS.Timeout | undefined;
  #last = -Infinity;
  #commits = 0;
  #stopped = false;
  /** Whether the pending commit is in the next turn of the loop (not on the interval's timer). */
  #immediate = false;

  constructor(options: CommitSchedulerOptions) {
    this.#options = options;
    this.#interval = options.intervalMs ?? COMMIT_INTERVAL_MS;
  }

  get commits(): number {
    return this.#commits;
  }

  /**
   * Something changed: commit soon. `soon`: in the next turn of the event loop whatever the
   * interval (the run ended: the store says so at once).
   */
  markDirty(soon = false): void {
    this.#dirty = true;
    if (this.#stopped) return;
    if (this.#timer !== undefined) {
      if (!soon || this.#immediate) return;
      clearTimeout(this.#timer as NodeJS.Timeout);
    }
    const wait = soon ? 0 : this.#last + this.#interval - performance.now();
    const run = () => {
      this.#timer = undefined;
      // A store closed since (its owner is done with the run) has nothing to take.
      if (this.#options.log.open === false) return;
      try {
        this.commitNow();
      } catch {
        // Reported through onError; the next change tries again.
      }
    };
    this.#immediate = wait <= 0;
    this.#timer = wait > 0 ? setTimeout(run, wait) : setImmediate(run);
  }

  /** Commits now (a human command waits for this before it is acknowledged); throws if it fails. */
  commitNow(): void {
    if (this.#stopped) return;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer as NodeJS.Timeout);
      clearImmediate(this.#timer as NodeJS.Immediate);
      this.#timer = undefined;
    }
    this.#dirty = false;
    this.#last = performance.now();
    try {
      crashPoint('commit.before');
      this.#options.log.commit(this.#options.snapshot(), this.#options.progress(), this.#options.parts);
      crashPoint('commit.after');
      this.#commits += 1;
    } catch (error) {
      this.#dirty = true;
      this.#options.onError(error);
      throw error;
    }
  }

  /** The last commit, then no more. */
  stop(): void {
    if (this.#dirty || this.#options.log.dirty) {
      try {
        this.commitNow();
      } catch {
        // Reported through onError.
      }
    }
    this.#stopped = true;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer as NodeJS.Timeout);
      clearImmediate(this.#timer as NodeJS.Immediate);
      this.#timer = undefined;
    }
  }
}
