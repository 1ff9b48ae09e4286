import { mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Original, TicketOriginals } from '../store/index.js';

/** Where originals are kept: the run store, or memory for a run without one (tests). */
interface OriginalsStore {
  record(ticket: string, path: string, original: Original): void;
  /** Whether the ticket's original of `path` is kept (answered from memory). */
  has(ticket: string, path: string): boolean;
  paths(ticket: string): string[];
  original(ticket: string, path: string): Original | undefined;
  forget(ticket: string): void;
}

class MemoryOriginals implements OriginalsStore {
  readonly #files = new Map<string, Map<string, Original>>();

  record(ticket: string, path: string, original: Original): void {
    const files = this.#files.get(ticket) ?? new Map<string, Original>();
    if (!files.has(path)) files.set(path, original);
    this.#files.set(ticket, files);
  }

  has(ticket: string, path: string): boolean {
    return this.#files.get(ticket)?.has(path) === true;
  }

  paths(ticket: string): string[] {
    return [...(this.#files.get(ticket)?.keys() ?? [])].sort();
  }

  original(ticket: string, path: string): Original | undefined {
    return this.#files.get(ticket)?.get(path);
  }

  forget(ticket: string): void {
    this.#files.delete(ticket);
  }
}

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Asynchronous: a lookup in a folder other workers are creating files in waits for its lock. */
async function readOriginal(path: string): Promise<Original> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * The files each ticket changed with write_file and edit_file, and what they held before the
 * ticket first changed them. A retry restores them (or keeps the changes, as the human chooses)
 * until each ticket has a worktree of its own. Commands (run_command) may change other files:
 * those are not tracked here, and the retry dialog says so.
 */
export class TicketFiles {
  readonly #workspace: string;
  readonly #real: string;
  readonly #store: OriginalsStore;

  constructor(workspace: string, originals?: TicketOriginals) {
    this.#workspace = workspace;
    // The tools resolve symlinks: a path may come relative to the workspace's real path.
    this.#real = realpathOr(workspace);
    this.#store = originals ?? new MemoryOriginals();
  }

  #relative(absolute: string): string | undefined {
    for (const base of [this.#workspace, this.#real]) {
      const path = relative(base, absolute);
      if (path !== '' && !path.startsWith('..')) return path.split(sep).join('/');
    }
    return undefined;
  }

  /**
   * Before a file tool writes `absolute`: reads what the file holds now, unless the ticket already
   * changed it, and returns the step that keeps it (run in the call's intent transaction).
   * `created`: the call's plan found no file there, so the original is "none" without a read.
   */
  async beforeWrite(ticket: string, absolute: string, created = false): Promise<(() => void) | undefined> {
    const path = this.#relative(absolute);
    if (path === undefined || this.#store.has(ticket, path)) return undefined;
    const original = created ? null : await readOriginal(absolute);
    return () => this.#store.record(ticket, path, original);
  }

  /** The workspace-relative paths the ticket changed, sorted. */
  changed(ticket: string): string[] {
    return this.#store.paths(ticket);
  }

  /** Before a retry: restores the ticket's files or keeps them; returns the files concerned. */
  settle(ticket: string, choice: 'restore' | 'keep'): string[] {
    return choice === 'restore' ? this.restore(ticket) : this.changed(ticket);
  }

  /** Puts every file the ticket changed back as it was (a file it created is removed); returns their paths. */
  restore(ticket: string): string[] {
    const paths = this.#store.paths(ticket);
    for (const path of paths) {
      const original = this.#store.original(ticket, path);
      const absolute = join(this.#workspace, path);
      if (original === null || original === undefined) rmSync(absolute, { force: true });
      else {
        mkdirSync(dirname(absolute), { recursive: true });
        writeFileSync(absolute, original);
      }
    }
    this.#store.forget(ticket);
    return paths;
  }
}
