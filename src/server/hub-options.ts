import type { ClientFeed } from './client-feed.js';
import type { Clock } from './clock.js';
import type { RunHost } from './run-host.js';
import type { TestPaths } from './test-paths.js';
import type { Timeline } from './timeline.js';

export interface HubOptions {
  /** Shortest time between two batches, in milliseconds (default 33: about 30 messages a second). */
  intervalMs?: number;
  clock?: Clock;
  maxMessageBytes?: number;
  /** A client with more than this many bytes unsent is skipped until it drains (default 8 MiB). */
  highWaterBytes?: number;
  /** Journal entries kept for a client that lags behind; older ones are dropped (default 1000). */
  journalBacklog?: number;
  /** Whose secret values never leave in a message (process.env by default). */
  env?: Record<string, string | undefined>;
  /** The inspection timeline to push (the engine's own, timelineOf(engine), by default). */
  timeline?: Timeline;
  /** Timeline entries kept for a client that lags behind; older ones are dropped (default 2000). */
  timelineBacklog?: number;
  /** The inspector's test paths (a new TestPaths, whose thread starts on first use, by default). */
  testPaths?: TestPaths;
  /** The run store's runs, and the switch to another one; without it `runs` and `openRun` are refused. */
  runs?: RunHost;
  /** About the most one batch holds; what does not fit goes in the next one (default 16 MiB). */
  maxBatchBytes?: number;
  /**
   * Calls of one client not answered on the wire yet at which the hub stops reading its frames
   * (default 256); at four times it, calls that still come are refused unread.
   */
  maxBacklog?: number;
}

/** The sizes of one client's queues (see ClientFeed.sizes). */
export type ClientQueues = ReturnType<ClientFeed['sizes']> & { paused: boolean };
