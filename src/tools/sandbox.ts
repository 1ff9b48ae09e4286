import { lstatSync, type Stats } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { lstat } from './fs-calls.js';
import path from 'node:path';

/**
 * Workspace confinement. Every path a tool touches goes through resolveInWorkspace. A refusal is
 * returned as data (the tool turns it into a tool error for the model), never thrown: a model that
 * asks for "../../etc/passwd" made a mistake it can correct, Clutch did not crash.
 *
 * Limits: the checks and the later file operation are not atomic, so a process racing to swap a
 * directory for a symlink in between could still win. The sandbox guards against the model's own
 * paths and the workspace's existing symlinks, not against a concurrent attacker on the host.
 */

export type ResolveResult =
  | {
      ok: true;
      /** Absolute path to use for I/O: existing components are resolved to their real location. */
      path: string;
      /** Workspace-relative form of what was asked for ("." for the root), for messages. */
      relative: string;
      /**
       * The path's last component did not exist when it was checked, in a folder that did (a real
       * folder of the workspace): a file to create there needs neither a read nor a mkdir first.
       */
      absent?: true;
    }
  | { ok: false; error: string };

export interface ResolveOptions {
  /** The workspace root itself is acceptable (a directory to list, a cwd). Default: false. */
  allowRoot?: boolean;
}

/**
 * True when a component of the workspace-relative path is `.git`, in any case (a case-insensitive
 * file system takes `.GIT` for `.git`).
 */
export function hasGitComponent(relative: string): boolean {
  return relative.split(/[\\/]/).some((part) => part.toLowerCase() === '.git');
}

function gitRefusal(shown: string): ResolveResult {
  return refuse(
    `the path ${shown} is in .git, git's own data (in a worktree it points git at the run's repository); ` +
      'the file tools neither read nor change it: work on the project\'s files instead',
  );
}

export async function resolveInWorkspace(
  workspace: string,
  requested: string,
  options: ResolveOptions = {},
): Promise<ResolveResult> {
  const shown = JSON.stringify(requested);
  if (typeof requested !== 'string' || requested.length === 0) {
    return refuse('the path is empty; give a path relative to the workspace root, e.g. "src/index.ts"');
  }
  if (requested.includes('\0')) {
    return refuse(`the path ${JSON.stringify(requested.replaceAll('\0', '\\0'))} contains a NUL byte`);
  }
  if (path.isAbsolute(requested) || /^[A-Za-z]:[\\/]/.test(requested)) {
    return refuse(
      `absolute paths are not allowed (${shown}); give a path relative to the workspace root`,
    );
  }

  // The root itself may be reached through a symlink (e.g. /tmp on macOS); compare real paths.
  const root = await realRoot(workspace);
  if (root === undefined) return refuse('the workspace root does not exist or cannot be read');

  const lexical = path.resolve(root, requested);
  const relative = path.relative(root, lexical);
  if (!isInside(root, lexical)) {
    return refuse(`the path ${shown} is outside the workspace (it leads above the workspace root)`);
  }
  if (relative === '' && !options.allowRoot) {
    return refuse(`the path ${shown} is the workspace root itself; a file path is needed here`);
  }
  if (hasGitComponent(relative)) return gitRefusal(shown);

  // The common case, in one lstat per component below the root's real path: no component that
  // exists is a symlink, so the path is where it says. A symlink anywhere takes the full walk below.
  const direct = relative === '' ? { path: root, absent: false } : await directLocation(root, relative);
  if (typeof direct === 'object' && 'unresolvable' in direct) return refuse(`the path ${shown} cannot be resolved (${direct.unresolvable}); that is not allowed`);
  if (direct === 'no root') {
    // The root went away since its real path was taken: ask again next time.
    realRoots.delete(workspace);
    return refuse('the workspace root does not exist or cannot be read');
  }
  if (typeof direct === 'object') {
    return { ok: true, path: direct.path, relative: relative === '' ? '.' : relative, ...(direct.absent ? { absent: true as const } : {}) };
  }

  // Find the deepest ancestor (or the path itself) that exists and check where it really is, so
  // a new file under a symlinked directory that points out is refused as well as an existing one.
  const missing: string[] = [];
  let current = lexical;
  for (;;) {
    const found = await realLocation(current);
    if (found.kind === 'exists') {
      if (!isInside(root, found.real)) {
        return refuse(
          `the path ${shown} goes through a symlink that points outside the workspace; that is not allowed`,
        );
      }
      const real = path.join(found.real, ...missing.reverse());
      // A symlink inside the workspace may still lead into .git.
      if (hasGitComponent(path.relative(root, real))) return gitRefusal(shown);
      if (real === root && !options.allowRoot) {
        return refuse(`the path ${shown} resolves to the workspace root itself; a file path is needed here`);
      }
      return { ok: true, path: real, relative: relative === '' ? '.' : relative };
    }
    if (found.kind === 'dangling') {
      // Writing through a dangling link would create its target, wherever that is.
      return refuse(
        `the path ${shown} goes through a symlink whose target does not exist; that is not allowed`,
      );
    }
    if (found.kind === 'unresolvable') {
      return refuse(`the path ${shown} cannot be resolved (${found.code}); that is not allowed`);
    }
    const parent = path.dirname(current);
    if (current === root || parent === current) {
      // The root went away since its real path was taken: ask again next time.
      realRoots.delete(workspace);
      return refuse('the workspace root does not exist or cannot be read');
    }
    missing.push(path.basename(current));
    current = parent;
  }
}

