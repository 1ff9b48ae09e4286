import type { z } from 'zod';
import type { ToolEffect, ToolOutput, ToolPreview } from '../protocol/index.js';

/** What a tool call may touch: everything comes from the archetype and the run, never globals. */
export interface ToolContext {
  /** Absolute, real path of the workspace root. Every path a tool touches resolves inside it. */
  workspace: string;
  /** Program names (argv[0]) run_command may start. */
  allowedCommands: readonly string[];
  /** Default and ceiling for run_command, in milliseconds. */
  commandTimeoutMs: number;
  /** Output beyond this many bytes is cut, with a marker saying how much was dropped. */
  maxOutputBytes: number;
  signal?: AbortSignal;
  /**
   * Tool names this agent was given (the archetype's list). When set, executeTool refuses any
   * other tool, so a model cannot call a tool it was never offered.
   */
  enabledTools?: readonly string[];
  /** Told the pid of a command's process group as soon as it starts (its intent records it). */
  onSpawn?: (pid: number) => void;
}

export interface Tool<Input = unknown> {
  name: string;
  description: string;
  inputSchema: z.ZodType<Input>;
  /** What the human sees before the call runs (pause 1). Must not change the workspace. */
  preview?(input: Input, context: ToolContext): Promise<ToolPreview>;
  /**
   * For a tool that writes a file: the file and its content hash once the call has run, and what the
   * call then answers; undefined when the call would fail (and so change nothing). Must not change
   * the workspace.
   */
  effect?(input: Input, context: ToolContext): Promise<ToolEffect | undefined>;
  /** Runs the call. A problem the model can act on is returned with is_error, never thrown. */
  execute(input: Input, context: ToolContext): Promise<ToolOutput>;
}
