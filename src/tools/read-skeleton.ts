import { errorText } from '../protocol/error-text.js';
import { toolInputSchemas, type ToolInput } from '../protocol/index.js';
import { redact } from '../protocol/redact.js';
import { describeFsError, listedPath, quote, readTextFile, toolError, toolOk } from './files.js';
import { utf8Prefix } from './output.js';
import { resolveInWorkspace } from './sandbox.js';
import { skeletonOf, skeletonRefusal } from './skeleton.js';
import type { Tool, ToolContext } from './tool.js';

type Input = ToolInput<'read_skeleton'>;

/** The most that skeletonsFor puts in a worker's first message, so that it leaves room for the work. */
export const SKELETONS_MAX_BYTES = 16 * 1024;

/** How many files skeletonsFor reads at once. */
const SKELETONS_READ_AT_ONCE = 4;

type Loaded = { ok: true; relative: string; skeleton: string; characters: number } | { ok: false; error: string };

/** Reads a workspace file (through the sandbox's confinement) and makes its skeleton. */
async function loadSkeleton(context: ToolContext, requested: string, missing: (shown: string) => string): Promise<Loaded> {
  const resolved = await resolveInWorkspace(context.workspace, requested);
  if (!resolved.ok) return resolved;
  const shown = quote(resolved.relative);
  const refusal = skeletonRefusal(resolved.relative);
  if (refusal !== undefined) return { ok: false, error: `${refusal}; read_file shows other files` };
  let file;
  try {
    file = await readTextFile(resolved.path, shown, { missing: missing(shown), workspace: context.workspace });
  } catch (error) {
    const message = describeFsError(error, shown);
    if (message === undefined) throw error;
    return { ok: false, error: message };
  }
  if (!file.ok) return file;
  const result = skeletonOf(resolved.relative, file.text);
  if (!result.ok) return { ok: false, error: result.reason };
  return { ok: true, relative: resolved.relative, skeleton: result.text, characters: file.text.length };
}

const count = (n: number): string => n.toLocaleString('en-US');

/**
 * `text` when it fits in `maxBytes` of UTF-8 (and nothing else was `left` out); else the whole lines
 * of it that fit together with `marker` (a first line too long for that is cut in it).
 */
function capLines(text: string, maxBytes: number, marker: string, left = false): string {
  if (!left && Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const budget = Math.max(0, maxBytes - Buffer.byteLength(marker, 'utf8') - 1);
  const kept: string[] = [];
  let used = 0;
  for (const line of text.split('\n')) {
    const bytes = Buffer.byteLength(line, 'utf8') + 1;
    if (used + bytes > budget) {
      if (kept.length === 0) kept.push(utf8Prefix(line, budget));
      break;
    }
    kept.push(line);
    used += bytes;
  }
  return `${kept.join('\n')}\n${marker}`;
}

export const readSkeletonTool: Tool<Input> = {
  name: 'read_skeleton',
  description:
    'Show the outline of a TypeScript or JavaScript file (.ts .tsx .mts .cts .js .jsx .mjs .cjs): the signatures ' +
    'of what it exports (functions with their parameters, classes with their public members, interfaces, types, ' +
    'enums, constants), bodies left out. In a module the exports are listed under `exports:` without their ' +
    '`export` keyword, and `not exported:` names the other declarations; the imports are one line that counts ' +
    "them; a function's doc comment is cut to its first sentence. Long types, long member lists, overloads and " +
    'long re-export lists are folded, marked with `…`. Far shorter than read_file: use it to learn what a module ' +
    'offers and how to call it, and read_file for what is folded or for the lines you need to see or change.',
  inputSchema: toolInputSchemas.read_skeleton,

  async execute(input, context) {
    const loaded = await loadSkeleton(context, input.path, (shown) => `file not found: ${shown}; use list_files to see which files exist`);
    if (!loaded.ok) return toolError(loaded.error);
    const shown = quote(loaded.relative);
    const header = `skeleton of ${shown} (${count(loaded.skeleton.length)} of ${count(loaded.characters)} characters; bodies left out, … marks what is folded):`;
    const body = loaded.skeleton === '' ? '(nothing to show: no imports, exports or declarations)' : loaded.skeleton;
    const marker = `[… skeleton truncated at ${context.maxOutputBytes} bytes; read_file shows ${shown} itself …]`;
    return toolOk(capLines(`${header}\n${body}`, context.maxOutputBytes, marker));
  },
};

/** One file's part of skeletonsFor: a header line and the skeleton, or one line saying why there is none. */
async function skeletonSection(context: ToolContext, requested: string): Promise<string> {
  let loaded: Loaded;
  try {
    loaded = await loadSkeleton(context, requested, (shown) => `${shown} does not exist`);
  } catch (error) {
    loaded = { ok: false, error: `internal error: ${errorText(error)}` };
  }
  if (!loaded.ok) return `--- ${listedPath(requested)} (no skeleton: ${loaded.error})`;
  const name = listedPath(loaded.relative);
  return loaded.skeleton === '' ? `--- ${name} (skeleton: nothing declared)` : `--- ${name} (skeleton)\n${loaded.skeleton}`;
}

/**
 * The skeletons of `paths` for a worker's first message: a section per path, a file that is missing
 * or has no skeleton one line saying so. The whole is capped at SKELETONS_MAX_BYTES with a marker,
 * redacted of the context's secrets, and this never throws. The files are read SKELETONS_READ_AT_ONCE
 * at a time (a ticket's start waits for them), and no group is read once the cap is passed.
 */
export async function skeletonsFor(context: ToolContext, paths: readonly string[]): Promise<string> {
  const sections: string[] = [];
  let bytes = 0;
  for (let start = 0; start < paths.length && bytes <= SKELETONS_MAX_BYTES; start += SKELETONS_READ_AT_ONCE) {
    const group = await Promise.all(paths.slice(start, start + SKELETONS_READ_AT_ONCE).map((requested) => skeletonSection(context, requested)));
    for (const section of group) {
      if (bytes > SKELETONS_MAX_BYTES) break;
      sections.push(section);
      bytes += Buffer.byteLength(section, 'utf8') + 1;
    }
  }
  const unread = paths.slice(sections.length).map(listedPath);
  const marker =
    `[… skeletons cut at ${SKELETONS_MAX_BYTES / 1024} KiB${unread.length > 0 ? `; not shown: ${unread.join(', ')}` : ''}; ` +
    'read_skeleton shows a file\'s skeleton in full …]';
  // Redacted before the cut, so that a cut cannot leave part of a secret that redact no longer knows.
  return capLines(redact(sections.join('\n'), context.secrets ?? []), SKELETONS_MAX_BYTES, marker, unread.length > 0);
}
