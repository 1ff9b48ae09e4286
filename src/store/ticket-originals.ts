import type Database from 'better-sqlite3';
import type { RunStore } from './run-store.js';

/** What a file held before a ticket first changed it: its bytes, or null when it did not exist. */
export type Original = Buffer | null;

/**
 * The files each ticket of a run changed with the file tools, kept as they were before the ticket
 * first touched them (written at once, before the write they precede), so that a retry can put
 * them back after a crash as well.
 */
export class TicketOriginals {
  readonly #store: RunStore;
  readonly #runId: string;
  readonly #sql: Record<'record' | 'paths' | 'get' | 'forget', Database.Statement>;
  /** Which (ticket, path) pairs have an original (`ticket\npath`), in memory so a write asks the store nothing. */
  readonly #kept = new Set<string>();

  constructor(store: RunStore, runId: string) {
    this.#store = store;
    this.#runId = runId;
    const db = store.db;
    this.#sql = store.guard(() => ({
      // The first original wins: later writes of the same ticket change nothing here.
      record: db.prepare('INSERT INTO ticket_files (run_id, ticket_id, path, content) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      paths: db.prepare('SELECT path FROM ticket_files WHERE run_id = ? AND ticket_id = ? ORDER BY path').pluck(),
      get: db.prepare('SELECT content FROM ticket_files WHERE run_id = ? AND ticket_id = ? AND path = ?'),
      forget: db.prepare('DELETE FROM ticket_files WHERE run_id = ? AND ticket_id = ?'),
    }));
    const rows = store.guard(() => db.prepare('SELECT ticket_id, path FROM ticket_files WHERE run_id = ?').all(runId) as { ticket_id: string; path: string }[]);
    for (const row of rows) this.#kept.add(`${row.ticket_id}\n${row.path}`);
  }

  record(ticket: string, path: string, original: Original): void {
    this.#store.guard(() => this.#sql.record.run(this.#runId, ticket, path, original));
    // Known kept once its row is committed: a transaction rolled back leaves no trace here either.
    this.#store.afterCommit(() => this.#kept.add(`${ticket}\n${path}`));
  }

  /** Whether an original of the ticket's `path` is kept (from memory). */
  has(ticket: string, path: string): boolean {
    return this.#kept.has(`${ticket}\n${path}`);
  }

  paths(ticket: string): string[] {
    return this.#store.guard(() => this.#sql.paths.all(this.#runId, ticket) as string[]);
  }

  original(ticket: string, path: string): Original | undefined {
    const row = this.#store.guard(() => this.#sql.get.get(this.#runId, ticket, path) as { content: Buffer | null } | undefined);
    return row === undefined ? undefined : row.content;
  }

  forget(ticket: string): void {
    this.#store.guard(() => this.#sql.forget.run(this.#runId, ticket));
    for (const key of this.#kept) if (key.startsWith(`${ticket}\n`)) this.#kept.delete(key);
  }
}
