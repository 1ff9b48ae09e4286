import { createHash, randomUUID } from 'node:crypto';
import { chmod, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { readdirSync, rmSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { ToolOutput } from '../protocol/index.js';
import { errorCode } from './sandbox.js';

/**
 * Shared file helpers. File-system failures the model can react to (missing file, permission
 * denied, a directory where a file was expected) become tool errors; anything else is rethrown so
 * the registry reports it as an internal error.
 */

/** Files larger than this are not loaded whole: the model gets an error, not an OOM. */
export const MAX_TEXT_FILE_BYTES = 32 * 1024 * 1024;

export function toolError(content: string): ToolOutput {
  return { content, is_error: true };
}

export function toolOk(content: string): ToolOutput {
  return { content, is_error: false };
}

/** A readable message for an fs error about `shown`, or undefined when it is not an fs error. */
export function describeFsError(error: unknown, shown: string): string | undefined {
  switch (errorCode(error)) {
    case 'ENOENT':
      return `${shown} does not exist`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied for ${shown}`;
    case 'EISDIR':
      return `${shown} is a directory`;
    case 'ENOTDIR':
      return `a component of ${shown} is a file, not a directory`;
    case 'ELOOP':
      return `${shown} is a symlink loop`;
    case 'ENAMETOOLONG':
      return `the path ${shown} is too long`;
    case 'EROFS':
      return `${shown} is on a read-only file system`;
    case 'ENOSPC':
      return `no space left on the device while writing ${shown}`;
    case 'EBUSY':
      return `${shown} is busy`;
    default:
      return undefined;
  }
}

/** Calls `action`, turning an fs error into a tool error and letting real bugs through. */
export async function guardFs(shown: string, action: () => Promise<ToolOutput>): Promise<ToolOutput> {
  try {
    return await action();
  } catch (error) {
    const message = describeFsError(error, shown);
    if (message === undefined) throw error;
    return toolError(message);
  }
}

/** Git's heuristic, over the whole buffer: text files do not contain NUL bytes. */
export function looksBinary(buffer: Buffer): boolean {
  return buffer.includes(0);
}

export async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await stat(p);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

export type TextFile =
  | { ok: true; text: string; exists: true }
  | { ok: true; text: ''; exists: false }
  | { ok: false; error: string };

/**
 * Reads a regular text file. `missing` says what to tell the model when it does not exist
 * (undefined: a missing file is fine and reads as empty, for write_file).
 */
export async function readTextFile(
  absolute: string,
  shown: string,
  missing: string | undefined,
): Promise<TextFile> {
  const info = await statOrUndefined(absolute);
  if (info === undefined) {
    if (missing === undefined) return { ok: true, text: '', exists: false };
    return { ok: false, error: missing };
  }
  if (info.isDirectory()) {
    return { ok: false, error: `${shown} is a directory, not a file; use list_files to see what it holds` };
  }
  if (!info.isFile()) {
    // A FIFO or a device would block or never end.
    return { ok: false, error: `${shown} is not a regular file` };
  }
  if (info.size > MAX_TEXT_FILE_BYTES) {
    return {
      ok: false,
      error: `${shown} is too large (${info.size} bytes; the limit is ${MAX_TEXT_FILE_BYTES})`,
    };
  }
  const buffer = await readFile(absolute);
  if (looksBinary(buffer)) {
    return { ok: false, error: `${shown} is a binary file (it contains NUL bytes); only text files can be read or edited` };
  }
  return { ok: true, text: buffer.toString('utf8'), exists: true };
}

/** Quotes a workspace-relative path for messages. */
export function quote(relative: string): string {
  return JSON.stringify(relative);
}

export function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** sha256 of a file's bytes, or undefined when there is no such file. */
export async function fileSha256(absolute: string): Promise<string | undefined> {
  try {
    return sha256(await readFile(absolute));
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** The suffix of writeFileAtomic's temp files: only a crash between write and rename leaves one. */
export const TEMP_SUFFIX = '.clutch-tmp';

/** Removes the temp files a crash left in a workspace (a resumed run starts clean); returns them. */
export function removeStrayTempFiles(root: string): string[] {
  const removed: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== '.git') walk(full);
      else if (entry.isFile() && entry.name.startsWith('.') && entry.name.endsWith(TEMP_SUFFIX)) {
        rmSync(full, { force: true });
        removed.push(path.relative(root, full));
      }
    }
  };
  walk(root);
  return removed;
}

/**
 * Writes through a temp file in the same folder and renames it over the target: a kill mid-write
 * leaves the old content or the new, never half of it, and the write never passes through a link
 * at the target. An existing file keeps its mode.
 */
export async function writeFileAtomic(absolute: string, content: string): Promise<void> {
  const temp = path.join(path.dirname(absolute), `.${path.basename(absolute)}.${randomUUID().slice(0, 8)}${TEMP_SUFFIX}`);
  try {
    await writeFile(temp, content, { encoding: 'utf8', flag: 'wx' });
    const mode = (await statOrUndefined(absolute))?.mode;
    if (mode !== undefined) await chmod(temp, mode & 0o7777);
    await rename(temp, absolute);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}
