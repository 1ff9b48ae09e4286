import type { ActorKind, Command, CommandReply, CommandTarget, SessionInfo, SnapshotReply, TestPathsReply, TestRunEvent } from '../protocol/wire.js';
import type { RemoteActors } from './remote-actors.js';
import type { Store } from './store.js';
import type { TimelineLog } from './timeline-log.js';

export type ConnectionState =
  | { state: 'connecting' }
  | { state: 'open' }
  | { state: 'reconnecting'; attempt: number }
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
  close(): void;
}
