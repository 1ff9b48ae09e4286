import type { Engine } from '../actors/engine.js';
import { type CallMessage, type CallName, type CallValue, type ClientMessage, type Reply } from '../protocol/wire.js';
import type { ClientFeed } from './client-feed.js';
import { editsOf } from './edit-history.js';
import { errorMessage, type RunHost } from './run-host.js';
import type { TestPaths } from './test-paths.js';
import type { Timeline } from './timeline.js';

/**
 * Calls of one type a client may have in flight or waiting in its next batch; more are refused at
 * once. These are the calls whose answers are big (a whole path list, a past context, a list read
 * from disk) or slow: a client that asks faster than it reads gets refusals, not the server's memory.
 * Every other call is bounded by the client's backlog (see Hub, maxBacklog).
 */
export const PENDING_LIMITS: Partial<Record<CallName, { max: number; what: string }>> = {
  snapshotAt: { max: 32, what: 'snapshot' },
  testPaths: { max: 8, what: 'testPaths' },
  runs: { max: 4, what: 'runs' },
  openRun: { max: 4, what: 'openRun' },
  tracks: { max: 4, what: 'tracks' },
  startRun: { max: 4, what: 'startRun' },
  startRequest: { max: 4, what: 'startRequest' },
  edits: { max: 8, what: 'edits' },
  diff: { max: 4, what: 'diff' },
};

/** The refusal of a call that came while the client had this many calls unanswered. */
export function refuseExcess(id: string, backlog: number): Reply {
  return { id, ok: false, error: `too many calls waiting for their replies (${backlog}): read the replies before sending more; nothing was done` };
}

/** How a call ends. `afterReply` runs once the reply is queued (the run switch, which closes the socket). */
export type Outcome<Value> = { ok: true; value: Value; afterReply?: () => void } | { ok: false; error: string };

const refuse = (error: string): { ok: false; error: string } => ({ ok: false, error });

/** A new run got ready: the reply names it, then (once the reply is on its way) the switch. */
function switched(hub: CallContext, started: { run: string; activate: () => void }): Outcome<{ run: string }> {
  return {
    ok: true,
    value: { run: started.run },
    afterReply: () => {
      hub.flushNow();
      started.activate();
    },
  };
}

/** What the calls reach of the hub. */
export interface CallContext {
  readonly engine: Engine;
  readonly runId: string;
  /** Whether an id names a ticket of the run, or one of its helper agents (`T2@review`) or the planner's (`@plan`). */
  knows(id: string): boolean;
  readonly timeline: Timeline;
  readonly testPaths: TestPaths;
  readonly runs: RunHost | undefined;
  /** Queues a batch for the next interval (progress was added to a feed). */
  schedule(): void;
  /** Sends what is owed to every client now, whatever the interval (before their sockets close). */
  flushNow(): void;
  /** Tells the client of a failure that is no reply's (its call was answered already). */
  error(feed: ClientFeed, error: string): void;
}

type Handler<Name extends CallName> = (call: CallMessage<Name>, feed: ClientFeed, hub: CallContext) => Outcome<CallValue<Name>> | Promise<Outcome<CallValue<Name>>>;

