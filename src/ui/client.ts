import type { CallName, CallParams, CallValue, Reply, SessionInfo, TestRunProgress } from '../protocol/wire.js';
import type { JournalLog } from './journal-log.js';
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
 * Makes one of the calls of ClientCalls (protocol/wire.ts) and resolves with its one reply. It
 * never rejects: no connection, a lost one, or a closed client is a refusal with the reason.
 * `onProgress` gets a runTestPath's steps as they stream, before the reply.
 */
export type Call = <Name extends CallName>(type: Name, params: CallParams<Name>, onProgress?: (event: TestRunProgress) => void) => Promise<Reply<CallValue<Name>>>;

/**
 * What the app needs from the engine, whether it comes over the socket or from a JSON fixture:
 * stores to render from, and one way to call the server. Nothing here holds engine state of its own.
 */
export interface ClutchClient {
  readonly session: Store<SessionInfo | null>;
  readonly connection: Store<ConnectionState>;
  /** The last error message the server sent outside a reply. */
  readonly serverError: Store<string | null>;
  readonly actors: RemoteActors;
  /** The inspection timeline: the events each actor processed. */
  readonly timeline: TimelineLog;
  /** The run's journal entries from the batches (the activity feed). */
  readonly journal: JournalLog;
  readonly call: Call;
  close(): void;
}
