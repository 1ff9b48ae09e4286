import { RunClock } from './run-clock.js';
import { Store } from './store.js';

/**
 * One journal entry as the page keeps it: the fields the activity feed reads, and nothing large
 * (a tool entry's input is cut to one line, its output is left out). `epoch` counts the engines
 * the entries come from: a resume starts a new engine, whose clock starts at 0 again, so times of
 * two epochs are never compared.
 */
export interface JournalRow {
  /** Place in the page's log, for React keys. */
  n: number;
  epoch: number;
  kind: string;
  at: number;
  ticket?: string;
  attempt?: number;
  tool?: string;
  tool_use_id?: string;
  is_error?: boolean;
  duration_ms?: number;
  status?: string;
  reason?: string;
  summary?: string;
  until?: number | null;
  /** A human command's target key ('worker:T1') and the command's small fields. */
  target?: string;
  event?: Record<string, unknown>;
  /** An auto release's pause kind and why it happened. */
  pause?: string;
  cause?: string;
  /** The tool's input in one short line (a path, a command line). */
  detail?: string;
  /** Before a retry: what became of the files the ticket changed (restore or keep), and which. */
  choice?: string;
  files?: string[];
  /** A code review's verdict (`review.verdict`): its round and the reviewer's comments. */
  verdict?: string;
  round?: number;
  comments?: string;
  /** A QA hint (`qa.hint`): the hint, who wrote it, and the tokens it saved the worker. */
  hint?: string;
  archetype?: string;
  saved_tokens?: number;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** A tool input in one line: its path, its command line, or its first field. */
export function inputGist(input: unknown): string | undefined {
  if (!input || typeof input !== 'object') return undefined;
  const record = input as Record<string, unknown>;
  const argv = record['argv'];
  const text = Array.isArray(argv) ? argv.map(String).join(' ') : (str(record['path']) ?? str(record['summary']) ?? str(record['pattern']));
  if (text === undefined) return undefined;
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

/** The small fields of a command (its type, pause, mode, trust, files; never a payload or a message). */
function smallEvent(event: unknown): Record<string, unknown> | undefined {
  if (!event || typeof event !== 'object') return undefined;
  const small: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event as Record<string, unknown>)) {
    if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') small[key] = typeof value === 'string' ? value.slice(0, 200) : value;
    else if (key === 'pause' && value && typeof value === 'object') small[key] = value;
  }
  return small;
}

/** The row for a journal entry, or null for one that is not an object with a kind and a time. */
export function journalRow(entry: unknown, n: number, epoch: number): JournalRow | null {
  if (!entry || typeof entry !== 'object') return null;
  const record = entry as Record<string, unknown>;
  const kind = str(record['kind']);
  const at = num(record['at']);
  if (kind === undefined || at === undefined) return null;
  const row: JournalRow = { n, epoch, kind, at };
  const fields = {
    ticket: str(record['ticket']),
    attempt: num(record['attempt']),
    tool: str(record['tool']),
    tool_use_id: str(record['tool_use_id']),
    is_error: typeof record['is_error'] === 'boolean' ? record['is_error'] : undefined,
    duration_ms: num(record['duration_ms']),
    status: str(record['status']),
    reason: str(record['reason'])?.slice(0, 300),
    summary: str(record['summary'])?.slice(0, 300),
    until: record['until'] === null ? null : (num(record['until']) ?? num(record['retry_at'])),
    target: str(record['target']),
    event: kind === 'command' ? smallEvent(record['event']) : undefined,
    pause: str(record['pause']),
    cause: str(record['cause']),
    detail: inputGist(record['input']),
    choice: str(record['choice']),
    verdict: str(record['verdict']),
    round: num(record['round']),
    comments: str(record['comments'])?.slice(0, 4000),
    hint: str(record['hint'])?.slice(0, 1000),
    archetype: str(record['archetype']),
    saved_tokens: num(record['saved_tokens']),
    files: Array.isArray(record['files']) ? record['files'].filter((file): file is string => typeof file === 'string').slice(0, 50) : undefined,
  };
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) (row as unknown as Record<string, unknown>)[key] = value;
  return row;
}

/**
 * The run's journal as the server pushed it in its batches: the tail with the first batch after
 * a (re)connection, then every new entry. Bounded: the oldest rows go first.
 */
export class JournalLog {
  readonly limit: number;
  readonly rows = new Store<readonly JournalRow[]>([]);
  readonly clock = new RunClock();
  #replaceNext = false;
  #n = 0;
  #epoch = 0;

  constructor(options: { limit?: number } = {}) {
    this.limit = options.limit ?? 1000;
  }

  /** After a (re)connection the first batch carries the server's tail: it replaces what is here. */
  expectFullBatch(): void {
    this.#replaceNext = true;
  }

  apply(entries: readonly unknown[] | undefined, local: number = Date.now()): void {
    const replace = this.#replaceNext;
    this.#replaceNext = false;
    if (replace) {
      this.clock.reset();
      this.#epoch = 0;
    }
    if (!replace && (!entries || entries.length === 0)) return;
    const added: JournalRow[] = [];
    for (const entry of entries ?? []) {
      const kind = (entry as { kind?: unknown } | null)?.kind;
      if (kind === 'run.resume') {
        // A new engine from here on: its clock starts again.
        this.#epoch += 1;
        this.clock.reset();
      }
      const row = journalRow(entry, this.#n, this.#epoch);
      if (!row) continue;
      this.#n += 1;
      this.clock.observe(row.at, local);
      added.push(row);
    }
    const all = replace ? added : [...this.rows.getSnapshot(), ...added];
    this.rows.set(all.length > this.limit ? all.slice(all.length - this.limit) : all);
  }

  /** The epoch of the engine serving now. */
  get epoch(): number {
    return this.#epoch;
  }
}
