import type { CommandReply, OpenRunMessage, RunListEntry, RunsReply } from '../protocol/wire.js';

/**
 * What a hub may ask of the server about the run store: the Runs tab's list, and a switch to
 * another run. The server implements it (startServer's `runs` option); a hub without one refuses
 * both questions.
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
  return error instanceof Error ? error.message : String(error);
}

/** The answer to a `runs` question. */
export function listRuns(host: RunHost | undefined, id: string, current: string): RunsReply {
  if (!host) return { id, ok: false, error: 'this server has no run store to list' };
  try {
    return { id, ok: true, current, runs: host.list() };
  } catch (error) {
    return { id, ok: false, error: errorMessage(error) };
  }
}

/**
 * Answers an `open_run`. Opening the run already open changes nothing. Any other run is got ready
 * while the current one goes on, so a refusal leaves it exactly as it was; on success the reply is
 * sent (beforeSwitch flushes it) and only then does the server switch.
 */
export function openRun(
  host: RunHost | undefined,
  { id, run }: OpenRunMessage,
  current: string,
  io: { reply(reply: CommandReply): void; beforeSwitch(): void },
): void {
  if (run === current) return io.reply({ id, ok: true });
  if (!host) return io.reply({ id, ok: false, error: 'this server cannot open another run' });
  host
    .open(run)
    .then(
      (activate) => {
        io.reply({ id, ok: true });
        io.beforeSwitch();
        activate();
      },
      (error: unknown) => io.reply({ id, ok: false, error: errorMessage(error) }),
    )
    // A throw past this point is a Clutch bug; it must not become an unhandled rejection that ends the process.
    .catch((error: unknown) => io.reply({ id, ok: false, error: `internal error: ${errorMessage(error)}` }));
}