const handlers: { [Name in CallName]: Handler<Name> } = {
  command({ id, target, command }, _feed, hub) {
    if ((target.kind === 'ticket' || target.kind === 'worker') && !hub.knows(target.id)) return refuse(`there is no ticket ${target.id} in this track`);
    // True only once the command is committed to the run store: only then is it acknowledged.
    const outcome = hub.engine.send(target, command, { requestId: id });
    return outcome.ok ? { ok: true, value: null } : refuse(outcome.error);
  },

  snapshotAt({ actor, seq }, _feed, hub) {
    const snapshot = hub.timeline.snapshotAt(actor, seq);
    return snapshot ? { ok: true, value: snapshot } : refuse(`the snapshot after event ${seq} of ${actor} is no longer kept`);
  },

  async testPaths({ machine }, _feed, hub) {
    // Generated off the event loop; the answer goes out in whichever batch follows it.
    const list = await hub.testPaths.list(machine);
    return list.ok ? { ok: true, value: { machine, paths: list.paths, candidates: list.candidates } } : refuse(list.error);
  },

  runTestPath({ id, machine, path }, feed, hub) {
    if (feed.testRun !== null) return refuse(`a test path run (${feed.testRun}) is in progress; wait for it to finish`);
    feed.testRun = id;
    return new Promise((resolve) => {
      // Steps stream through the batches, so a fast run still sends at most one message an interval.
      hub.testPaths.run(machine, path, (event) => {
        if (event.kind === 'started' || event.kind === 'step') {
          feed.progress({ id, ...event });
          hub.schedule();
          return;
        }
        feed.testRun = null;
        if (event.kind === 'refused') return resolve(refuse(event.error));
        const { ok, passed, failed, skipped, ms } = event;
        resolve({ ok: true, value: { ok, passed, failed, skipped, ms } });
      });
    });
  },

  runs(_call, _feed, hub) {
    if (!hub.runs) return refuse('this server has no run store to list');
    try {
      return { ok: true, value: { current: hub.runId, runs: hub.runs.list() } };
    } catch (error) {
      // The store says why it cannot list (a corrupt file, say): a reason a person can act on.
      return refuse(errorMessage(error));
    }
  },

  /**
   * Opening the run already open changes nothing. Any other run is got ready while the current one
   * goes on, so a refusal leaves it exactly as it was; on success the reply goes out first, and only
   * then does the server switch (and close this socket).
   */
  async openRun({ run }, _feed, hub) {
    if (run === hub.runId) return { ok: true, value: null };
    if (!hub.runs) return refuse('this server cannot open another run');
    const activate = await hub.runs.open(run);
    return {
      ok: true,
      value: null,
      afterReply: () => {
        hub.flushNow();
        activate();
      },
    };
  },

  async tracks(_call, _feed, hub) {
    if (!hub.runs) return refuse('this server has no workspace to list track files from');
    return { ok: true, value: await hub.runs.tracks() };
  },

  /** As openRun: the new run is got ready while this one goes on; the reply names it, then the switch. */
  async startRun(params, _feed, hub) {
    if (!hub.runs) return refuse('this server cannot start a run');
    return switched(hub, await hub.runs.start(params));
  },

  async startRequest(params, _feed, hub) {
    if (!hub.runs) return refuse('this server cannot start a run');
    return switched(hub, await hub.runs.startRequest(params));
  },

  edits({ ticket }, _feed, hub) {
    if (!hub.knows(ticket)) return refuse(`there is no ticket ${ticket} in this track`);
    return { ok: true, value: editsOf(hub.engine, ticket) };
  },

  async diff({ ticket }, _feed, hub) {
    if (ticket !== undefined && !hub.engine.hasTicket(ticket)) return refuse(`there is no ticket ${ticket} in this track`);
    if (hub.engine.isolation !== 'worktree') return refuse('this run has no per-ticket diffs: its tickets share one workspace (agents.toml [execution] isolation = "shared")');
    const diff = ticket === undefined ? await hub.engine.runDiff() : await hub.engine.ticketDiff(ticket);
    if (!diff) return refuse('no diff is available for this run');
    return { ok: true, value: { ticket: ticket ?? null, ...diff } };
  },
};

/**
 * Answers one call with exactly one reply: at once for a handler that knows, once settled for one
 * that waits. Nothing here ends the connection or the engine: a throw is a Clutch bug, refused as an
 * internal error; a rejection (a run store that cannot open a run) is refused with its reason.
 */
export function answerCall(call: ClientMessage, feed: ClientFeed, hub: CallContext): void {
  const reply = (outcome: Outcome<unknown>) => {
    feed.reply(call.type, outcome.ok ? { id: call.id, ok: true, value: outcome.value } : { id: call.id, ok: false, error: outcome.error });
    hub.schedule();
    if (!outcome.ok || !outcome.afterReply) return;
    try {
      outcome.afterReply();
    } catch (error) {
      // A Clutch bug past the reply: said once, outside it, and it must not end the process.
      hub.error(feed, `internal error after the reply to ${call.id}: ${errorMessage(error)}`);
    }
  };
  let outcome: Outcome<unknown> | Promise<Outcome<unknown>>;
  const limit = PENDING_LIMITS[call.type];
  // The hub counted this call already (ClientFeed.begin): past the limit, it is the one too many.
  if (limit && feed.pending(call.type) > limit.max) return reply(refuse(`too many ${limit.what} requests at once`));
  try {
    outcome = (handlers[call.type] as Handler<CallName>)(call as CallMessage<CallName>, feed, hub);
  } catch (error) {
    outcome = refuse(`internal error: ${errorMessage(error)}`);
  }
  if (!(outcome instanceof Promise)) return reply(outcome);
  void outcome.then(reply, (error: unknown) => reply(refuse(errorMessage(error))));
}
