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
  }

  record(ticket: string, path: string, original: Original): void {
    this.#store.guard(() => this.#sql.record.run(this.#runId, ticket, path, original));
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
  }
}
