import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { toolInputSchemas, type ToolEffect, type ToolInput, type ToolOutput, type ToolPreview } from '../protocol/index.js';
import type { Tool, ToolContext } from './tool.js';
import { diffPreview } from './diff-preview.js';
import { describeFsError, guardFs, quote, readTextFile, sha256, toolError, toolOk, writeFileAtomic } from './files.js';
import { resolveInWorkspace } from './sandbox.js';

type Input = ToolInput<'write_file'>;

type Plan =
  | { ok: true; absolute: string; relative: string; before: string; created: boolean }
  | { ok: false; error: string };

/** Shared by preview and execute, so the human approves exactly what will be written. */
async function plan(input: Input, context: ToolContext): Promise<Plan> {
  const resolved = await resolveInWorkspace(context.workspace, input.path);
  if (!resolved.ok) return resolved;
  const shown = quote(resolved.relative);
  try {
    const current = await readTextFile(resolved.path, shown, undefined);
    if (!current.ok) {
      return { ok: false, error: `cannot write ${shown}: ${current.error}` };
    }
    return {
      ok: true,
      absolute: resolved.path,
      relative: resolved.relative,
      before: current.text,
      created: !current.exists,
    };
  } catch (error) {
    const message = describeFsError(error, shown);
    if (message === undefined) throw error;
    return { ok: false, error: `cannot write ${shown}: ${message}` };
  }
}

function written(input: Input, planned: Extract<Plan, { ok: true }>): ToolOutput {
  const bytes = Buffer.byteLength(input.content, 'utf8');
  return toolOk(`wrote ${bytes} bytes to ${quote(planned.relative)} (${planned.created ? 'created' : 'replaced'})`);
}

export const writeFileTool: Tool<Input> = {
  name: 'write_file',
  description:
    'Create a file, or replace its whole content, with the given text. Missing parent directories ' +
    'are created. To change part of an existing file, prefer edit_file.',
  inputSchema: toolInputSchemas.write_file,

  async preview(input, context): Promise<ToolPreview> {
    const planned = await plan(input, context);
    if (!planned.ok) return { kind: 'text', text: `write_file will fail: ${planned.error}` };
    return diffPreview(planned.relative, planned.before, input.content, planned.created);
  },

  async effect(input, context): Promise<ToolEffect | undefined> {
    const planned = await plan(input, context);
    if (!planned.ok) return undefined;
    return { path: planned.absolute, after_sha256: sha256(Buffer.from(input.content, 'utf8')), output: written(input, planned) };
  },

  async execute(input, context) {
    const planned = await plan(input, context);
    if (!planned.ok) return toolError(planned.error);
    return guardFs(quote(planned.relative), async () => {
      await mkdir(path.dirname(planned.absolute), { recursive: true });
      await writeFileAtomic(planned.absolute, input.content);
      return written(input, planned);
    });
  },
};
