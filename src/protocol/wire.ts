import type { ActorKind } from './actor-keys.js';
import type { ActorView } from './actor-view.js';
import type { Command, CommandTarget } from './commands.js';
import type { RunList } from './run-list.js';
import type { SessionInfo } from './session-info.js';
import type { TestPathList, TestRunProgress, TestRunSummary } from './test-paths.js';
import type { PastSnapshot, TimelineEntry } from './timeline.js';
import type { EditEntry, StartRequestParams, StartRunParams, TrackFileList } from './workbench.js';

/*
 * The whole socket contract between the web app and `clutch serve`: the calls a client makes and
 * the events the server pushes. The UI never owns state: it renders the views the server pushes,
 * and a command the engine would not accept now is refused there, changing nothing.
 */

/**
 * Client → server. A call is one message, `{ type: name, id, ...params }`, answered by exactly one
 * Reply under its id, carrying what the method returns here.
 */
export interface ClientCalls {
  /** Sends a command to one actor. Ok only once the engine took it and committed it to the run store. */
  command(params: { target: CommandTarget; command: Command }): null;
  /** The snapshot one timeline entry left its actor in, with its context (the inspector's time travel). */
  snapshotAt(params: { actor: string; seq: number }): PastSnapshot;
  /** The generated test paths of a machine (the inspector's "Test paths"). */
  testPaths(params: { machine: ActorKind }): TestPathList;
  /** Runs one path on a fresh engine in a temp workspace; its steps stream as `test_runs` before the reply. */
  runTestPath(params: { machine: ActorKind; path: string }): TestRunSummary;
  /** The runs of the server's store (the Runs tab). */
  runs(params: NoParams): RunList;
  /** Switches the server to a stored run: the ok reply goes out, then every socket closes with RUN_SWITCH_CLOSE. */
  openRun(params: { run: string }): null;
  /** The track files a new run may start from: the workspace's and demo/'s. */
  tracks(params: NoParams): TrackFileList;
  /**
   * Starts a new run of a track file (a new run in the store, its own workspace copy), then switches
   * to it as openRun does: the ok reply carries its id, then every socket closes with RUN_SWITCH_CLOSE.
   */
  startRun(params: StartRunParams): { run: string };
  /**
   * Starts a new run from a request, on the workspace of the run served: the planner proposes its
   * track, which waits at plan approval in the new run. Then the switch, as startRun.
   */
  startRequest(params: StartRequestParams): { run: string };
  /** Every human edit of one ticket (all attempts) from the journal, oldest first: the originals beside the edits. */
  edits(params: { ticket: string }): EditEntry[];
  /**
   * A change as a unified diff: one ticket's (its worktree branch, with what is not committed yet,
   * against the commit it started from), or, without a ticket, the whole run's (the integration
   * branch against the starting workspace). Refused under shared isolation: there is no branch.
   */
  diff(params: { ticket?: string }): DiffView;
}

export interface DiffView {
  /** The ticket, or null for the run's whole diff. */
  ticket: string | null;
  patch: string;
  files: { path: string; status: string }[];
  base: string | null;
  head: string | null;
  truncated: boolean;
}

/** Server → client, in this order on every connection: hello, then batches; error at any time. */
export interface ServerEvents {
  /** The run served. The first batch after it carries the whole state. */
  hello: { session: SessionInfo };
  /** What changed since the last batch: at most one per interval (about 30 a second) per client. */
  batch: Batch;
  /** A message too broken to reply to: not JSON, too large, or without an id. */
  error: { error: string };
}

export interface Batch {
  /** 1 for the first batch after hello, then one more per batch. */
  seq: number;
  /** The views of the actors that changed, one per actor however often it changed (all of them in the first batch). */
  actors: ActorView[];
  /** Keys whose actor is gone (a finished ticket's view stays; this is for replaced workers). */
  removed: string[];
  /** New journal entries since the last batch (the tail, in the first). */
  journal: unknown[];
  /** Timeline entries new or changed since the last batch, by seq (a repeat updates its entry); the tail in the first. */
  timeline: TimelineEntry[];
  /** Progress of runTestPath calls, in order, under the call's id. Before the replies, so a run's reply comes last. */
  test_runs: TestRunProgress[];
  /** Replies to this client's calls. After the views, so a reply's handler reads the state the call produced. */
  replies: Reply[];
}

export type NoParams = Record<never, never>;
export type CallName = keyof ClientCalls;
export type CallParams<Name extends CallName> = Parameters<ClientCalls[Name]>[0];
export type CallValue<Name extends CallName> = ReturnType<ClientCalls[Name]>;
export type CallMessage<Name extends CallName> = { type: Name; id: string } & CallParams<Name>;
/** Everything a client may send. */
export type ClientMessage = { [Name in CallName]: CallMessage<Name> }[CallName];

/** The one answer to a call. */
export type Reply<Value = unknown> = { id: string; ok: true; value: Value } | { id: string; ok: false; error: string };

/** Everything the server sends. */
export type ServerMessage = { [Type in keyof ServerEvents]: { type: Type } & ServerEvents[Type] }[keyof ServerEvents];
export type BatchMessage = Extract<ServerMessage, { type: 'batch' }>;

/**
 * The close code of every socket when the server switches to another run: the client reconnects
 * at once and gets the new run's hello. (4000-4999 are the codes left to applications.)
 */
export const RUN_SWITCH_CLOSE = 4001;

export * from './actor-keys.js';
export * from './actor-view.js';
export * from './commands.js';
export * from './run-list.js';
export * from './session-info.js';
export * from './test-paths.js';
export * from './timeline.js';
