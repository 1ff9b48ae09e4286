import type { ActorView, CallName, CallParams, CallValue, Command, CommandTarget, DiffView, PastSnapshot, SessionInfo, TimelineEntry } from '../protocol/wire.js';
import type { Call, ClutchClient, ConnectionState } from './client.js';
import { JournalLog } from './journal-log.js';
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
  /** Journal entries, as the first batch's tail would carry them (the activity feed). */
  journal?: unknown[];
  /** What the `diff` call answers: the run's whole diff and each ticket's (a ticket not listed has no change yet). */
  diffs?: { run?: FixtureDiff; tickets?: Record<string, FixtureDiff> };
}

/** A diff as the fixture keeps it: the call adds which ticket it is for. */
export type FixtureDiff = Omit<DiffView, 'ticket'>;

/** The answer for a ticket with no worktree yet, as the engine gives it. */
const noChange: FixtureDiff = { patch: '', files: [], base: null, head: null, truncated: false };

/** The server's refusal of `diff` when the run's tickets share one workspace. */
export const SHARED_DIFF_REFUSAL = 'this run has no per-ticket diffs: its tickets share one workspace (agents.toml [execution] isolation = "shared")';

export interface StaticClient extends ClutchClient {
  /** Every command the UI tried to send, in order. */
  readonly sent: { target: CommandTarget; command: Command }[];
}

type Answer<Name extends CallName> = { ok: true; value: CallValue<Name> } | { ok: false; error: string };

/**
 * The same interface as the socket client, served from a fixture. Time travel answers from the
 * fixture's snapshots; commands are recorded and refused: there is no engine behind it to change anything.
 */
export function createStaticClient(fixture: Fixture, source = 'fixture'): StaticClient {
  const actors = new RemoteActors();
  actors.apply(fixture.actors, []);
  const timeline = new TimelineLog();
  timeline.apply(fixture.timeline ?? []);
  const journal = new JournalLog();
  journal.apply(fixture.journal ?? []);
  const sent: { target: CommandTarget; command: Command }[] = [];
  const answers: { [Name in CallName]: (params: CallParams<Name>) => Answer<Name> } = {
    command(params) {
      sent.push(params);
      return { ok: false, error: 'static fixture: no engine to send to' };
    },
    snapshotAt({ actor, seq }) {
      const snapshot = fixture.snapshots?.find((candidate) => candidate.actor === actor && candidate.seq === seq);
      return snapshot ? { ok: true, value: snapshot } : { ok: false, error: `the fixture has no snapshot after event ${seq} of ${actor}` };
    },
    testPaths: () => ({ ok: false, error: 'static fixture: no server to generate test paths' }),
    runTestPath: () => ({ ok: false, error: 'static fixture: no engine to run a path on' }),
    runs: () => ({ ok: false, error: 'static fixture: no run store to list' }),
    openRun: () => ({ ok: false, error: 'static fixture: no server to open a run' }),
    tracks: () => ({ ok: false, error: 'static fixture: no server to list track files' }),
    startRun: () => ({ ok: false, error: 'static fixture: no server to start a run' }),
    startRequest: () => ({ ok: false, error: 'static fixture: no server to start a run' }),
    edits: () => ({ ok: false, error: 'static fixture: no journal to read edits from' }),
    diff({ ticket }) {
      if (ticket !== undefined && !fixture.hello.track.tickets.some((entry) => entry.id === ticket)) return { ok: false, error: `there is no ticket ${ticket} in this track` };
      if (fixture.hello.isolation !== 'worktree') return { ok: false, error: SHARED_DIFF_REFUSAL };
      const canned = ticket === undefined ? fixture.diffs?.run : fixture.diffs?.tickets?.[ticket];
      return { ok: true, value: { ticket: ticket ?? null, ...(canned ?? noChange) } };
    },
  };
  let nextId = 1;
  const call: Call = (type, params) => Promise.resolve({ id: `p${nextId++}`, ...answers[type](params) });
  return {
    session: new Store<SessionInfo | null>(fixture.hello),
    connection: new Store<ConnectionState>({ state: 'static', source }),
    serverError: new Store<string | null>(null),
    actors,
    timeline,
    journal,
    sent,
    call,
    close(): void {},
  };
}
