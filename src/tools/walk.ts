import { readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * Deterministic directory walk shared by list_files and search_files. Symlinks are reported but
 * never followed: following them could leave the workspace or loop forever.
 */

/** Directories that are huge, generated, or not the model's business. */
export const SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set(['node_modules', '.git']);

export type EntryKind = 'file' | 'dir' | 'symlink' | 'other';

export interface WalkEntry {
  /** Workspace-relative, "/"-separated. */
  relative: string;
  absolute: string;
  kind: EntryKind;
}

/** Plain code-unit order: the same on every machine and locale. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Yields the entries of `absolute` (whose workspace-relative form is `relative`) in sorted
 * depth-first order: a directory comes right before its contents. Errors reading the starting
 * directory propagate; an unreadable subdirectory is skipped so one bad folder does not hide the
 * rest.
 */
export async function* walk(
  absolute: string,
  relative: string,
  recursive: boolean,
): AsyncGenerator<WalkEntry> {
  yield* walkDir(absolute, relative, recursive, true);
}

async function* walkDir(
  absolute: string,
  relative: string,
  recursive: boolean,
  top: boolean,
): AsyncGenerator<WalkEntry> {
  let dirents;
  try {
    dirents = await readdir(absolute, { withFileTypes: true });
  } catch (error) {
    if (top) throw error;
    return;
  }
  dirents.sort((a, b) => compareNames(a.name, b.name));
  for (const dirent of dirents) {
    if (SKIPPED_DIRECTORIES.has(dirent.name) || dirent.name.toLowerCase() === '.git') continue;
    const entry: WalkEntry = {
      relative: relative === '.' ? dirent.name : `${relative}/${dirent.name}`,
      absolute: path.join(absolute, dirent.name),
      kind: dirent.isSymbolicLink()
        ? 'symlink'
        : dirent.isDirectory()
          ? 'dir'
          : dirent.isFile()
            ? 'file'
            : 'other',
    };
    yield entry;
    if (recursive && entry.kind === 'dir') {
      yield* walkDir(entry.absolute, entry.relative, recursive, false);
    }
  }
}
