import { renameSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { WorkerEmitted } from '../machines/worker-types.js';
import type { Track } from '../protocol/index.js';
import type { FinishedArchive, FinishedTicket } from './finished-archive.js';
import type { JournalEntry } from './journal.js';

/** How the run records what its workers report: the journal entry for each emitted event. */
export function workerEntry(event: WorkerEmitted, at: number): JournalEntry {
  const base = { at, ticket: event.ticketId, attempt: event.attempt };
  switch (event.type) {
    case 'worker.tool_done':
      return {
        kind: 'tool',
        ...base,
        tool: event.call.name,
        tool_use_id: event.call.id,
        input: event.call.input,
        is_error: event.output.is_error,
        output: event.output.content,
      };
    case 'worker.interrupted':
      return { kind: 'tool.interrupted', ...base, tool: event.call.name, tool_use_id: event.call.id, input: event.call.input };
    case 'worker.edit':
      return { kind: 'edit', ...base, edit: event.edit };
  }
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
