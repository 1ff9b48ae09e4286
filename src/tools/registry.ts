import { errorText } from '../protocol/error-text.js';
import { redact } from '../protocol/redact.js';
import { z } from 'zod';
import {
  isToolName,
  toolNames,
  type ToolName,
  type ToolInput,
  type ToolEffect,
  type ToolOutput,
  type ToolPreview,
} from '../protocol/index.js';
import type { Tool, ToolContext } from './tool.js';
import { editFileTool } from './edit-file.js';
import { listFilesTool } from './list-files.js';
import { readFileTool } from './read-file.js';
import { readSkeletonTool } from './read-skeleton.js';
import { runCommandTool } from './run-command.js';
import { searchFilesTool } from './search-files.js';
import { taskCompleteTool } from './task-complete.js';
import { writeFileTool } from './write-file.js';
import { approveChangeTool, proposeTrackTool, requestChangesTool, reviseTrackTool } from './plan-tools.js';

/**
 * The one place that maps a tool name to its implementation, and the boundary where the model's
 * raw input is validated and any unexpected exception is turned into data, so the agent loop
 * never crashes because of a tool.
 */

export const tools: { readonly [N in ToolName]: Tool<ToolInput<N>> } = {
  read_file: readFileTool,
  list_files: listFilesTool,
  search_files: searchFilesTool,
  read_skeleton: readSkeletonTool,
  write_file: writeFileTool,
  edit_file: editFileTool,
  run_command: runCommandTool,
  task_complete: taskCompleteTool,
  propose_track: proposeTrackTool,
  revise_track: reviseTrackTool,
  approve_change: approveChangeTool,
  request_changes: requestChangesTool,
};

/**
 * Structurally the ToolSpec of src/models/model-client.ts; declared here because tools/ may not
 * import models/ (DESIGN §2).
 */
export interface ToolSpec {
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
}

/**
 * The specs to offer the model. An unknown name is a configuration bug (config validation should
 * have caught it), so it throws rather than silently dropping a tool.
 */
// Converting a zod schema costs more than a whole scripted turn, and every turn asks: convert once.
const specCache = new Map<string, ToolSpec>();

export function toolSpecs(names: readonly string[]): ToolSpec[] {
  return names.map((name) => {
    if (!isToolName(name)) {
      throw new Error(`unknown tool ${JSON.stringify(name)}; known tools: ${toolNames.join(', ')}`);
    }
    let spec = specCache.get(name);
    if (!spec) {
      const tool = tools[name] as Tool;
      const { $schema: _ignored, ...schema } = z.toJSONSchema(tool.inputSchema) as Record<string, unknown>;
      spec = { name: tool.name, description: tool.description, input_schema: schema };
      specCache.set(name, spec);
    }
    return spec;
  });
}

/** Readable zod issues: `path: message; path: message`. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'input';
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}

type Lookup =
  | { ok: true; tool: Tool; input: unknown }
  | { ok: false; error: string };

function lookup(name: string, rawInput: unknown, context: ToolContext): Lookup {
  const offered = context.enabledTools;
  if (!isToolName(name) || (offered !== undefined && !offered.includes(name))) {
    const available = (offered ?? toolNames).join(', ');
    return { ok: false, error: `unknown tool ${JSON.stringify(name)}; available tools: ${available}` };
  }
  const tool = tools[name] as Tool;
  const parsed = tool.inputSchema.safeParse(rawInput);
  if (!parsed.success) {
    return { ok: false, error: `invalid input for ${name}: ${formatIssues(parsed.error)}` };
  }
  return { ok: true, tool, input: parsed.data };
}


/**
 * Runs one call. Whatever it answers is redacted of the context's secrets (in their common
 * encodings too) here, before it is journaled, stored, shown or sent to the model.
 */
export async function executeTool(name: string, rawInput: unknown, context: ToolContext): Promise<ToolOutput> {
  const output = await executeUnredacted(name, rawInput, context);
  const secrets = context.secrets ?? [];
  if (secrets.length === 0) return output;
  const content = redact(output.content, secrets);
  return content === output.content ? output : { ...output, content };
}

async function executeUnredacted(name: string, rawInput: unknown, context: ToolContext): Promise<ToolOutput> {
  const found = lookup(name, rawInput, context);
  if (!found.ok) return { content: found.error, is_error: true };
  try {
    return await found.tool.execute(found.input, context);
  } catch (error) {
    return { content: `internal error in tool ${name}: ${errorText(error)}`, is_error: true };
  }
}

/** A preview with every text it carries redacted of the secrets. */
function redactPreview(preview: ToolPreview, secrets: readonly string[]): ToolPreview {
  if (secrets.length === 0) return preview;
  const clean = (text: string) => redact(text, secrets);
  switch (preview.kind) {
    case 'text':
      return { ...preview, text: clean(preview.text) };
    case 'command':
      return { ...preview, argv: preview.argv.map(clean), cwd: clean(preview.cwd) };
    case 'diff': {
      const out: ToolPreview = { ...preview, path: clean(preview.path), diff: clean(preview.diff) };
      if (preview.before !== undefined) out.before = clean(preview.before);
      if (preview.after !== undefined) out.after = clean(preview.after);
      return out;
    }
  }
}

/**
 * What the human sees at pause 1. Never throws: a problem becomes a text preview that says so,
 * since the human still has to decide what to do with the call.
 */
export async function previewTool(name: string, rawInput: unknown, context: ToolContext): Promise<ToolPreview> {
  return redactPreview(await previewUnredacted(name, rawInput, context), context.secrets ?? []);
}

async function previewUnredacted(name: string, rawInput: unknown, context: ToolContext): Promise<ToolPreview> {
  const found = lookup(name, rawInput, context);
  if (!found.ok) return { kind: 'text', text: found.error };
  if (found.tool.preview === undefined) {
    return { kind: 'text', text: JSON.stringify(found.input, null, 2) };
  }
  try {
    return await found.tool.preview(found.input, context);
  } catch (error) {
    return { kind: 'text', text: `no preview: internal error in tool ${name}: ${errorText(error)}` };
  }
}

/** Tools that change the workspace or the world: each call gets an intent row before it starts. */
export const sideEffectTools: ReadonlySet<string> = new Set(['write_file', 'edit_file', 'run_command']);

/**
 * What a file-writing call will leave behind, for its intent row; undefined for a call that would
 * fail, for a tool without a file effect, and when working it out fails (the call then just runs).
 */
export async function plannedEffect(name: string, rawInput: unknown, context: ToolContext): Promise<ToolEffect | undefined> {
  const found = lookup(name, rawInput, context);
  if (!found.ok || found.tool.effect === undefined) return undefined;
  try {
    const effect = await found.tool.effect(found.input, context);
    // After a crash the stored effect's output stands in for the call's: it is cleared like any output.
    const secrets = context.secrets ?? [];
    return effect && secrets.length > 0 ? { ...effect, output: { ...effect.output, content: redact(effect.output.content, secrets) } } : effect;
  } catch {
    return undefined;
  }
}
