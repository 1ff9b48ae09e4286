import { renameSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { at, type Chunked } from '../machines/chunked.js';
import { flatPersisted, flatWorkerSnapshot } from '../machines/worker-flat.js';
import type { TicketInfo } from '../machines/schedule.js';
import type { Track } from '../protocol/index.js';
import type { FinishedArchive, FinishedTicket } from './finished-archive.js';
import type { JournalEntry } from './journal.js';

/** The track with each ticket's status, attempts, reason and summary from the conductor's record. */
export function trackAsItStands(track: Track, run: string, tickets: Chunked<TicketInfo>): Track {
  return {
    ...track,
    status: run === 'idle' ? 'pending' : (run as Track['status']),
    tickets: track.tickets.map((ticket, index) => {
      const info = at(tickets, index);
      return {
        ...ticket,
        status: info.status,
        attempts: info.attempts,
        ...(info.blocked_reason ? { blocked_reason: info.blocked_reason } : {}),
        ...(info.summary ? { summary: info.summary } : {}),
        ...(info.skipped ? { skipped: true } : {}),
      };
    }),
  };
}

export interface DebugState {
  written_at: number;
  after_ticket: string | null;
  track: Track;
  snapshots: { conductor: unknown; finished: Record<string, FinishedTicket> };
  journal_tail: JournalEntry[];
}

interface DebugSource {
  elapsed(): number;
  track(): Track;
  conductor: { getPersistedSnapshot(): unknown };
  journal: { tail(): JournalEntry[] };
}

/**
 * Strings longer than this (in UTF-16 code units) are cut in a debug snapshot: a file's content in a
 * tool call, a huge output. The snapshot is for reading what the actors were doing, not for
 * carrying the files they wrote.
 */
export const MAX_DEBUG_STRING = 16 * 1024;

/** What stands at the end of a cut string. */
export function cutMarker(droppedBytes: number): string {
  return `[… ${droppedBytes} bytes cut from the debug state …]`;
}

/**
 * A copy of a JSON-like value with every string longer than `max` cut to its head and a marker
 * saying how many UTF-8 bytes were cut. Parts that need no cut are shared, not copied.
 */
export function capStrings<T>(value: T, max = MAX_DEBUG_STRING): T {
  return capValue(value, max) as T;
}

function capValue(value: unknown, max: number): unknown {
  if (typeof value === 'string') {
    if (value.length <= max) return value;
    let head = value.slice(0, max);
    // Do not keep half of a surrogate pair.
    const last = head.charCodeAt(head.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) head = head.slice(0, -1);
    return head + cutMarker(Buffer.byteLength(value, 'utf8') - Buffer.byteLength(head, 'utf8'));
  }
  if (typeof value !== 'object' || value === null) return value;
  const withJson = value as { toJSON?: unknown };
  if (typeof withJson.toJSON === 'function') return capValue((withJson.toJSON as () => unknown).call(value), max);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, index) => {
      const capped = capValue(item, max);
      if (capped !== item) (copy ??= value.slice())[index] = capped;
    });
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const capped = capValue(item, max);
    if (capped !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = capped;
  }
  return copy ?? value;
}

/**
 * The debug snapshot linear mode writes after each ticket: the track, every actor, the journal
 * tail, with long strings cut (MAX_DEBUG_STRING).
 */
export function debugStateOf(engine: DebugSource, finished: FinishedArchive, afterTicket?: string): DebugState {
  return capStrings(fullDebugStateOf(engine, finished, afterTicket));
}

function fullDebugStateOf(engine: DebugSource, finished: FinishedArchive, afterTicket?: string): DebugState {
  const track = engine.track();
  return {
    written_at: engine.elapsed(),
    after_ticket: afterTicket ?? null,
    track,
    snapshots: {
      // Workers flat, as the views show them (worker-flat.ts).
      conductor: flatPersisted(engine.conductor.getPersistedSnapshot()),
      finished: Object.fromEntries(
        track.tickets.flatMap((ticket) => {
          const snapshots = finished.get(ticket.id);
          if (!snapshots) return [];
          return [[ticket.id, snapshots.worker ? { ...snapshots, worker: flatWorkerSnapshot(snapshots.worker) } : snapshots] as const];
        }),
      ),
    },
    journal_tail: engine.journal.tail(),
  };
}

/** Writes debug_state.json through a temp file and a rename: a kill never leaves half of it. */
export function writeDebugStateFile(runDir: string, configured: string, state: DebugState): string {
  const path = isAbsolute(configured) ? configured : join(runDir, configured);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temp, path);
  return path;
}
