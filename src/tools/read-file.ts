import { toolInputSchemas, type ToolInput } from '../protocol/index.js';
import type { Tool } from './tool.js';
import { guardFs, quote, readTextFile, toolError, toolOk } from './files.js';
import { utf8Prefix } from './output.js';
import { resolveInWorkspace } from './sandbox.js';

type Input = ToolInput<'read_file'>;

/** Numbered like `   12| text`, so the model can cite lines and pick an offset to continue. */
export function numberLine(lineNumber: number, text: string): string {
  return `${String(lineNumber).padStart(5)}| ${text}`;
}

/**
 * The first line of read_file's answer for a file that is not UTF-8: its text is shown, with the
 * bytes that are not UTF-8 as U+FFFD, and edit_file will not touch it.
 */
export function notUtf8Note(shown: string, offset: number): string {
  return (
    `[note: ${shown} is not UTF-8 text (the byte at offset ${offset} is not valid UTF-8); such bytes are shown as U+FFFD (\uFFFD). ` +
    'edit_file refuses this file (it would change bytes it did not touch); write_file can replace it whole.]'
  );
}

export const readFileTool: Tool<Input> = {
  name: 'read_file',
  description:
    'Read a text file from the workspace. Lines come back numbered ("   12| text"). Use offset ' +
    '(1-based first line) and limit (number of lines) to read part of a long file.',
  inputSchema: toolInputSchemas.read_file,

  async execute(input, context) {
    const resolved = await resolveInWorkspace(context.workspace, input.path);
    if (!resolved.ok) return toolError(resolved.error);
    const shown = quote(resolved.relative);

    return guardFs(shown, async () => {
      const file = await readTextFile(resolved.path, shown, {
        missing: `file not found: ${shown}; use list_files to see which files exist`,
        workspace: context.workspace,
      });
      if (!file.ok) return toolError(file.error);
      if (!file.exists) return toolError(`file not found: ${shown}`);
      if (file.text.length === 0) return toolOk(`(${shown} is an empty file)`);
      const note = file.notUtf8At === undefined ? '' : `${notUtf8Note(shown, file.notUtf8At)}\n`;

      const lines = file.text.split('\n');
      // "a\nb\n" is two lines, not three.
      if (lines.at(-1) === '') lines.pop();
      const total = lines.length;
      const first = input.offset ?? 1;
      if (first > total) {
        return toolError(
          `offset ${first} is past the end of ${shown}, which has ${total} line${total === 1 ? '' : 's'}`,
        );
      }
      const last = Math.min(total, input.limit === undefined ? total : first + input.limit - 1);

      const budget = Math.max(0, context.maxOutputBytes - Buffer.byteLength(note, 'utf8'));
      const out: string[] = [];
      let used = 0;
      let shownUpTo = first - 1;
      let cut = false;
      let partial = false;
      for (let n = first; n <= last; n++) {
        // Drop a trailing \r so CRLF files do not garble the output.
        const line = numberLine(n, (lines[n - 1] ?? '').replace(/\r$/, ''));
        const bytes = Buffer.byteLength(line, 'utf8') + 1;
        if (used + bytes > budget) {
          if (out.length === 0) {
            // A single huge line: show what fits rather than nothing.
            out.push(utf8Prefix(line, budget));
            shownUpTo = n;
            partial = true;
          }
          cut = true;
          break;
        }
        out.push(line);
        used += bytes;
        shownUpTo = n;
      }

      let text = note + out.join('\n');
      if (cut) {
        const next = shownUpTo < total ? `; continue with offset=${shownUpTo + 1}` : '';
        const part = partial ? ` (line ${shownUpTo} only in part)` : '';
        text += `\n[… output truncated at ${budget} bytes: showed lines ${first}-${shownUpTo} of ${total}${part}${next} …]`;
      } else if (last < total) {
        text += `\n[… ${total - last} more lines; continue with offset=${last + 1} …]`;
      }
      return toolOk(text);
    });
  },
};
