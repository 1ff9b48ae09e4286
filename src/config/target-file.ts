import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { isInside } from '../tools/sandbox.js';

/**
 * Why a ticket's target_file would reach outside its workspace, or undefined if it stays inside.
 * Checked at load time so that a bad track fails before any agent runs; the tool sandbox checks
 * again at run time, since the workspace can change in between.
 */
export function targetFileEscape(workspace: string, target: string): string | undefined {
  if (path.isAbsolute(target) || path.win32.isAbsolute(target)) {
    return 'is an absolute path; it must be relative to the workspace';
  }
  // Backslashes are separators on Windows; treating them as such everywhere keeps tracks portable.
  const relative = target.replace(/\\/g, '/');
  const resolved = path.resolve(workspace, relative);
  if (!isInside(path.resolve(workspace), resolved)) return 'escapes the workspace through ".."';
  if (resolved === path.resolve(workspace)) return 'names the workspace folder itself, not a file in it';
  return symlinkEscape(workspace, relative);
}


function exists(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Follows the existing part of the path component by component: a symlinked folder or file
 * inside the workspace that points elsewhere would let a "relative" target write outside it.
 */
function symlinkEscape(workspace: string, relative: string): string | undefined {
  let realRoot: string;
  try {
    realRoot = realpathSync(workspace);
  } catch {
    return undefined; // No workspace yet: nothing on disk can redirect the path.
  }
  let current = path.resolve(workspace);
  const walked: string[] = [];
  for (const part of path.normalize(relative).split(path.sep)) {
    if (part === '' || part === '.') continue;
    current = path.join(current, part);
    walked.push(part);
    if (!exists(current)) return undefined; // The rest does not exist yet, so holds no links.
    if (!lstatSync(current).isSymbolicLink()) continue;
    let real: string;
    try {
      real = realpathSync(current);
    } catch {
      // A dangling link: writing through it would create its target, so check where it points.
      real = path.resolve(realpathSync(path.dirname(current)), readlinkSync(current));
    }
    if (!isInside(realRoot, real)) {
      return `resolves outside the workspace through the symlink "${walked.join('/')}" -> ${real}`;
    }
  }
  return undefined;
}