/**
 * The real paths of the workspace roots asked about, taken once: every file tool resolves its path
 * against its root, and realpath of the root was a third of their fs calls. Safe to keep: paths are
 * still resolved and checked by where they really are, against this root, so a root replaced since
 * can only make a path be refused, never let one out. Bounded, since every worktree is a root.
 */
const realRoots = new Map<string, string>();
const REAL_ROOTS_KEPT = 512;

async function realRoot(workspace: string): Promise<string | undefined> {
  const known = realRoots.get(workspace);
  if (known !== undefined) return known;
  try {
    const real = await realpath(workspace);
    if (realRoots.size >= REAL_ROOTS_KEPT) realRoots.clear();
    realRoots.set(workspace, real);
    return real;
  } catch {
    return undefined;
  }
}

/**
 * Where `relative` lies below `root` (a real path) when no component of it that exists is a
 * symlink: `root/relative` itself. The walk stops at the first component that does not exist (the
 * rest is created below a real folder) or that is a file (the I/O then fails as it should).
 * `absent`: only the last component is missing. 'symlink' when a component is one: the caller
 * resolves it in full.
 */
async function directLocation(
  root: string,
  relative: string,
): Promise<{ path: string; absent: boolean } | 'symlink' | 'no root' | { unresolvable: string }> {
  const parts = relative.split(path.sep);
  let current = root;
  for (let index = 0; index < parts.length; index += 1) {
    current = path.join(current, parts[index]!);
    // The last component asynchronously: a lookup of a name that is not there yet (a new file), in
    // a folder other workers are creating files in, waits for the folder's lock, which must not
    // hold up the main thread. The folders above it synchronously: a folder that is there is found
    // in the kernel's cache without that lock, and an asynchronous call costs the main thread more
    // (the thread pool's wake-up takes its core on a small machine).
    let stat: Stats;
    try {
      stat = index === parts.length - 1 ? await lstat(current) : lstatSync(current);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT' && index === 0 && !(await exists(root))) return 'no root';
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        return { path: path.join(current, ...parts.slice(index + 1)), absent: code === 'ENOENT' && index === parts.length - 1 };
      }
      return { unresolvable: code ?? 'unknown error' };
    }
    if (stat.isSymbolicLink()) return 'symlink';
    if (!stat.isDirectory()) return { path: path.join(current, ...parts.slice(index + 1)), absent: false };
  }
  return { path: current, absent: false };
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

type Location =
  | { kind: 'exists'; real: string }
  | { kind: 'missing' }
  | { kind: 'dangling' }
  | { kind: 'unresolvable'; code: string };

async function realLocation(p: string): Promise<Location> {
  try {
    return { kind: 'exists', real: await realpath(p) };
  } catch (error) {
    const code = errorCode(error);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      // ELOOP, EACCES...: nothing we can vouch for, so refuse rather than guess.
      return { kind: 'unresolvable', code: code ?? 'unknown error' };
    }
  }
  // realpath failed with ENOENT: either the entry is missing, or it is a symlink whose target is.
  try {
    const stat = await lstat(p);
    if (stat.isSymbolicLink()) return { kind: 'dangling' };
    // Exists but realpath said ENOENT: an ancestor is a dangling link; the loop reaches it.
    return { kind: 'missing' };
  } catch {
    return { kind: 'missing' };
  }
}

function refuse(error: string): ResolveResult {
  return { ok: false, error };
}

/** True when `candidate` (absolute) is `root` or below it. */
export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..' + path.sep) && rel !== '..' && !path.isAbsolute(rel));
}

/**
 * Formats an absolute path for a message to the model or the human: workspace-relative, "." for
 * the root. A path outside the workspace is never shown in full, so host layout does not leak.
 */
export function workspaceRelative(workspace: string, absolute: string): string {
  if (!isInside(workspace, absolute)) return '<outside the workspace>';
  const rel = path.relative(workspace, absolute);
  return rel === '' ? '.' : rel.split(path.sep).join('/');
}

export function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
