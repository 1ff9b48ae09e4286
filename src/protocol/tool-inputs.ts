import { z } from 'zod';

/** One ticket of a proposed track: the fields of a [[tickets]] table of a track file. */
export const proposedTicketSchema = z.strictObject({
  id: z.string().min(1).describe('A short id: letters, digits, "-", "_", "."'),
  target_file: z.string().min(1).describe('The one file the ticket is about, relative to the workspace'),
  prompt: z.string().min(1).describe('What the worker must do, precisely, and how it can check it'),
  worker_archetype: z.string().min(1).describe('The archetype that carries it out (an implementation tier archetype)'),
  dependencies: z.array(z.string()).optional().describe('Ids of the tickets that must be completed first'),
});

/** A proposed track: what propose_track and revise_track take, and a plan edit. */
export const proposedTrackSchema = z.strictObject({
  title: z.string().min(1).describe('The track title'),
  description: z.string().optional(),
  tickets: z.array(proposedTicketSchema).min(1).describe('The tickets, in the order linear mode runs them'),
});
export type ProposedTrack = z.infer<typeof proposedTrackSchema>;

/**
 * Input schemas of every tool. They live in protocol because the worker statechart validates an
 * edited payload against them, and machines may not import tools/.
 */
export const toolInputSchemas = {
  read_file: z.strictObject({
    path: z.string().min(1).describe('Path relative to the workspace root'),
    offset: z.number().int().min(1).optional().describe('First line to read (1-based)'),
    limit: z.number().int().min(1).optional().describe('How many lines to read at most'),
  }),
  list_files: z.strictObject({
    path: z.string().min(1).optional().describe('Directory relative to the workspace root (default ".")'),
    recursive: z.boolean().optional().describe('List subdirectories too'),
  }),
  search_files: z.strictObject({
    pattern: z.string().min(1).describe('Text to look for (a JavaScript regular expression if regex is true)'),
    path: z.string().min(1).optional().describe('Directory to search (default ".")'),
    regex: z.boolean().optional(),
  }),
  read_skeleton: z.strictObject({
    path: z.string().min(1).describe('Path of a .ts .tsx .mts .cts .js .jsx .mjs or .cjs file, relative to the workspace root'),
  }),
  write_file: z.strictObject({
    path: z.string().min(1),
    content: z.string(),
  }),
  edit_file: z.strictObject({
    path: z.string().min(1),
    old_string: z.string().min(1).describe('Exact text to replace; must occur once unless replace_all'),
    new_string: z.string(),
    replace_all: z.boolean().optional(),
  }),
  run_command: z.strictObject({
    argv: z.array(z.string()).min(1).describe('Program and arguments; no shell is involved'),
    cwd: z.string().min(1).optional().describe('Directory relative to the workspace root'),
    timeout_ms: z.number().int().min(1).max(600_000).optional(),
  }),
  task_complete: z.strictObject({
    summary: z.string().min(1).describe('What was done, for the human and the conductor'),
  }),
  // The planning and review tiers' own tools: a call that the tool accepts ends the agent's work.
  propose_track: proposedTrackSchema,
  revise_track: proposedTrackSchema.extend({
    note: z.string().min(1).describe('What was changed in the plan and why'),
  }),
  approve_change: z.strictObject({
    comment: z.string().optional().describe('Anything worth telling the human about the change'),
  }),
  request_changes: z.strictObject({
    comments: z.string().min(1).describe('Exactly what the worker must change, point by point'),
  }),
} as const;

export type ToolName = keyof typeof toolInputSchemas;
export const toolNames = Object.keys(toolInputSchemas) as ToolName[];
export type ToolInput<N extends ToolName> = z.infer<(typeof toolInputSchemas)[N]>;

export function isToolName(name: string): name is ToolName {
  return Object.hasOwn(toolInputSchemas, name);
}

/** What a tool hands back to the model. A tool error is data (is_error), never an exception. */
export interface ToolOutput {
  content: string;
  is_error: boolean;
  /** run_command: the exit code of a command that ran to its end (not killed, not refused). */
  exit_code?: number;
}

/**
 * What a file-writing call is about to do, worked out before it runs and recorded with its intent,
 * so that a rerun after a crash can tell by the file's hash whether the write already happened.
 */
export interface ToolEffect {
  /** Absolute path of the file written. */
  path: string;
  /** sha256 (hex) of the file's content once the call has run. */
  after_sha256: string;
  /** What the call answers when it succeeds. */
  output: ToolOutput;
  /** The file did not exist when the call was planned (write_file creating it): its original is "none". */
  created?: true;
}

/** What the human sees at pause 1. */
export type ToolPreview =
  | {
      kind: 'diff';
      path: string;
      diff: string;
      created: boolean;
      /**
       * The whole file before and after the call, for the web app's diff editor (the human edits the
       * proposed file and accepts or rejects single hunks). Left out for files too large to send twice.
       */
      before?: string;
      after?: string;
    }
  | { kind: 'command'; argv: string[]; cwd: string; timeout_ms: number }
  | { kind: 'text'; text: string };
