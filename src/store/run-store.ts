import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { RunLog } from './run-log.js';
import type { NewRun, RunRecord, RunSummary } from './run-record.js';
import { migrate } from './schema.js';
import { describeSqliteError, StoreError } from './store-error.js';

interface RunRow extends Omit<RunRecord, 'options'> {
  options: string;
}

export interface OpenOptions {
  /** Milliseconds to wait for another process's lock before saying the store is locked (default 2000). */
  busyTimeoutMs?: number;
  /** Refuse to create a store that does not exist yet (for commands that only read). */
  mustExist?: boolean;
}

/** Whether a process with this pid is alive (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The run store: one SQLite database (WAL) holding every run, its journal, its latest snapshot,
 * its finished tickets and its tool intents. Every failure is a StoreError naming the file.
 */
export class RunStore {
  readonly path: string;
  readonly db: Database.Database;

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.db = db;
  }

  static open(path: string, options: OpenOptions = {}): RunStore {
    if (options.mustExist && !existsSync(path)) {
      throw new StoreError(path, 'there is no run store here yet: start a run with `clutch run` or `clutch serve` first');
    }
    let db: Database.Database | undefined;
    try {
      mkdirSync(dirname(path), { recursive: true });
      db = new Database(path, { timeout: options.busyTimeoutMs ?? 2000 });
      // WAL: readers never block the writer, and a commit survives the process being killed.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      if (!migrate(db)) {
        db.close();
        throw new StoreError(path, 'this run store was written by a newer version of Clutch; upgrade Clutch to use it');
      }
      // Takes the write lock once, so that a store another program holds locked is reported now,
      // with what to do, rather than at the first commit of a run.
      db.exec('BEGIN IMMEDIATE; ROLLBACK');
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw Object.assign(new Error(`integrity check failed: ${String(check)}`), { code: 'SQLITE_CORRUPT' });
      return new RunStore(path, db);
    } catch (error) {
      try {
        db?.close();
      } catch {
        // Already closed or never opened.
      }
      if (error instanceof StoreError) throw error;
      throw describeSqliteError(path, error);
    }
  }

  /** What waits for the transaction being run by transaction() to commit. */
  #afterCommit: (() => void)[] | undefined;

  /**
   * Runs `work` in one transaction; what it hands to afterCommit() runs once the transaction has
   * committed, and is dropped if it rolls back. Inside another transaction() it is a savepoint of
   * it: rolled back alone if it throws, and its steps wait for the outer commit.
   */
  transaction<T>(work: () => T): T {
    const outer = this.#afterCommit;
    const steps: (() => void)[] = [];
    this.#afterCommit = steps;
    let result: T;
    try {
      result = this.guard(() => this.db.transaction(work)());
    } finally {
      this.#afterCommit = outer;
    }
    if (outer !== undefined) outer.push(...steps);
    else for (const step of steps) step();
    return result;
  }

  /** Runs `step` once the transaction() under way commits, or now when none is. */
  afterCommit(step: () => void): void {
    if (this.#afterCommit !== undefined) this.#afterCommit.push(step);
    else step();
  }

  /** Runs a statement, turning SQLite's errors into StoreErrors that name the file. */
  guard<T>(action: () => T): T {
    try {
      return action();
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw describeSqliteError(this.path, error);
    }
  }

  createRun(run: NewRun): RunLog {
    this.guard(() =>
      this.db
        .prepare(
          `INSERT INTO runs (id, track_id, track_title, track_path, track_hash, config_path, config_hash, source_workspace, run_dir,
             workspace, options, status, tickets_total, tickets_completed, owner_pid, created, updated)
           VALUES (@id, @track_id, @track_title, @track_path, @track_hash, @config_path, @config_hash, @source_workspace, @run_dir,
             @workspace, @options, 'running', @tickets_total, 0, @pid, @created, @created)`,
        )
        .run({ ...run, options: JSON.stringify(run.options), pid: process.pid }),
    );
    return new RunLog(this, run.id);
  }

  /** A run begun from a request has its track once the plan is approved: its file, hash, title and size. */
  planApproved(id: string, track: { track_path: string; track_hash: string; track_title: string; tickets_total: number }): void {
    this.guard(() =>
      this.db
        .prepare('UPDATE runs SET track_path = @track_path, track_hash = @track_hash, track_title = @track_title, tickets_total = @tickets_total WHERE id = @id')
        .run({ ...track, id }),
    );
  }

  run(id: string): RunRecord | undefined {
    const row = this.guard(() => this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined);
    return row ? { ...row, options: JSON.parse(row.options) } : undefined;
  }

  /** Every run, newest first. */
  runs(): RunSummary[] {
    const rows = this.guard(() => this.db.prepare('SELECT * FROM runs ORDER BY created DESC, id DESC').all() as RunRow[]);
    return rows.map((row) => ({
      id: row.id,
      track: row.track_id,
      title: row.track_title,
      status: row.status === 'running' && (row.owner_pid === null || !processAlive(row.owner_pid)) ? 'interrupted' : row.status,
      completed: row.tickets_completed,
      total: row.tickets_total,
      created: row.created,
      updated: row.updated,
      run_dir: row.run_dir,
    }));
  }

  /**
   * Takes a run over to go on with it. A run that another live process has open is refused: two
   * engines on one run would run its tools twice.
   */
  openRun(id: string): RunLog {
    const run = this.run(id);
    if (!run) throw new StoreError(this.path, `there is no run "${id}" in this store; \`clutch runs\` lists the runs it has`);
    if (run.owner_pid !== null && run.owner_pid !== process.pid && processAlive(run.owner_pid)) {
      throw new StoreError(this.path, `run ${id} is open in another Clutch process (pid ${run.owner_pid}); stop that process first, or open the run there`);
    }
    this.guard(() => this.db.prepare('UPDATE runs SET owner_pid = ? WHERE id = ?').run(process.pid, id));
    return new RunLog(this, id);
  }

  /**
   * Forgets a run: its journal, snapshots, finished tickets, tool calls and kept originals go, in
   * one transaction. A run another live process has open is refused, as openRun refuses it.
   */
  deleteRun(id: string): RunRecord {
    const run = this.run(id);
    if (!run) throw new StoreError(this.path, `there is no run "${id}" in this store; \`clutch runs\` lists the runs it has`);
    if (run.owner_pid !== null && run.owner_pid !== process.pid && processAlive(run.owner_pid)) {
      throw new StoreError(this.path, `run ${id} is open in another Clutch process (pid ${run.owner_pid}); stop that process first`);
    }
    this.guard(() =>
      this.db.transaction(() => {
        for (const table of ['journal', 'snapshots', 'snapshot_parts', 'finished', 'tool_calls', 'ticket_files']) {
          this.db.prepare(`DELETE FROM ${table} WHERE run_id = ?`).run(id);
        }
        this.db.prepare('DELETE FROM runs WHERE id = ?').run(id);
      })(),
    );
    return run;
  }

  /** A run's record to read (export, inspection) without taking the run over. */
  openRunReadOnly(id: string): RunLog {
    return new RunLog(this, id, { reader: true });
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
