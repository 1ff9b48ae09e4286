import type { Engine } from '../actors/engine.js';
import type { RunLog } from '../store/index.js';
import type { EditEntry } from '../protocol/workbench.js';

/** The most edits one answer carries, the newest; a view carries fewer still (see views.ts). */
export const MAX_EDITS_ANSWERED = 200;
/** About the most bytes of edits one answer carries: an edit of a big file holds it twice. */
export const MAX_EDITS_BYTES = 4 * 1024 * 1024;

type EditRow = { kind: 'edit'; at: number; ticket: string; attempt: number; edit: unknown };

/**
 * Every human edit of one ticket (all attempts), oldest first, from the journal: the committed rows
 * of the run store, and the rows not committed yet from the journal's tail in memory (all a run
 * without a store has). Bounded to the newest MAX_EDITS_ANSWERED, and about MAX_EDITS_BYTES; the
 * newest one always goes, whatever its size.
 */
export function editsOf(engine: Engine, ticket: string): EditEntry[] {
  const rows = new Map<number, EditRow>();
  if (engine.options.log) for (const [seq, row] of committedEdits(engine.options.log, ticket)) rows.set(seq, row);
  // The journal counts every row, so the tail's rows have the seqs the store gives them.
  const tail = engine.journal.tail();
  const first = engine.journal.count - tail.length + 1;
  tail.forEach((entry, index) => {
    if (entry.kind === 'edit' && entry.ticket === ticket) rows.set(first + index, entry);
  });
  const newestFirst = [...rows].sort(([a], [b]) => b - a);
  const answer: EditEntry[] = [];
  let bytes = 0;
  for (const [seq, row] of newestFirst) {
    if (answer.length >= MAX_EDITS_ANSWERED) break;
    const entry = editEntry(seq, row);
    bytes += JSON.stringify(entry).length;
    if (answer.length > 0 && bytes > MAX_EDITS_BYTES) break;
    answer.push(entry);
  }
  return answer.reverse();
}

/** The newest committed edit rows of the ticket, by seq. */
function committedEdits(log: RunLog, ticket: string): [number, EditRow][] {
  const { store } = log;
  const rows = store.guard(
    () =>
      store.db
        .prepare("SELECT seq, entry FROM journal WHERE run_id = ? AND kind = 'edit' AND json_extract(entry, '$.ticket') = ? ORDER BY seq DESC LIMIT ?")
        .all(log.runId, ticket, MAX_EDITS_ANSWERED) as { seq: number; entry: string }[],
  );
  return rows.map((row) => [row.seq, JSON.parse(row.entry) as EditRow]);
}

const editKinds: ReadonlySet<string> = new Set(['edit_payload', 'edit_message', 'edit_result']);

/** The journal's edit record as the contract names its fields. */
function editEntry(seq: number, row: EditRow): EditEntry {
  const edit = (typeof row.edit === 'object' && row.edit !== null ? row.edit : {}) as Record<string, unknown>;
  const kind = typeof edit['kind'] === 'string' && editKinds.has(edit['kind']) ? (edit['kind'] as EditEntry['kind']) : 'edit_payload';
  return {
    seq,
    attempt: row.attempt,
    at: row.at,
    kind,
    accepted: edit['accepted'] === true,
    ...(typeof edit['toolUseId'] === 'string' ? { tool_use_id: edit['toolUseId'] } : {}),
    original: edit['original'] ?? null,
    replacement: edit['replacement'] ?? null,
    ...(typeof edit['reason'] === 'string' ? { reason: edit['reason'] } : {}),
  };
}
