import { toolInputSchemas, type ToolEffect, type ToolInput, type ToolOutput, type ToolPreview } from '../protocol/index.js';
import type { Tool, ToolContext } from './tool.js';
import { diffPreview } from './diff-preview.js';
import { describeFsError, guardFs, quote, readTextFile, sha256, toolError, toolOk, writeFileAtomic } from './files.js';
import { resolveInWorkspace } from './sandbox.js';
import { tooLarge, writeLimit } from './write-file.js';

type Input = ToolInput<'edit_file'>;

type Plan =
  | { ok: true; absolute: string; relative: string; before: string; after: string; count: number }
  | { ok: false; error: string };

/** Start offsets of the non-overlapping occurrences of `needle`. */
export function occurrences(haystack: string, needle: string): number[] {
  const found: number[] = [];
  let at = haystack.indexOf(needle);
  while (at !== -1) {
    found.push(at);
    at = haystack.indexOf(needle, at + needle.length);
  }
  return found;
}

/**
 * Splices by offset rather than String.replace, whose "$&" and "$1" patterns would otherwise turn
 * a literal new_string into something else.
 */
function splice(text: string, starts: number[], length: number, replacement: string): string {
  let out = '';
  let from = 0;
  for (const start of starts) {
    out += text.slice(from, start) + replacement;
    from = start + length;
  }
  return out + text.slice(from);
}

/** Computes the edit without touching the disk; preview and execute both use it. */
async function plan(input: Input, context: ToolContext): Promise<Plan> {
  const resolved = await resolveInWorkspace(context.workspace, input.path);
  if (!resolved.ok) return resolved;
  const shown = quote(resolved.relative);
  let before: string;
  try {
    const file = await readTextFile(resolved.path, shown, {
      missing: `file not found: ${shown}; use write_file to create a new file, or list_files to find the right path`,
      workspace: context.workspace,
    });
    if (!file.ok) return file;
    if (!file.exists) return { ok: false, error: `file not found: ${shown}` };
    if (file.notUtf8At !== undefined) {
      return {
        ok: false,
        error:
          `${shown} is not UTF-8 text (the byte at offset ${file.notUtf8At} is not valid UTF-8); edit_file would change ` +
          'bytes it did not touch. Use write_file with the whole new content instead',
      };
    }
    before = file.text;
  } catch (error) {
    const message = describeFsError(error, shown);
    if (message === undefined) throw error;
    return { ok: false, error: message };
  }

  if (input.old_string === input.new_string) {
    return { ok: false, error: 'old_string and new_string are identical; there is nothing to change' };
  }
  const starts = occurrences(before, input.old_string);
  if (starts.length === 0) {
    const crlf =
      before.includes('\r\n') && input.old_string.includes('\n') && !input.old_string.includes('\r\n')
        ? ' Note that the file uses CRLF (\\r\\n) line endings.'
        : '';
    return {
      ok: false,
      error:
        `old_string was not found in ${shown} (0 occurrences). It must match the file exactly, ` +
        `including whitespace and indentation; read_file the file to see its current text.${crlf}`,
    };
  }
  if (starts.length > 1 && !input.replace_all) {
    return {
      ok: false,
      error:
        `old_string occurs ${starts.length} times in ${shown}; it must occur exactly once. Include more ` +
        'surrounding lines to make it unique, or set replace_all to true to replace every occurrence.',
    };
  }
  const chosen = input.replace_all ? starts : starts.slice(0, 1);
  // The size is worked out before the new text is built, so a huge replace_all is not built at all.
  const limit = writeLimit(context);
  const size =
    Buffer.byteLength(before, 'utf8') +
    chosen.length * (Buffer.byteLength(input.new_string, 'utf8') - Buffer.byteLength(input.old_string, 'utf8'));
  if (size > limit) return { ok: false, error: tooLarge(`the edit would leave ${shown} at`, size, limit) };
  return {
    ok: true,
    absolute: resolved.path,
    relative: resolved.relative,
    before,
    after: splice(before, chosen, input.old_string.length, input.new_string),
    count: chosen.length,
  };
}

function edited(planned: Extract<Plan, { ok: true }>): ToolOutput {
  const what = planned.count === 1 ? '1 occurrence' : `${planned.count} occurrences`;
  return toolOk(`edited ${quote(planned.relative)}: replaced ${what}`);
}

export const editFileTool: Tool<Input> = {
  name: 'edit_file',
  description:
    'Replace exact text in an existing file. old_string must match the file exactly (whitespace ' +
    'included) and occur exactly once, unless replace_all is true. Read the file first.',
  inputSchema: toolInputSchemas.edit_file,

  async preview(input, context): Promise<ToolPreview> {
    const planned = await plan(input, context);
    if (!planned.ok) return { kind: 'text', text: `edit_file will fail: ${planned.error}` };
    return diffPreview(planned.relative, planned.before, planned.after, false);
  },

  async effect(input, context): Promise<ToolEffect | undefined> {
    const planned = await plan(input, context);
    if (!planned.ok) return undefined;
    return { path: planned.absolute, after_sha256: sha256(Buffer.from(planned.after, 'utf8')), output: edited(planned) };
  },

  async execute(input, context) {
    // Planned again, not reused: the edit applies to the file as it is now (another ticket may
    // have written it since the intent's plan).
    const planned = await plan(input, context);
    if (!planned.ok) return toolError(planned.error);
    return guardFs(quote(planned.relative), async () => {
      await writeFileAtomic(planned.absolute, planned.after);
      return edited(planned);
    });
  },
};
