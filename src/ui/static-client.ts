import type {
  ActorKind,
  ActorView,
  Command,
  CommandReply,
  CommandTarget,
  PastSnapshot,
  RunsReply,
  SessionInfo,
  SnapshotReply,
  TestPathsReply,
  TestRunEvent,
  TimelineEntry,
} from '../protocol/wire.js';
import type { ClutchClient, ConnectionState } from './client.js';
import { RemoteActors } from './remote-actors.js';
import { Store } from './store.js';
import { TimelineLog } from './timeline-log.js';

/** A frozen moment of a run, as the server would have pushed it: for developing and testing the UI. */
export interface Fixture {
  hello: SessionInfo;
  actors: ActorView[];
  /** The inspector's timeline, and the snapshots its entries left (time travel). */
  timeline?: TimelineEntry[];
  snapshots?: PastSnapshot[];
}

export interface StaticClient extends ClutchClient {
  /** Every command the UI tried to send, in order. */
  readonly sent: { target: CommandTarget; command: Command }[];
}

/**
 * The same interface as the socket client, served from a fixture. Commands are recorded and
 * refused: there is no engine behind it to change anything.
 */
export function createStaticClient(fixture: Fixture, source = 'fixture'): StaticClient {
  const actors = new RemoteActors();
  actors.apply(fixture.actors, []);
  const timeline = new TimelineLog();
  timeline.apply(fixture.timeline ?? []);
  const sent: { target: CommandTarget; command: Command }[] = [];
  let nextId = 1;
  return {
    session: new Store<SessionInfo | null>(fixture.hello),
    connection: new Store<ConnectionState>({ state: 'static', source }),
    serverError: new Store<string | null>(null),
    actors,
    timeline,
    sent,
    snapshotAt(actor: string, seq: number): Promise<SnapshotReply> {
      const id = `p${nextId++}`;
      const snapshot = fixture.snapshots?.find((candidate) => candidate.actor === actor && candidate.seq === seq);
      return Promise.resolve(snapshot ? { id, ok: true, snapshot } : { id, ok: false, error: `the fixture has no snapshot after event ${seq} of ${actor}` });
    },
    testPaths(machine: ActorKind): Promise<TestPathsReply> {
      return Promise.resolve({ id: `p${nextId++}`, ok: false, machine, error: 'static fixture: no server to generate test paths' });
    },
    runTestPath(_machine: ActorKind, _path: string, onEvent: (event: TestRunEvent) => void): void {
      onEvent({ id: `p${nextId++}`, kind: 'refused', error: 'static fixture: no engine to run a path on' });
    },
    runs(): Promise<RunsReply> {
      return Promise.resolve({ id: `p${nextId++}`, ok: false, error: 'static fixture: no run store to list' });
    },
    openRun(): Promise<CommandReply> {
      return Promise.resolve({ id: `p${nextId++}`, ok: false, error: 'static fixture: no server to open a run' });
    },
    send(target: CommandTarget, command: Command): Promise<CommandReply> {
      sent.push({ target, command });
      return Promise.resolve({ id: `s${nextId++}`, ok: false, error: 'static fixture: no engine to send to' });
    },
    close(): void {},
  };
}
