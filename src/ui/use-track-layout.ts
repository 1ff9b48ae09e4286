import { useEffect, useMemo, useState } from 'react';
import type { TicketSummary } from '../protocol/wire.js';
import { layoutTrack, type TrackLayout } from './track-layout.js';

/** ELK layouts by track shape (ids and dependencies): a track's shape never changes while it is served. */
const laid = new Map<string, TrackLayout>();
const laying = new Map<string, Promise<TrackLayout>>();

function shapeOf(tickets: readonly TicketSummary[]): string {
  return JSON.stringify(tickets.map((ticket) => [ticket.id, ticket.dependencies]));
}

function elkLayout(shape: string, tickets: readonly TicketSummary[]): Promise<TrackLayout> {
  let promise = laying.get(shape);
  if (!promise) {
    // ELK is a large chunk: it loads with the first board, after the page has drawn.
    promise = import('./track-layout-elk.js').then(({ layoutTrackElk }) => layoutTrackElk(tickets));
    promise.then((layout) => laid.set(shape, layout), () => laying.delete(shape));
    laying.set(shape, promise);
  }
  return promise;
}

/**
 * The board's layout: ELK's once it is ready (edges routed around the cards), the column layout
 * for the first paint before that, and again should ELK fail (the board still works).
 */
export function useTrackLayout(tickets: readonly TicketSummary[]): TrackLayout {
  const shape = useMemo(() => shapeOf(tickets), [tickets]);
  const columns = useMemo(() => layoutTrack(tickets), [tickets]);
  const [ready, setReady] = useState<{ shape: string; layout: TrackLayout } | null>(null);
  useEffect(() => {
    if (laid.has(shape)) return;
    let current = true;
    elkLayout(shape, tickets).then(
      (layout) => current && setReady({ shape, layout }),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [shape, tickets]);
  return laid.get(shape) ?? (ready?.shape === shape ? ready.layout : columns);
}
