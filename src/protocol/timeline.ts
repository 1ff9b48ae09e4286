/**
 * One event an actor processed, from XState's inspection API, and the state it left the actor in.
 * The server keeps the last ones per actor; the context of that state comes on request (snapshotAt).
 */
export interface TimelineEntry {
  /** Grows by one per entry over the whole run: the order the events were processed in. */
  seq: number;
  /** Milliseconds since the run started, on the engine's clock. */
  at: number;
  /** Key of the actor that processed the event. */
  actor: string;
  /** Who sent it: an actor key, 'worker:T1 › callModel' for an I/O actor, null from outside (a command, the engine). */
  source: string | null;
  event: string;
  /** The same event that many times in a row, leaving the same state (streamed model deltas): one entry. */
  repeat?: number;
  /** The snapshot after the event. */
  status: string;
  value: unknown;
}

/** The snapshot one timeline entry left its actor in (the inspector's time travel). */
export interface PastSnapshot {
  actor: string;
  seq: number;
  status: string;
  value: unknown;
  /** The same projection of the context as the actor's view carries. */
  context: unknown;
}
