import path from 'node:path';
import { executionDefaults } from '../protocol/config-schema.js';
import { toolInputSchemas, type ToolEffect, type ToolInput, type ToolOutput, type ToolPreview } from '../protocol/index.js';
import { plannedOnce, type Tool, type ToolContext } from './tool.js';
import { diffPreview } from './diff-preview.js';
import { describeFsError, guardFs, quote, readTextFile, sha256, toolError, toolOk, writeFileAtomic } from './files.js';
import { errorCode, resolveInWorkspace } from './sandbox.js';
import { mkdirs } from './fs-calls.js';

type Input = ToolInput<'write_file'>;

type Plan =
  | {
      ok: true;
      absolute: string;
      relative: string;
      before: string;
      created: boolean;
      /** The file was not there and its folder was (see ResolveResult.absent): no read, no mkdir. */
      absent?: true;
      /** Why the current content is not shown (the file shares its content with a name outside). */
      hidden?: string;
    }
  | { ok: false; error: string };

/** Most bytes a write may leave in a file: the context's max_write_bytes, or its default. */
export function writeLimit(context: ToolContext): number {
  return context.maxWriteBytes ?? executionDefaults.max_write_bytes;
}

/** The refusal of a write whose result would be larger than max_write_bytes. */
export function tooLarge(what: string, size: number, limit: number): string {
  return (
    `${what} ${size} bytes, more than the limit of ${limit} bytes (max_write_bytes in agents.toml's [execution]); ` +
    'nothing was written: write a smaller file, or split the content over several files'
  );
}

/** Shared by preview and execute, so the human approves exactly what will be written. */
async function plan(input: Input, context: ToolContext): Promise<Plan> {
  // Refused before anything else: a huge content is neither diffed nor written.
  const size = Buffer.byteLength(input.content, 'utf8');
  const limit = writeLimit(context);
  if (size > limit) return { ok: false, error: tooLarge(`the content for ${JSON.stringify(input.path)} is`, size, limit) };
  const resolved = await resolveInWorkspace(context.workspace, input.path);
  if (!resolved.ok) return resolved;
  const shown = quote(resolved.relative);
  // Not there a moment ago, in a real folder: nothing to read (the read would say ENOENT).
  if (resolved.absent) return { ok: true, absolute: resolved.path, relative: resolved.relative, before: '', created: true, absent: true };
  try {
    // A file shared with a name outside is replaced (the rename leaves the other name as it is),
    // but what it holds is not shown.
    const current = await readTextFile(resolved.path, shown, { workspace: context.workspace, shared: 'hide' });
    if (!current.ok) {
      return { ok: false, error: `cannot write ${shown}: ${current.error}` };
    }
    return {
      ok: true,
      absolute: resolved.path,
      relative: resolved.relative,
      before: current.text,
      created: !current.exists,
      ...(current.exists && current.hidden !== undefined ? { hidden: current.hidden } : {}),
    };
  } catch (error) {
    const message = describeFsError(error, shown);
    if (message === undefined) throw error;
    return { ok: false, error: `cannot write ${shown}: ${message}` };
  }
}

function written(input: Input, planned: Extract<Plan, { ok: true }>): ToolOutput {
  const bytes = Buffer.byteLength(input.content, 'utf8');
  const link = planned.hidden === undefined ? '' : '; it was a hard link shared with a name outside the workspace, which keeps its old content';
  return toolOk(`wrote ${bytes} bytes to ${quote(planned.relative)} (${planned.created ? 'created' : 'replaced'}${link})`);
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
    return diffPreview(planned.relative, planned.before, input.content, planned.created, {
      ...(planned.hidden !== undefined ? { hiddenBefore: 'current content not shown: a hard link shared with a name outside the workspace (that name keeps its content)' } : {}),
    });
  },

  async effect(input, context): Promise<ToolEffect | undefined> {
    const planned = await plannedOnce(context, 'write_file', () => plan(input, context));
    if (!planned.ok) return undefined;
    return {
      path: planned.absolute,
      after_sha256: sha256(Buffer.from(input.content, 'utf8')),
      output: written(input, planned),
      ...(planned.created ? { created: true as const } : {}),
    };
  },

  async execute(input, context) {
    const planned = await plannedOnce(context, 'write_file', () => plan(input, context));
    if (!planned.ok) return toolError(planned.error);
    return guardFs(quote(planned.relative), async () => {
      if (!planned.absent) await mkdirs(path.dirname(planned.absolute));
      try {
        await writeFileAtomic(planned.absolute, input.content, { created: planned.created });
      } catch (error) {
        // The folder the plan found has gone since (another ticket's command, say): made again.
        if (!planned.absent || errorCode(error) !== 'ENOENT') throw error;
        await mkdirs(path.dirname(planned.absolute));
        await writeFileAtomic(planned.absolute, input.content, { created: planned.created });
      }
      return written(input, planned);
    });
  },
};
