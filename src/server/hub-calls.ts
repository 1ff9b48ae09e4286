import type { Engine } from '../actors/engine.js';
import { commandKey, targetKey, type CallMessage, type CallName, type CallValue, type ClientMessage } from '../protocol/wire.js';
import type { ClientFeed } from './client-feed.js';
import { errorMessage, type RunHost } from './run-host.js';
import type { TestPaths } from './test-paths.js';
import type { Timeline } from './timeline.js';

/** Past snapshots asked for and not sent yet, per client; more are refused. */
const MAX_PENDING_SNAPSHOTS = 32;

/** How a call ends. `afterReply` runs once the reply is queued (the run switch, which closes the socket). */
export type Outcome<Value> = { ok: true; value: Value; afterReply?: () => void } | { ok: false; error: string };

const refuse = (error: string): { ok: false; error: string } => ({ ok: false, error });

/** What the calls reach of the hub. */
export interface CallContext {
  readonly engine: Engine;
  readonly runId: string;
  readonly ticketIds: ReadonlySet<string>;
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
    if (target.kind !== 'conductor' && !hub.ticketIds.has(target.id)) return refuse(`there is no ticket ${target.id} in this track`);
    // True only once the command is committed to the run store: only then is it acknowledged.
    const accepted = hub.engine.command(target, command, { requestId: id });
    return accepted ? { ok: true, value: null } : refuse(`${targetKey(target)} does not accept ${commandKey(command)} now`);
  },

  snapshotAt({ actor, seq }, feed, hub) {
    // Answers wait for the next batch; a client that asks faster than it reads gets refusals, not memory.
    if (feed.owed('snapshotAt') >= MAX_PENDING_SNAPSHOTS) return refuse('too many snapshot requests at once');
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
  try {
    outcome = (handlers[call.type] as Handler<CallName>)(call as CallMessage<CallName>, feed, hub);
  } catch (error) {
    outcome = refuse(`internal error: ${errorMessage(error)}`);
  }
  if (!(outcome instanceof Promise)) return reply(outcome);
  void outcome.then(reply, (error: unknown) => reply(refuse(errorMessage(error))));
}
