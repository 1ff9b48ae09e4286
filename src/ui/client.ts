import type { ActorKind, Command, CommandReply, CommandTarget, RunsReply, SessionInfo, SnapshotReply, TestPathsReply, TestRunEvent } from '../protocol/wire.js';
import type { RemoteActors } from './remote-actors.js';
import type { Store } from './store.js';
import type { TimelineLog } from './timeline-log.js';

export type ConnectionState =
  | { state: 'connecting' }
  | { state: 'open' }
  | { state: 'reconnecting'; attempt: number }
  /** The server switched to another run and closed the socket; the client is reconnecting into it. */
  | { state: 'switching' }
  | { state: 'static'; source: string };

/**
 * What the app needs from the engine, whether it comes over the socket or from a JSON fixture:
 * stores to render from and one way to send a command. Nothing here holds engine state of its own.
 */
export interface ClutchClient {
  readonly session: Store<SessionInfo | null>;
  readonly connection: Store<ConnectionState>;
  /** The last error message the server sent outside a command reply. */
  readonly serverError: Store<string | null>;
  readonly actors: RemoteActors;
  /** The inspection timeline: the events each actor processed. */
  readonly timeline: TimelineLog;
  send(target: CommandTarget, command: Command): Promise<CommandReply>;
  /** The snapshot (with its context) one timeline entry left its actor in: the inspector's time travel. */
  snapshotAt(actor: string, seq: number): Promise<SnapshotReply>;
  /** The generated test paths of a machine (the inspector's "Test paths"). */
  testPaths(machine: ActorKind): Promise<TestPathsReply>;
  /** Runs one path on a fresh engine in the server; `onEvent` gets its progress in order, ending with finished or refused. */
  runTestPath(machine: ActorKind, path: string, onEvent: (event: TestRunEvent) => void): void;
  /** The runs of the server's store, newest first, and which one it has open (the Runs tab). */
  runs(): Promise<RunsReply>;
  /**
   * Asks the server to switch to a stored run. An ok reply is followed by the socket closing and
   * the client reconnecting into that run (a new session); a refusal changes nothing.
   */
  openRun(run: string): Promise<CommandReply>;
  close(): void;
}
