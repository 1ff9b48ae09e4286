import { createHash, randomUUID } from 'node:crypto';
import { lstat, readdir, realpath } from 'node:fs/promises';
import { closeSync, constants, fstatSync, readdirSync, rmSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { ToolOutput } from '../protocol/index.js';
import { errorCode } from './sandbox.js';
import { chmod, open, readFile, readFirst, rename, stat, unlink, writeFile } from './fs-calls.js';

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
  | {
      ok: true;
      exists: true;
      text: string;
      /**
       * Where the file stops being UTF-8 (the offset of the first byte that is not), or undefined
       * for UTF-8 text. Such a file's text shows those bytes as U+FFFD, so writing it back would
       * change them.
       */
      notUtf8At?: number;
      /** Set when the file's content was not loaded: why (a name of it lies outside the workspace). */
      hidden?: string;
    }
  | { ok: true; exists: false; text: '' }
  | { ok: false; error: string };

export interface ReadTextOptions {
  /** What to tell the model when the file does not exist (undefined: it reads as empty, for write_file). */
  missing?: string | undefined;
  /**
   * The workspace root: a file with more than one hard link is loaded only when all of its names
   * are in it. With `shared: 'hide'` such a file is not refused but reported with `hidden` and no
   * content (write_file replaces it without showing what the other name holds).
   */
  workspace: string;
  shared?: 'refuse' | 'hide';
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The offset of the first byte of `buffer` that is not valid UTF-8, or undefined when all are. */
export function firstNonUtf8Byte(buffer: Buffer): number | undefined {
  try {
    strictUtf8.decode(buffer);
    return undefined;
  } catch {
    return firstInvalidSequence(buffer);
  }
}

/** Where the first ill-formed sequence starts (the Unicode standard's table of well-formed UTF-8). */
function firstInvalidSequence(buffer: Buffer): number {
  let i = 0;
  while (i < buffer.length) {
    const lead = buffer[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const follow = lead >= 0xc2 && lead <= 0xdf ? 1 : lead >= 0xe0 && lead <= 0xef ? 2 : lead >= 0xf0 && lead <= 0xf4 ? 3 : 0;
    if (follow === 0) return i;
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    const second = buffer[i + 1];
    if (second === undefined || second < low || second > high) return i;
    for (let k = 2; k <= follow; k++) {
      const next = buffer[i + k];
      if (next === undefined || next < 0x80 || next > 0xbf) return i;
    }
    i += follow + 1;
  }
  return buffer.length;
}

/**
 * Reads a regular text file. The file is opened once (never through a symlink, never blocking on a
 * FIFO) and its type, size and links are checked on the open file, so what is checked is what is read.
 */
export async function readTextFile(absolute: string, shown: string, options: ReadTextOptions): Promise<TextFile> {
  let fd: number;
  try {
    fd = await open(absolute, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') {
      if (options.missing === undefined) return { ok: true, text: '', exists: false };
      return { ok: false, error: options.missing };
    }
    if (code === 'ELOOP') return { ok: false, error: `${shown} is a symlink; give the path of the file it points to` };
    if (code === 'EISDIR') return { ok: false, error: directoryError(shown) };
    throw error;
  }
  try {
    // The open file's inode is in memory: its fstat never waits for the disk.
    const info = fstatSync(fd);
    if (info.isDirectory()) return { ok: false, error: directoryError(shown) };
    if (!info.isFile()) {
      // A FIFO or a device would block or never end.
      return { ok: false, error: `${shown} is not a regular file` };
    }
    if (info.nlink > 1) {
      const outside = await namesOutside(options.workspace, absolute, info);
      if (outside !== undefined) {
        const why = sharedFileProblem(shown, info.nlink, outside);
        if (options.shared === 'hide') return { ok: true, exists: true, text: '', hidden: why };
        return { ok: false, error: why };
      }
    }
    if (info.size > MAX_TEXT_FILE_BYTES) {
      return {
        ok: false,
        error: `${shown} is too large (${info.size} bytes; the limit is ${MAX_TEXT_FILE_BYTES})`,
      };
    }
    const buffer = await readFirst(fd, info.size);
    if (looksBinary(buffer)) {
      return { ok: false, error: `${shown} is a binary file (it contains NUL bytes); only text files can be read or edited` };
    }
    const notUtf8At = firstNonUtf8Byte(buffer);
    return { ok: true, exists: true, text: buffer.toString('utf8'), ...(notUtf8At !== undefined ? { notUtf8At } : {}) };
  } finally {
    // Closing a file that was only read writes nothing back.
    closeSync(fd);
  }
}

function directoryError(shown: string): string {
  return `${shown} is a directory, not a file; use list_files to see what it holds`;
}

/** Stops the search for a file's other names: past this many entries the file is not vouched for. */
export const MAX_LINK_SEARCH_ENTRIES = 100_000;

/** Folders the search for a file's other names does not enter (any case for .git). */
function skippedInLinkSearch(name: string): boolean {
  return name === 'node_modules' || name.toLowerCase() === '.git';
}

/** What the search for a file's other names found: how many are missing, and whether it gave up. */
export interface LinkSearch {
  missing: number;
  /** The walk reached MAX_LINK_SEARCH_ENTRIES before it found them all. */
  gaveUp: boolean;
}

/**
 * For a file with more than one hard link: which of its names were not found in the workspace
 * (undefined when all were). The walk skips node_modules and .git, does not follow symlinks, stops
 * as soon as every name is found and gives up after MAX_LINK_SEARCH_ENTRIES entries.
 */
export async function namesOutside(workspace: string, absolute: string, info: Stats): Promise<LinkSearch | undefined> {
  if (info.nlink <= 1) return undefined;
  const key = inodeKey(info);
  const census = await linkCensus(workspace, { key, links: info.nlink, self: absolute });
  return missingNames(census, key, info.nlink, absolute);
}

/**
 * Answers the same question for many files with one walk of the workspace (search_files asks about
 * every file it meets); the walk happens at the first multiply linked file.
 */
export class LinkCensus {
  readonly #workspace: string;
  #census: Census | undefined;

  constructor(workspace: string) {
    this.#workspace = workspace;
  }

  async namesOutside(absolute: string, info: Stats): Promise<LinkSearch | undefined> {
    if (info.nlink <= 1) return undefined;
    this.#census ??= await linkCensus(this.#workspace, undefined);
    return missingNames(this.#census, inodeKey(info), info.nlink, absolute);
  }
}

interface Census {
  /** The names found of each multiply linked file, by device and inode. */
  names: Map<string, Set<string>>;
  gaveUp: boolean;
}

function inodeKey(info: Stats): string {
  return `${info.dev}:${info.ino}`;
}

function missingNames(census: Census, key: string, links: number, self: string): LinkSearch | undefined {
  const names = census.names.get(key);
  const count = (names?.size ?? 0) + (names?.has(self) ? 0 : 1);
  return count >= links ? undefined : { missing: links - count, gaveUp: census.gaveUp };
}

/** Walks the workspace for multiply linked files; with a target, stops once all its names are found. */
async function linkCensus(workspace: string, target: { key: string; links: number; self: string } | undefined): Promise<Census> {
  const names = new Map<string, Set<string>>();
  const root = await realpath(workspace);
  const pending = [root];
  let visited = 0;
  while (pending.length > 0) {
    const folder = pending.pop()!;
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (++visited > MAX_LINK_SEARCH_ENTRIES) return { names, gaveUp: true };
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!skippedInLinkSearch(entry.name)) pending.push(full);
        continue;
      }
      if (!entry.isFile()) continue;
      let info: Stats;
      try {
        info = await lstat(full);
      } catch {
        continue;
      }
      if (info.nlink <= 1) continue;
      const key = inodeKey(info);
      let found = names.get(key);
      if (found === undefined) names.set(key, (found = new Set()));
      found.add(full);
      if (target && key === target.key && missingNames({ names, gaveUp: false }, key, target.links, target.self) === undefined) {
        return { names, gaveUp: false };
      }
    }
  }
  return { names, gaveUp: false };
}

/** The refusal for a file that shares its content with a name outside the workspace. */
export function sharedFileProblem(shown: string, links: number, search: LinkSearch): string {
  const where = search.gaveUp
    ? `${search.missing} of them ${search.missing === 1 ? 'was' : 'were'} not found in the first ${MAX_LINK_SEARCH_ENTRIES} entries of the workspace`
    : `${search.missing} of them ${search.missing === 1 ? 'is' : 'are'} not in the workspace (node_modules and .git not searched)`;
  return (
    `${shown} is a hard link: the same file has ${links} names and ${where}, so it may be shared with a place ` +
    'outside; it is not read. write_file on this path replaces it with a file of its own and leaves the other names as they are'
  );
}

/**
 * Characters that would let a file name pass for something else in a listing: line breaks and other
 * control characters, the Unicode line and paragraph separators, bidirectional overrides.
 */
const SPOOFING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/**
 * A path as a listing shows it: as it is, or as a JSON string when it holds a character that could
 * make one name look like several lines (or starts with a quote, so a quoted name is never ambiguous).
 */
export function listedPath(relative: string): string {
  if (!SPOOFING.test(relative) && !relative.startsWith('"')) return relative;
  // JSON.stringify leaves U+2028, the bidirectional controls and C1 controls as they are.
  return JSON.stringify(relative).replace(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
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

/** The longest prefix of `name` within `bytes` UTF-8 bytes, not splitting a character. */
function utf8Cut(name: string, bytes: number): string {
  let out = '';
  let used = 0;
  for (const char of name) {
    used += Buffer.byteLength(char, 'utf8');
    if (used > bytes) break;
    out += char;
  }
  return out;
}

/**
 * Writes through a temp file in the same folder and renames it over the target: a kill mid-write
 * leaves the old content or the new, never half of it, and the write never passes through a link
 * at the target. An existing file keeps its mode.
 */
export async function writeFileAtomic(absolute: string, content: string, options: { created?: boolean } = {}): Promise<void> {
  // A long name is cut so that the temp name stays within the 255 bytes a file name may have.
  const base = utf8Cut(path.basename(absolute), 200);
  const temp = path.join(path.dirname(absolute), `.${base}.${randomUUID().slice(0, 8)}${TEMP_SUFFIX}`);
  try {
    await writeFile(temp, content, 'wx');
    // A file the call's plan found missing has no mode to keep (one made since is replaced as new).
    const mode = options.created ? undefined : (await statOrUndefined(absolute))?.mode;
    if (mode !== undefined) await chmod(temp, mode & 0o7777);
    await rename(temp, absolute);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}
