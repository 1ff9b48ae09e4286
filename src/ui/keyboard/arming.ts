import { useEffect } from 'react';
import type { PauseRef } from '../../protocol/index.js';
import { useStore } from '../hooks.js';
import { Store } from '../store.js';

/**
 * How long a pause must have been on screen before an answer counts as given to it. Two clicks
 * 400 ms apart land the second on whatever replaced the first pause in the same spot; that click
 * was meant for what the human saw, not for the pause that appeared under the pointer.
 */
export const ARM_MS = 600;

/** A pause shown in one spot of the page (the worker panel, an inbox row) long enough to be answered. */
export interface ShownPause {
  ticket: string;
  ref: PauseRef;
  key: string;
}

export const pauseKey = (ticket: string, ref: PauseRef) => `${ticket}|${ref.kind}|${ref.tool_use_id}`;

/** The pause last armed in each spot: the one an answer given there was aimed at. */
export const armedSpots = new Store<ReadonlyMap<string, ShownPause>>(new Map());

function arm(spot: string, shown: ShownPause): void {
  const next = new Map(armedSpots.getSnapshot());
  next.set(spot, shown);
  armedSpots.set(next);
}

/**
 * What an answer given in this spot now names:
 * - armed: the pause shown (at once when the spot showed nothing before on this page: nothing was
 *   replaced under the pointer);
 * - just appeared where the same worker's earlier pause was: that earlier pause, which the human
 *   saw; the engine refuses it (it has gone) and says so, and nothing is done;
 * - just appeared and nothing of this worker was there before: nothing is sent, with why.
 */
export type Arming = { armed: true; ref: PauseRef } | { armed: false; ref: PauseRef; stale: true } | { armed: false; ref: null; note: string };

export function armingOf(spots: ReadonlyMap<string, ShownPause>, spot: string, ticket: string, ref: PauseRef): Arming {
  const last = spots.get(spot);
  if (!last || last.key === pauseKey(ticket, ref)) return { armed: true, ref };
  if (last && last.ticket === ticket) return { armed: false, ref: last.ref, stale: true };
  return { armed: false, ref: null, note: `Not sent: ${ticket}'s pause appeared here just now. Nothing was done; read it, then answer.` };
}

/** Arms the pause shown in a spot once it has been there ARM_MS (at once in a spot that showed nothing yet); until then answers are aimed at what was there before. */
export function useArming(spot: string, ticket: string, ref: PauseRef): Arming {
  const spots = useStore(armedSpots);
  const key = pauseKey(ticket, ref);
  const arming = armingOf(spots, spot, ticket, ref);
  const { kind, tool_use_id: id } = ref;
  useEffect(() => {
    const last = armedSpots.getSnapshot().get(spot);
    if (last?.key === key) return;
    const shown = { ticket, ref: { kind, tool_use_id: id }, key };
    if (!last) return arm(spot, shown);
    const timer = setTimeout(() => arm(spot, shown), ARM_MS);
    return () => clearTimeout(timer);
  }, [spot, key, ticket, kind, id]);
  return arming;
}

/** A new run: nothing shown before means anything there. */
export function resetArming(): void {
  armedSpots.set(new Map());
}

/** What a control in the spot sends: the pause its answer names, or why it sends nothing. */
export function aimOf(arming: Arming, shown: PauseRef): { at: PauseRef; notSent: string | null } {
  return { at: arming.ref ?? shown, notSent: arming.armed || arming.ref !== null ? null : arming.note };
}
