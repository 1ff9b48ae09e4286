import type Database from 'better-sqlite3';

/** PRAGMA user_version of a store this code writes; an older one is migrated, a newer one refused. */
export const SCHEMA_VERSION = 3;

const v1 = `
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  track_id TEXT NOT NULL,
  track_title TEXT NOT NULL,
  track_path TEXT NOT NULL,
  track_hash TEXT NOT NULL,
  config_path TEXT NOT NULL,
  config_hash TEXT NOT NULL,
  source_workspace TEXT NOT NULL,
  run_dir TEXT NOT NULL,
  workspace TEXT NOT NULL,
  options TEXT NOT NULL,
  status TEXT NOT NULL,
  tickets_total INTEGER NOT NULL,
  tickets_completed INTEGER NOT NULL DEFAULT 0,
  owner_pid INTEGER,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL
);
-- Append-only: the run's journal, the source of truth journal.jsonl is exported from.
CREATE TABLE journal (
  run_id TEXT NOT NULL REFERENCES runs(id),
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  entry TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
-- The conductor's latest persisted snapshot, committed with the journal rows that led to it.
CREATE TABLE snapshots (
  run_id TEXT PRIMARY KEY REFERENCES runs(id),
  journal_seq INTEGER NOT NULL,
  snapshot TEXT NOT NULL,
  updated INTEGER NOT NULL
);
-- Large values of the snapshot, stored once and shared by later snapshots (see shared-parts.ts).
CREATE TABLE snapshot_parts (
  run_id TEXT NOT NULL REFERENCES runs(id),
  part INTEGER NOT NULL,
  json TEXT NOT NULL,
  PRIMARY KEY (run_id, part)
) WITHOUT ROWID;
-- Last snapshots of finished tickets and workers: in the store, not in memory.
CREATE TABLE finished (
  run_id TEXT NOT NULL REFERENCES runs(id),
  ticket_id TEXT NOT NULL,
  ticket TEXT,
  worker TEXT,
  PRIMARY KEY (run_id, ticket_id)
) WITHOUT ROWID;
-- Side-effecting tool calls: the intent before the call starts, the result once it ends.
CREATE TABLE tool_calls (
  run_id TEXT NOT NULL REFERENCES runs(id),
  ticket_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  tool_use_id TEXT NOT NULL,
  tool TEXT NOT NULL,
  input TEXT NOT NULL,
  effect TEXT,
  result TEXT,
  intent_at INTEGER NOT NULL,
  result_at INTEGER,
  PRIMARY KEY (run_id, ticket_id, attempt, tool_use_id)
) WITHOUT ROWID;
`;

/** Brings a store to SCHEMA_VERSION; returns false when it was written by a newer Clutch. */
export function migrate(db: Database.Database): boolean {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) return false;
  db.transaction(() => {
    if (version < 1) db.exec(v1);
    // v2: the process group a command started, so a resume can stop one its crash left running.
    // ... and whether the human granted a rerun of it that has not started yet (single use).
    if (version < 2) db.exec('ALTER TABLE tool_calls ADD COLUMN process TEXT; ALTER TABLE tool_calls ADD COLUMN rerun_granted INTEGER NOT NULL DEFAULT 0');
    // v3: each file a ticket changed with the file tools, as it was before the ticket first changed
    // it (content NULL: it did not exist), so that a retry can restore it.
    if (version < 3) {
      db.exec(`CREATE TABLE IF NOT EXISTS ticket_files (
        run_id TEXT NOT NULL REFERENCES runs(id),
        ticket_id TEXT NOT NULL,
        path TEXT NOT NULL,
        content BLOB,
        PRIMARY KEY (run_id, ticket_id, path)
      ) WITHOUT ROWID`);
    }
    if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
  return true;
}
