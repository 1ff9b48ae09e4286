/**
 * A git unified diff (several files, as the `diff` call returns it) split into its files, each as
 * runs of lines of one kind, so that a 512 KB patch draws as a few hundred elements rather than
 * one per line.
 */

export type PatchLineKind = 'add' | 'del' | 'context' | 'hunk' | 'meta' | 'note';

/** Consecutive lines of one kind, joined with newlines. */
export interface PatchRun {
  kind: PatchLineKind;
  text: string;
}

export interface PatchFile {
  /** The file's path after the change (before it, for a deletion); '' for text before any file header. */
  path: string;
  runs: PatchRun[];
  added: number;
  removed: number;
}

export interface ParsedPatch {
  files: PatchFile[];
  added: number;
  removed: number;
  lines: number;
}

const FILE_HEADER = 'diff --git ';

/** The path of a `diff --git a/P b/P` header when both sides are the same path (spaces allowed). */
function headerPath(line: string): string {
  const rest = line.slice(FILE_HEADER.length);
  const length = (rest.length - 5) / 2;
  if (Number.isInteger(length) && length > 0) {
    const path = rest.slice(2, 2 + length);
    if (rest === `a/${path} b/${path}`) return path;
  }
  // A rename or a quoted path: the `+++`, `---` or `rename to` lines name it better.
  return rest;
}

const escapes: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };

/** A path git wrote in C quotes ("sp\303\251cial.txt", for bytes outside printable ASCII), as text. */
export function unquotePath(quoted: string): string {
  if (quoted.length < 2 || !quoted.startsWith('"') || !quoted.endsWith('"')) return quoted;
  const bytes: number[] = [];
  const body = quoted.slice(1, -1);
  for (let i = 0; i < body.length; i += 1) {
    const char = body[i]!;
    if (char !== '\\') {
      bytes.push(...new TextEncoder().encode(char));
      continue;
    }
    const octal = /^[0-7]{3}/.exec(body.slice(i + 1));
    if (octal) {
      bytes.push(parseInt(octal[0], 8));
      i += 3;
    } else {
      const next = body[i + 1] ?? '';
      bytes.push(escapes[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** `--- a/P` or `+++ b/P` → P (unquoted); /dev/null → null. */
function sidePath(line: string): string | null {
  const written = line.slice(4).replace(/\t.*$/, '');
  if (written === '/dev/null') return null;
  const path = unquotePath(written);
  return path.startsWith('a/') || path.startsWith('b/') ? path.slice(2) : path;
}

/**
 * Classifies each line by where it is: in a file's header (from `diff --git` to its first `@@`)
 * every line is meta, `--- a/x` and `+++ b/x` included; inside a hunk the first character decides,
 * so a removed line that itself starts with `--` is still a removal. A line that fits neither (the
 * server's "diff cut at" marker after a truncated patch) is a note.
 */
export function parsePatch(patch: string): ParsedPatch {
  const source = patch.endsWith('\n') ? patch.slice(0, -1) : patch;
  const lines = source === '' ? [] : source.split('\n');
  const files: PatchFile[] = [];
  let file: PatchFile | null = null;
  let inHunk = false;
  let added = 0;
  let removed = 0;
  let runKind: PatchLineKind | null = null;
  let runLines: string[] = [];

  const flush = (into: PatchFile | null) => {
    if (into && runKind !== null) into.runs.push({ kind: runKind, text: runLines.join('\n') });
    runKind = null;
    runLines = [];
  };
  /** Adds the line to the file's last run, or starts a run; text before any header gets a file of its own. */
  const push = (kind: PatchLineKind, line: string): PatchFile => {
    if (!file) {
      file = { path: '', runs: [], added: 0, removed: 0 };
      files.push(file);
    }
    if (runKind !== kind) {
      flush(file);
      runKind = kind;
    }
    runLines.push(line);
    return file;
  };

  for (const line of lines) {
    if (line.startsWith(FILE_HEADER)) {
      flush(file);
      file = { path: headerPath(line), runs: [], added: 0, removed: 0 };
      files.push(file);
      inHunk = false;
      push('meta', line);
    } else if (line.startsWith('@@')) {
      inHunk = true;
      push('hunk', line);
    } else if (!inHunk) {
      if (file && (line.startsWith('--- ') || line.startsWith('+++ '))) {
        // The new side names the file (it comes second), unless the file was deleted.
        const path = sidePath(line);
        if (path !== null) file.path = path;
      } else if (file && line.startsWith('rename to ')) {
        file.path = unquotePath(line.slice('rename to '.length));
      }
      push(file ? 'meta' : 'note', line);
    } else if (line.startsWith('+')) {
      push('add', line).added += 1;
      added += 1;
    } else if (line.startsWith('-')) {
      push('del', line).removed += 1;
      removed += 1;
    } else if (line.startsWith(' ') || line === '') {
      push('context', line);
    } else {
      // `\ No newline at end of file`, or the server's truncation marker.
      push('note', line);
    }
  }
  flush(file);
  return { files, added, removed, lines: lines.length };
}

/**
 * The files a merge conflict blocked the ticket on, read from its reason ("merge conflict with
 * <branch> in a.txt, b.txt; retry runs …"), or null when the reason is not a merge conflict.
 */
export function conflictFilesOf(reason: string | null | undefined): string[] | null {
  if (!reason) return null;
  const match = /^merge conflict with \S+ in (.+?)(?:; |$)/.exec(reason);
  if (!match) return null;
  const files = match[1]!.split(', ').filter((file) => file.length > 0);
  return files.length > 0 ? files : null;
}

/** What a git status letter means, for a tooltip. */
export function statusMeaning(letter: string): string {
  switch (letter) {
    case 'A':
      return 'added';
    case 'M':
      return 'modified';
    case 'D':
      return 'deleted';
    case 'R':
      return 'renamed';
    case 'C':
      return 'copied';
    case 'T':
      return 'type changed (a file became a link, or the reverse)';
    case 'U':
      return 'unmerged';
    default:
      return `status ${letter}`;
  }
}
