import type { RunListEntry } from '../protocol/wire.js';
import type { StartRequestParams, StartRunParams, TrackFileList } from '../protocol/workbench.js';
import { errorText } from '../protocol/error-text.js';

/**
 * What a hub may ask of the server about the run store: the Runs tab's list, a switch to another
 * run, the track files a new run may start from, and a new run. The server implements it
 * (startServer's `runs` option); a hub without one refuses those calls (see hub-calls.ts).
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
  /** The track files of the workspace and of demo/; rejects when the server has none to list. */
  tracks(): Promise<TrackFileList>;
  /**
   * Prepares a new run of a listed track file in the store, its engine started, while the current
   * run goes on. Rejects with the reason it cannot (a path that is not listed, a track with
   * problems), and then nothing was created. Resolves with the new run's id and `activate`, as open.
   */
  start(params: StartRunParams): Promise<{ run: string; activate: () => void }>;
  /** As start, for a run begun from a request (it waits at plan approval once the pm has proposed). */
  startRequest(params: StartRequestParams): Promise<{ run: string; activate: () => void }>;
}

export function errorMessage(error: unknown): string {
  return errorText(error);
}
