import { toolInputSchemas, type ToolInput } from '../protocol/index.js';
import type { Tool } from './tool.js';
import { guardFs, listedPath, quote, statOrUndefined, toolError, toolOk } from './files.js';
import { hasGitComponent, resolveInWorkspace } from './sandbox.js';
import { walk, type WalkEntry } from './walk.js';

type Input = ToolInput<'list_files'>;

/** Past this many entries the listing stops: the model should narrow down, not page through. */
export const MAX_LIST_ENTRIES = 1000;

/** One line per entry; a name with a line break or another control character is quoted as JSON. */
function describe(entry: WalkEntry): string {
  const shown = listedPath(entry.relative);
  switch (entry.kind) {
    case 'dir':
      return `${shown}/`;
    case 'symlink':
      return `${shown} (symlink)`;
    default:
      return shown;
  }
}

export const listFilesTool: Tool<Input> = {
  name: 'list_files',
  description:
    'List a directory of the workspace (default: the root), sorted. Paths are relative to the ' +
    'workspace root; directories end with "/". With recursive, subdirectories are listed too. ' +
    'node_modules and .git are skipped; symlinks are marked and not followed. A name with a line ' +
    'break or another control character is shown as a JSON string.',
  inputSchema: toolInputSchemas.list_files,

  async execute(input, context) {
    const resolved = await resolveInWorkspace(context.workspace, input.path ?? '.', { allowRoot: true });
    if (!resolved.ok) return toolError(resolved.error);
    const shown = quote(resolved.relative);

    return guardFs(shown, async () => {
      const info = await statOrUndefined(resolved.path);
      if (info === undefined) {
        return toolError(`directory not found: ${shown}; list "." to see what the workspace holds`);
      }
      if (!info.isDirectory()) {
        return toolError(`${shown} is a file, not a directory; use read_file to read it`);
      }

      const lines: string[] = [];
      let used = 0;
      let more = false;
      for await (const entry of walk(resolved.path, resolved.relative, input.recursive ?? false)) {
        // git's own data, whatever the case of its name, is not the model's business.
        if (hasGitComponent(entry.relative)) continue;
        const line = describe(entry);
        const bytes = Buffer.byteLength(line, 'utf8') + 1;
        if (lines.length >= MAX_LIST_ENTRIES || used + bytes > context.maxOutputBytes) {
          // Stop walking at once: a huge tree should not cost a full traversal.
          more = true;
          break;
        }
        lines.push(line);
        used += bytes;
      }

      if (lines.length === 0) return toolOk(`(${shown} is an empty directory)`);
      if (more) {
        lines.push(
          `[… listing truncated after ${lines.length} entries; list a subdirectory or drop recursive to see the rest …]`,
        );
      }
      return toolOk(lines.join('\n'));
    });
  },
};
