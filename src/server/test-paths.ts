/**
 * The server's side of the inspector's "Test paths": the generated paths of each machine, and runs
 * of one path against a fresh engine. Both happen in one worker thread, started on first use, so
 * that neither the seconds of generation nor a run's engine ever holds up the session's engine or
 * its batches. The thread's code is its own entry point, src/testing/test-paths-thread.ts, which
 * the server starts by URL and never imports: the two share only protocol types. The session's own
 * engine and workspace are never touched: every run gets a new engine in a temp folder under this
 * service's scratch folder, removed after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ActorKind, CallMessage, Reply, TestPathInfo, TestPathList, TestRunEvent, TestRunProgress, TestRunSummary } from '../protocol/wire.js';

/** What the thread is asked: the socket's own calls, under ids of this service. */
type ThreadRequest = CallMessage<'testPaths'> | CallMessage<'runTestPath'>;
/** What it answers: a run's progress, then one reply per request. */
type ThreadReply = TestRunProgress | Reply<TestPathList> | Reply<TestRunSummary>;

export type PathList = { ok: true; paths: TestPathInfo[]; candidates: number } | { ok: false; error: string };

/** A run's events as the thread reports them; the hub adds the id of the request. */
export type RunEvent = TestRunEvent extends infer Event ? (Event extends { id: string } ? Omit<Event, 'id'> : never) : never;

interface ActiveRun {
  machine: ActorKind;
  path: string;
  /** Steps reported so far: a crash of the thread fails the next one. */
  reported: number;
  steps: number;
  started: number;
  onEvent: (event: RunEvent) => void;
}

/** The thread's loader (plain JavaScript: it registers tsx in the thread), and the entry it runs. */
const THREAD_LOADER = new URL('./test-paths-thread.mjs', import.meta.url);
const THREAD_ENTRY = new URL('../testing/test-paths-thread.ts', import.meta.url).href;

export class TestPaths {
  #thread: Worker | undefined;
  #scratch: string | undefined;
  readonly #lists = new Map<ActorKind, Promise<PathList>>();
  /** The list requests in flight, by id: one per machine, as `#lists` keeps the first. */
  readonly #listing = new Map<string, { machine: ActorKind; resolve: (list: PathList) => void }>();
  readonly #runs = new Map<string, ActiveRun>();
  #nextId = 1;
  #closed = false;
  #closing: Promise<void> | undefined;

  /** Where runs make their temp workspaces (the thread's TMPDIR); null before the first request. */
  get scratch(): string | null {
    return this.#scratch ?? null;
  }

  get running(): number {
    return this.#runs.size;
  }

  /** The machine's paths, generated once and kept; a failed generation is tried again next time. */
  list(machine: ActorKind): Promise<PathList> {
    const cached = this.#lists.get(machine);
    if (cached) return cached;
    const promise = new Promise<PathList>((resolve) => {
      const id = `list-${this.#nextId++}`;
      this.#listing.set(id, { machine, resolve });
      this.#post({ type: 'testPaths', id, machine });
    });
    this.#lists.set(machine, promise);
    void promise.then((list) => {
      if (!list.ok) this.#lists.delete(machine);
    });
    return promise;
  }

  /** Runs one path; `onEvent` gets started, each step, then finished (or refused). */
  run(machine: ActorKind, path: string, onEvent: (event: RunEvent) => void): void {
    if (this.#closed) {
      onEvent({ kind: 'refused', error: 'the server is shutting down' });
      return;
    }
    const id = `run-${this.#nextId++}`;
    this.#runs.set(id, { machine, path, reported: 0, steps: 0, started: performance.now(), onEvent });
    this.#post({ type: 'runTestPath', id, machine, path });
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      const thread = this.#thread;
      this.#thread = undefined;
      this.#abandon('the server is shutting down');
      if (thread) await thread.terminate();
      if (this.#scratch) rmSync(this.#scratch, { recursive: true, force: true });
    })();
    return this.#closing;
  }

  #post(request: ThreadRequest): void {
    if (this.#closed) {
      this.#abandon('the server is shutting down');
      return;
    }
    this.#ensureThread().postMessage(request);
  }

  #ensureThread(): Worker {
    if (this.#thread) return this.#thread;
    this.#scratch ??= mkdtempSync(join(tmpdir(), 'clutch-test-paths-'));
    // Its own TMPDIR: every temp workspace of a run lands in the scratch folder, removed on close.
    const thread = new Worker(THREAD_LOADER, { workerData: { entry: THREAD_ENTRY }, env: { ...process.env, TMPDIR: this.#scratch } });
    thread.unref();
    thread.on('message', (reply: ThreadReply) => this.#receive(reply));
    thread.on('error', (error) => this.#lost(thread, `the test thread crashed: ${error.message}`));
    thread.on('exit', (code) => this.#lost(thread, `the test thread stopped (exit code ${code})`));
    this.#thread = thread;
    return thread;
  }

  #receive(reply: ThreadReply): void {
    if ('kind' in reply) {
      const run = this.#runs.get(reply.id);
      if (!run) return;
      if (reply.kind === 'started') {
        run.steps = reply.steps;
        return run.onEvent({ kind: 'started', machine: run.machine, path: run.path, steps: reply.steps });
      }
      run.reported = reply.result.index + 1;
      return run.onEvent({ kind: 'step', result: reply.result });
    }
    const listing = this.#listing.get(reply.id);
    if (listing) {
      this.#listing.delete(reply.id);
      if (!reply.ok) return listing.resolve({ ok: false, error: reply.error });
      const { paths, candidates } = reply.value as TestPathList;
      return listing.resolve({ ok: true, paths, candidates });
    }
    const run = this.#runs.get(reply.id);
    if (!run) return;
    this.#runs.delete(reply.id);
    run.onEvent(reply.ok ? { kind: 'finished', ...(reply.value as TestRunSummary) } : { kind: 'refused', error: reply.error });
  }

  /** The thread died: what waited on it fails, and the next request starts a new one. */
  #lost(thread: Worker, reason: string): void {
    if (this.#thread === thread) this.#thread = undefined;
    this.#abandon(reason);
  }

  #abandon(reason: string): void {
    for (const { machine, resolve } of this.#listing.values()) resolve({ ok: false, error: `the ${machine} paths could not be generated: ${reason}` });
    this.#listing.clear();
    for (const run of this.#runs.values()) {
      // A run cut short is a failed step, as a run that throws is.
      run.onEvent({ kind: 'step', result: { index: run.reported, ok: false, value: null, failure: { kind: 'error', message: reason } } });
      const left = Math.max(0, run.steps - run.reported - 1);
      run.onEvent({ kind: 'finished', ok: false, passed: run.reported, failed: 1, skipped: left, ms: Math.round(performance.now() - run.started) });
    }
    this.#runs.clear();
  }
}
