import { useEffect, useMemo, useState } from 'react';
import { activityOf, runningTools, ticketSpans, type ActivityItem, type TicketSpan } from './activity.js';
import { useClient, useStore } from './hooks.js';
import { laterOf } from './run-clock.js';

export interface Activity {
  items: ActivityItem[];
  /** Each ticket's latest stretch of work. */
  spans: Map<string, TicketSpan>;
  /** The call each ticket runs now. */
  running: Map<string, Extract<ActivityItem, { kind: 'tool' }>>;
}

/** The activity feed's reading of the journal rows the server pushed. */
export function useActivity(): Activity {
  const client = useClient();
  const rows = useStore(client.journal.rows);
  return useMemo(() => {
    const items = activityOf(rows);
    const epoch = client.journal.epoch;
    return { items, spans: ticketSpans(rows, epoch), running: runningTools(items, epoch) };
  }, [client, rows]);
}

/**
 * The run clock now (ms since the engine started), read at every render and, while `ticking`, at
 * least once a second, so that running times go up; null before the page has seen any entry.
 */
export function useRunNow(ticking: boolean): number | null {
  const client = useClient();
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!ticking) return;
    const timer = setInterval(() => setTick((tick) => tick + 1), 1000);
    return () => clearInterval(timer);
  }, [ticking]);
  const local = Date.now();
  return laterOf(client.journal.clock.now(local), client.timeline.clock.now(local));
}
