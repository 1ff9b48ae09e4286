import { renameSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { at, type Chunked } from '../machines/chunked.js';
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

/** The debug snapshot linear mode writes after each ticket: the track, every actor, the journal tail. */
export function debugStateOf(engine: DebugSource, finished: FinishedArchive, afterTicket?: string): DebugState {
  const track = engine.track();
  return {
    written_at: engine.elapsed(),
    after_ticket: afterTicket ?? null,
    track,
    snapshots: {
      conductor: engine.conductor.getPersistedSnapshot(),
      finished: Object.fromEntries(
        track.tickets.flatMap((ticket) => {
          const snapshots = finished.get(ticket.id);
          return snapshots ? [[ticket.id, snapshots] as const] : [];
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
