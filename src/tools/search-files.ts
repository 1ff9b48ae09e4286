import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import vm from 'node:vm';
import { toolInputSchemas, type ToolInput } from '../protocol/index.js';
import type { Tool } from './tool.js';
import { guardFs, LinkCensus, listedPath, looksBinary, quote, statOrUndefined, toolError, toolOk } from './files.js';
import { errorCode, hasGitComponent, resolveInWorkspace } from './sandbox.js';
import { walk } from './walk.js';

type Input = ToolInput<'search_files'>;

export const MAX_SEARCH_MATCHES = 200;
/** Larger files are skipped: they are almost always generated or data. */
export const MAX_SEARCH_FILE_BYTES = 8 * 1024 * 1024;
/** A matched line longer than this is cut; minified files would otherwise flood the output. */
export const MAX_MATCH_LINE_CHARS = 300;
/**
 * Total time a regular expression may run over all files. A pattern like (a+)+$ backtracks
 * exponentially and would freeze the whole engine (one JS thread), so regex matching runs inside
 * node:vm with a timeout, which V8 can interrupt mid-match.
 */
export const REGEX_BUDGET_MS = 2000;

type Matcher = (lines: string[]) => number[] | 'timeout';

function literalMatcher(needle: string): Matcher {
  return (lines) => {
    const hits: number[] = [];
    lines.forEach((line, i) => {
      if (line.includes(needle)) hits.push(i);
    });
    return hits;
  };
}

function regexMatcher(re: RegExp): Matcher {
  const sandbox = vm.createContext({ re, lines: [] as string[] });
  const script = new vm.Script(
    'var hits = []; for (var i = 0; i < lines.length; i++) { if (re.test(lines[i])) hits.push(i); } hits',
  );
  const deadline = Date.now() + REGEX_BUDGET_MS;
  return (lines) => {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return 'timeout';
    sandbox.lines = lines;
    try {
      return Array.from(script.runInContext(sandbox, { timeout: remaining }) as ArrayLike<number>);
    } catch (error) {
      if (errorCode(error) === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return 'timeout';
      throw error;
    }
  };
}

function clip(line: string): string {
  const text = line.replace(/\r$/, '');
  return text.length > MAX_MATCH_LINE_CHARS ? `${text.slice(0, MAX_MATCH_LINE_CHARS)}…` : text;
}

export const searchFilesTool: Tool<Input> = {
  name: 'search_files',
  description:
    'Search the text files under a directory (default: the whole workspace) for a literal string, ' +
    'or a JavaScript regular expression when regex is true. Prints "path:line: text" per match. ' +
    'node_modules, .git, binary and very large files are skipped. A path with a line break or another ' +
    'control character is shown as a JSON string.',
  inputSchema: toolInputSchemas.search_files,

  async execute(input, context) {
    let matcher: Matcher;
    if (input.regex) {
      let re: RegExp;
      try {
        re = new RegExp(input.pattern);
      } catch (error) {
        return toolError(
          `invalid regular expression ${JSON.stringify(input.pattern)}: ${(error as Error).message}`,
        );
      }
      matcher = regexMatcher(re);
    } else {
      matcher = literalMatcher(input.pattern);
    }

    const resolved = await resolveInWorkspace(context.workspace, input.path ?? '.', { allowRoot: true });
    if (!resolved.ok) return toolError(resolved.error);
    const shown = quote(resolved.relative);

    return guardFs(shown, async () => {
      const info = await statOrUndefined(resolved.path);
      if (info === undefined) {
        return toolError(`not found: ${shown}; use list_files to see what exists`);
      }
      const files = info.isDirectory()
        ? filesUnder(resolved.path, resolved.relative)
        : single(resolved.path, resolved.relative);

      const out: string[] = [];
      let used = 0;
      let matches = 0;
      let skipped = 0;
      const shared: string[] = [];
      const census = new LinkCensus(context.workspace);
      let full = false;
      search: for await (const file of files) {
        if (context.signal?.aborted) return toolError('search aborted');
        const content = await readSearchable(file.absolute, census);
        if (content === 'shared') {
          shared.push(listedPath(file.relative));
          continue;
        }
        if (content === undefined) {
          skipped++;
          continue;
        }
        const lines = content.split('\n');
        const hits = matcher(lines);
        if (hits === 'timeout') {
          return toolError(
            `the regular expression ran longer than ${REGEX_BUDGET_MS} ms (catastrophic backtracking?); ` +
              'simplify it or search a smaller path',
          );
        }
        for (const i of hits) {
          const line = `${listedPath(file.relative)}:${i + 1}: ${clip(lines[i] ?? '')}`;
          const bytes = Buffer.byteLength(line, 'utf8') + 1;
          if (matches >= MAX_SEARCH_MATCHES || used + bytes > context.maxOutputBytes) {
            full = true;
            break search;
          }
          out.push(line);
          used += bytes;
          matches++;
        }
      }

      const note = skipped > 0 ? ` (${skipped} binary, unreadable or very large files skipped)` : '';
      const sharedNote = shared.length > 0 ? sharedSkipped(shared) : undefined;
      if (out.length === 0) {
        const text = `no matches for ${JSON.stringify(input.pattern)} in ${shown}${note}`;
        return toolOk(sharedNote === undefined ? text : `${text}\n${sharedNote}`);
      }
      if (full) {
        out.push(`[… more matches not shown (stopped after ${matches}); narrow the pattern or the path …]`);
      }
      if (sharedNote !== undefined) out.push(sharedNote);
      return toolOk(out.join('\n'));
    });
  },
};

/** Names at most this many of the files skipped as shared with a place outside. */
const MAX_SHARED_NAMED = 20;

function sharedSkipped(shared: string[]): string {
  const named = shared.slice(0, MAX_SHARED_NAMED).join(', ');
  const more = shared.length > MAX_SHARED_NAMED ? ` and ${shared.length - MAX_SHARED_NAMED} more` : '';
  return (
    `[${shared.length} file${shared.length === 1 ? '' : 's'} not searched: hard links shared with a name outside the ` +
    `workspace: ${named}${more}]`
  );
}

interface FileRef {
  absolute: string;
  relative: string;
}

async function* filesUnder(absolute: string, relative: string): AsyncGenerator<FileRef> {
  for await (const entry of walk(absolute, relative, true)) {
    // git's own data, whatever the case of its name, is not searched.
    if (entry.kind === 'file' && !hasGitComponent(entry.relative)) yield entry;
  }
}

async function* single(absolute: string, relative: string): AsyncGenerator<FileRef> {
  yield { absolute, relative };
}

/**
 * The text of a file worth searching; undefined for binary, huge or unreadable files, and "shared"
 * for a hard link with a name outside the workspace. The file is opened once, never through a
 * symlink or blocking on a FIFO, and checked on the open file.
 */
async function readSearchable(absolute: string, census: LinkCensus): Promise<string | 'shared' | undefined> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(absolute, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const info = await handle.stat();
    if (!info.isFile() || info.size > MAX_SEARCH_FILE_BYTES) return undefined;
    if ((await census.namesOutside(absolute, info)) !== undefined) return 'shared';
    const buffer = await handle.readFile();
    return looksBinary(buffer) ? undefined : buffer.toString('utf8');
  } catch {
    // A file that vanished or is unreadable mid-walk is skipped, not fatal.
    return undefined;
  } finally {
    await handle?.close();
  }
}
