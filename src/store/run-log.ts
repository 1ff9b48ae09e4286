import type Database from 'better-sqlite3';
import type { RunStore } from './run-store.js';
import type { CommandProcess, RunRecord, ToolCallKey, ToolCallRecord, ToolEffect } from './run-record.js';
import { decodeSnapshot, PartEncoder } from './shared-parts.js';

export interface JournalRow {
  kind: string;
}

export interface FinishedSnapshots {
  ticket?: unknown;
  worker?: unknown;
}

export interface Progress {
  status: RunRecord['status'];
  completed: number;
}

type Statement = Database.Statement;

const callKey = (key: ToolCallKey): string => `${key.ticket}\n${key.attempt}\n${key.toolUseId}`;

/**
 * One run's durable record. Journal rows and finished tickets are staged in memory and written by
 * commit(), in one transaction with the conductor's snapshot they led to: after a kill the store
 * holds a snapshot and exactly the journal up to it, never one without the other. Tool intents and
 * results do not wait for that: each is committed in the next group commit (durably), before the
 * call runs or its output goes on.
 */
export class RunLog {
  readonly runId: string;
  readonly store: RunStore;
  readonly #db: Database.Database;
  readonly #encoder: PartEncoder;
  #seq: number;
  #pending: { seq: number; kind: string; entry: string }[] = [];
  #pendingFinished = new Map<string, { ticket?: string; worker?: string }>();
  readonly #workerIds = new Set<string>();
  /**
   * The tool calls this run has a row for (`ticket\nattempt\nid`), so that a call met for the first
   * time asks the store nothing. Undefined for a reader, which another process may be writing past.
   */
  readonly #callKeys: Set<string> | undefined;
  /** Writes waiting for the next group commit (durably), and whom to tell once it is done. */
  #durable: { work: () => void; resolve: () => void; reject: (error: unknown) => void }[] = [];
  readonly #sql: Record<
    | 'journal' | 'snapshot' | 'part' | 'dropPart' | 'finished' | 'progress' | 'intent' | 'result' | 'toolCall' | 'process' | 'grant'
    | 'getFinished' | 'getPart' | 'getSnapshot' | 'tail' | 'all' | 'ofKind' | 'release',
    Statement
  >;
  readonly #commit: (snapshot: unknown | undefined, progress: Progress | undefined, parts: WeakSet<object> | undefined) => void;

