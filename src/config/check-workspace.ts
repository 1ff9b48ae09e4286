import { readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { isInside } from '../tools/sandbox.js';

/** Folders a run's copy of the workspace leaves out (the same ones src/runs/run-folder.ts skips). */
const NOT_COPIED = new Set(['node_modules', '.git']);

/** Most special files named in one message: enough to see the pattern, short enough to read. */
const MAX_LISTED = 5;

/**
 * Why a run could not start on this workspace, or undefined when it can. Each run copies the
 * workspace into its own folder under `runsFolder` before any agent starts, so what the copy
 * would trip over is refused here, before anything is created: a workspace that does not exist,
 * is a file, is the file system root, or holds the run folders themselves (the copy would copy
 * itself), and files that are neither files, folders nor links (a FIFO, a socket, a device).
 */
export function workspaceProblem(workspace: string, runsFolder: string): string | undefined {
  let real: string;
  try {
    const stats = statSync(workspace);
    if (!stats.isDirectory()) return 'is a file, not a folder';
    real = realpathSync(workspace);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(error)})`;
  }
  if (path.parse(real).root === real) return 'is the root of the file system; a run copies its whole workspace, so point it at a project folder';
  if (isInside(real, resolveReal(runsFolder))) {
    return `holds the run folders (${runsFolder}), and each run copies the workspace into one of them; put the workspace in a folder of its own`;
  }
  const special = specialFiles(real);
  if (special.length === 0) return undefined;
  const shown = special.slice(0, MAX_LISTED).join(', ');
  const more = special.length > MAX_LISTED ? ` and ${special.length - MAX_LISTED} more` : '';
  return `holds what a run cannot copy: ${shown}${more}; remove ${special.length === 1 ? 'it' : 'them'} or move the workspace`;
}

/** The real path of a folder that may not exist yet: its nearest existing parent, resolved. */
function resolveReal(folder: string): string {
  const missing: string[] = [];
  for (let current = path.resolve(folder); ; current = path.dirname(current)) {
    try {
      return path.join(realpathSync(current), ...missing.reverse());
    } catch {
      if (path.dirname(current) === current) return path.resolve(folder);
      missing.push(path.basename(current));
    }
  }
}

function kindOf(entry: Dirent): string | undefined {
  if (entry.isFile() || entry.isDirectory() || entry.isSymbolicLink()) return undefined;
  if (entry.isFIFO()) return 'a FIFO (named pipe)';
  if (entry.isSocket()) return 'a socket';
  if (entry.isCharacterDevice() || entry.isBlockDevice()) return 'a device file';
  return 'a special file';
}

/**
 * Workspace-relative paths of what a copy cannot take, in sorted order. An explicit stack, not
 * recursion: a deep tree must not overflow it. Links are never followed (the copy keeps them as links).
 */
function specialFiles(root: string): string[] {
  const found: string[] = [];
  const pending: string[] = [''];
  for (let relative = pending.pop(); relative !== undefined; relative = pending.pop()) {
    let entries: Dirent[];
    try {
      entries = readdirSync(path.join(root, relative), { withFileTypes: true });
    } catch (error) {
      found.push(`${relative || '.'} (a folder that cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)})`);
      continue;
    }
    const sorted = entries.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
    for (const entry of sorted) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!NOT_COPIED.has(entry.name)) pending.push(child);
        continue;
      }
      const kind = kindOf(entry);
      if (kind) found.push(`${child} (${kind})`);
    }
  }
  return found.sort();
}
