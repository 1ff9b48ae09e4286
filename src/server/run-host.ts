import type { RunListEntry } from '../protocol/wire.js';
import { errorText } from '../protocol/error-text.js';

/**
 * What a hub may ask of the server about the run store: the Runs tab's list, and a switch to
 * another run. The server implements it (startServer's `runs` option); a hub without one refuses
 * both calls (see hub-calls.ts).
 */
export interface RunHost {
  /** Every run of the store, newest first. Throws with a reason a person can act on. */
  list(): RunListEntry[];
  /**
   * Gets a stored run ready to serve in place of the current one. Rejects with the reason it
   * cannot (an unknown id, a changed track, open in another process), and then nothing changed.
   * Resolves with `activate`, which the hub calls once its reply is on the way: it makes the run
   * the served one and closes every socket of the old run.
   */
  open(runId: string): Promise<() => void>;
}

export function errorMessage(error: unknown): string {
  return errorText(error);
}