  constructor(store: RunStore, runId: string, options: { reader?: boolean } = {}) {
    this.store = store;
    this.runId = runId;
    this.#db = store.db;
    const db = this.#db;
    this.#sql = store.guard(() => ({
      journal: db.prepare('INSERT INTO journal (run_id, seq, kind, entry) VALUES (?, ?, ?, ?)'),
      snapshot: db.prepare(
        `INSERT INTO snapshots (run_id, journal_seq, snapshot, updated) VALUES (?, ?, ?, ?)
         ON CONFLICT (run_id) DO UPDATE SET journal_seq = excluded.journal_seq, snapshot = excluded.snapshot, updated = excluded.updated`,
      ),
      part: db.prepare('INSERT INTO snapshot_parts (run_id, part, json) VALUES (?, ?, ?)'),
      dropPart: db.prepare('DELETE FROM snapshot_parts WHERE run_id = ? AND part = ?'),
      finished: db.prepare(
        `INSERT INTO finished (run_id, ticket_id, ticket, worker) VALUES (?, ?, ?, ?)
         ON CONFLICT (run_id, ticket_id) DO UPDATE SET ticket = coalesce(excluded.ticket, ticket), worker = coalesce(excluded.worker, worker)`,
      ),
      progress: db.prepare('UPDATE runs SET status = ?, tickets_completed = ?, updated = ? WHERE id = ?'),
      intent: db.prepare(
        `INSERT INTO tool_calls (run_id, ticket_id, attempt, tool_use_id, tool, input, effect, result, intent_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)
         ON CONFLICT (run_id, ticket_id, attempt, tool_use_id) DO UPDATE SET input = excluded.input, effect = excluded.effect,
           result = NULL, intent_at = excluded.intent_at, result_at = NULL, process = NULL, rerun_granted = 0`,
      ),
      result: db.prepare('UPDATE tool_calls SET result = ?, result_at = ? WHERE run_id = ? AND ticket_id = ? AND attempt = ? AND tool_use_id = ?'),
      toolCall: db.prepare('SELECT tool, input, effect, result, process, rerun_granted FROM tool_calls WHERE run_id = ? AND ticket_id = ? AND attempt = ? AND tool_use_id = ?'),
      grant: db.prepare('UPDATE tool_calls SET rerun_granted = 1 WHERE run_id = ? AND ticket_id = ? AND attempt = ? AND tool_use_id = ?'),
      process: db.prepare('UPDATE tool_calls SET process = ? WHERE run_id = ? AND ticket_id = ? AND attempt = ? AND tool_use_id = ?'),
      getFinished: db.prepare('SELECT ticket, worker FROM finished WHERE run_id = ? AND ticket_id = ?'),
      getPart: db.prepare('SELECT json FROM snapshot_parts WHERE run_id = ? AND part = ?').pluck(),
      getSnapshot: db.prepare('SELECT snapshot FROM snapshots WHERE run_id = ?').pluck(),
      tail: db.prepare('SELECT entry FROM journal WHERE run_id = ? ORDER BY seq DESC LIMIT ?').pluck(),
      all: db.prepare('SELECT entry FROM journal WHERE run_id = ? ORDER BY seq').pluck(),
      ofKind: db.prepare('SELECT entry FROM journal WHERE run_id = ? AND kind = ? ORDER BY seq').pluck(),
      release: db.prepare('UPDATE runs SET owner_pid = NULL WHERE id = ? AND owner_pid = ?'),
    }));
    const existing = store.guard(() => ({
      seq: (db.prepare('SELECT coalesce(max(seq), 0) FROM journal WHERE run_id = ?').pluck().get(runId) as number) ?? 0,
      parts: db.prepare('SELECT part FROM snapshot_parts WHERE run_id = ?').pluck().all(runId) as number[],
      workers: db.prepare('SELECT ticket_id FROM finished WHERE run_id = ? AND worker IS NOT NULL').pluck().all(runId) as string[],
    }));
    this.#seq = existing.seq;
    if (!options.reader) {
      const calls = store.guard(() => db.prepare('SELECT ticket_id, attempt, tool_use_id FROM tool_calls WHERE run_id = ?').raw().all(runId) as [string, number, string][]);
      this.#callKeys = new Set(calls.map(([ticket, attempt, id]) => callKey({ ticket, attempt, toolUseId: id })));
    }
    this.#encoder = new PartEncoder(existing.parts);
    for (const id of existing.workers) this.#workerIds.add(id);
    this.#commit = db.transaction((snapshot: unknown | undefined, progress: Progress | undefined, parts: WeakSet<object> | undefined) => {
      const now = Date.now();
      for (const row of this.#pending) this.#sql.journal.run(this.runId, row.seq, row.kind, row.entry);
      for (const [ticketId, row] of this.#pendingFinished) this.#sql.finished.run(this.runId, ticketId, row.ticket ?? null, row.worker ?? null);
      if (snapshot !== undefined) {
        const encoded = this.#encoder.encode(snapshot, parts);
        for (const [id, json] of encoded.added) this.#sql.part.run(this.runId, id, json);
        this.#sql.snapshot.run(this.runId, this.#seq, encoded.json, now);
        for (const id of this.#encoder.committed(encoded)) this.#sql.dropPart.run(this.runId, id);
      }
      if (progress) this.#sql.progress.run(progress.status, progress.completed, now, this.runId);
    });
  }

  /** Journal rows so far, committed or staged. */
  get journalCount(): number {
    return this.#seq;
  }

  /** Whether the store is still open (a closed one takes no more commits). */
  get open(): boolean {
    return this.#db.open;
  }

  /** Whether anything waits for the next commit. */
  get dirty(): boolean {
    return this.#pending.length > 0 || this.#pendingFinished.size > 0;
  }

  append(entry: JournalRow): void {
    this.#seq += 1;
    this.#pending.push({ seq: this.#seq, kind: entry.kind, entry: JSON.stringify(entry) });
  }

  stageFinished(ticketId: string, snapshots: FinishedSnapshots): void {
    const row = this.#pendingFinished.get(ticketId) ?? {};
    if (snapshots.ticket !== undefined) row.ticket = JSON.stringify(snapshots.ticket);
    if (snapshots.worker !== undefined) {
      row.worker = JSON.stringify(snapshots.worker);
      this.#workerIds.add(ticketId);
    }
    this.#pendingFinished.set(ticketId, row);
  }

  /**
   * Writes the staged rows and (when given) the snapshot they led to, atomically. `parts`: objects
   * of the snapshot to store as parts of their own (see PartEncoder.encode).
   */
  commit(snapshot?: unknown, progress?: Progress, parts?: WeakSet<object>): void {
    this.store.guard(() => this.#commit(snapshot, progress, parts));
    this.#pending = [];
    this.#pendingFinished = new Map();
  }

  snapshot(): unknown | undefined {
    const json = this.store.guard(() => this.#sql.getSnapshot.get(this.runId) as string | undefined);
    if (json === undefined) return undefined;
    return this.store.guard(() => decodeSnapshot(json, (id) => this.#sql.getPart.get(this.runId, id) as string | undefined));
  }

  finished(ticketId: string): FinishedSnapshots | undefined {
    const pending = this.#pendingFinished.get(ticketId);
    const row = this.store.guard(() => this.#sql.getFinished.get(this.runId, ticketId) as { ticket: string | null; worker: string | null } | undefined);
    const ticket = pending?.ticket ?? row?.ticket ?? undefined;
    const worker = pending?.worker ?? row?.worker ?? undefined;
    if (ticket === undefined && worker === undefined) return undefined;
    return { ...(ticket ? { ticket: JSON.parse(ticket) } : {}), ...(worker ? { worker: JSON.parse(worker) } : {}) };
  }

  /** Whether a finished worker snapshot is kept for the ticket (answered from memory: ids only). */
  hasFinishedWorker(ticketId: string): boolean {
    return this.#workerIds.has(ticketId);
  }

  /** The last `count` committed journal rows, oldest first. */
  tail(count: number): unknown[] {
    const rows = this.store.guard(() => this.#sql.tail.all(this.runId, count) as string[]);
    return rows.reverse().map((row) => JSON.parse(row));
  }

  /** Committed journal rows of one kind, in order. */
  *journalOfKind(kind: string): Generator<unknown> {
    for (const row of this.#sql.ofKind.iterate(this.runId, kind) as IterableIterator<string>) yield JSON.parse(row);
  }

  /** Every committed journal row in order, one at a time. */
  *journal(): Generator<unknown> {
    for (const row of this.#sql.all.iterate(this.runId) as IterableIterator<string>) yield JSON.parse(row);
  }

  toolCall(key: ToolCallKey): ToolCallRecord | undefined {
    if (this.#callKeys !== undefined && !this.#callKeys.has(callKey(key))) return undefined;
    const row = this.store.guard(
      () =>
        this.#sql.toolCall.get(this.runId, key.ticket, key.attempt, key.toolUseId) as
          | { tool: string; input: string; effect: string | null; result: string | null; process: string | null; rerun_granted: number }
          | undefined,
    );
    if (!row) return undefined;
    return {
      tool: row.tool,
      input: JSON.parse(row.input),
      effect: row.effect === null ? null : (JSON.parse(row.effect) as ToolEffect),
      result: row.result === null ? null : JSON.parse(row.result),
      process: row.process === null ? null : (JSON.parse(row.process) as CommandProcess),
      rerunGranted: row.rerun_granted === 1,
    };
  }

  /**
   * Runs `work` (tool intents and results) in the next group commit: one transaction, in the next
   * turn of the event loop, for every such write asked for until then. Resolves once its rows are
   * committed, so a call starts only after its intent is, and its output goes on only after its
   * result is. A work that throws fails alone: each statement is atomic in SQLite, so what it
   * wrote before it threw is kept, and its caller is told (a savepoint per work cost more than the
   * commits saved). Many workers reaching their tools in the same turn cost one commit, not one
   * each: 6.4 writes per commit on average on the engine bench (2k tickets, concurrency 64).
   */
  durably(work: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#durable.push({ work, resolve, reject });
      if (this.#durable.length === 1) setImmediate(() => this.#groupCommit());
    });
  }

  #groupCommit(): void {
    const batch = this.#durable;
    this.#durable = [];
    const failed = new Map<number, unknown>();
    try {
      this.store.transaction(() =>
        batch.forEach((item, index) => {
          try {
            item.work();
          } catch (error) {
            failed.set(index, error);
          }
        }),
      );
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, index) => (failed.has(index) ? item.reject(failed.get(index)) : item.resolve()));
  }

  /** Committed before the call starts. */
  recordIntent(key: ToolCallKey, tool: string, input: unknown, effect: ToolEffect | null): void {
    this.store.guard(() =>
      this.#sql.intent.run(this.runId, key.ticket, key.attempt, key.toolUseId, tool, JSON.stringify(input), effect ? JSON.stringify(effect) : null, Date.now()),
    );
    // Known once committed: an intent rolled back with its transaction was never recorded.
    this.store.afterCommit(() => this.#callKeys?.add(callKey(key)));
  }

  /**
   * The human chose Re-run at the interrupted pause: committed before the command is, and used up
   * by the intent of the run it allows. A restore of that run finds it used and pauses again.
   */
  grantRerun(key: ToolCallKey): void {
    this.store.guard(() => this.#sql.grant.run(this.runId, key.ticket, key.attempt, key.toolUseId));
  }

  /** The process group a command started, committed as soon as it is known. */
  recordProcess(key: ToolCallKey, process: CommandProcess): void {
    this.store.guard(() => this.#sql.process.run(JSON.stringify(process), this.runId, key.ticket, key.attempt, key.toolUseId));
  }

  /** Committed once the call has ended, before its output goes anywhere. */
  recordResult(key: ToolCallKey, output: { content: string; is_error: boolean }): void {
    this.store.guard(() => this.#sql.result.run(JSON.stringify(output), Date.now(), this.runId, key.ticket, key.attempt, key.toolUseId));
  }

  /** Lets go of the run: another process may now resume it. */
  release(): void {
    if (this.#db.open) this.store.guard(() => this.#sql.release.run(this.runId, process.pid));
  }
}
