import type { z } from 'zod';
import type { ToolEffect, ToolOutput, ToolPreview } from '../protocol/index.js';

/** How run_command contains what it starts (agents.toml: [execution] sandbox and the archetype's limits). */
export interface CommandSandbox {
  /** "bwrap": under bubblewrap (the default). "none": unsandboxed, only when agents.toml says so. */
  kind: 'bwrap' | 'none';
  /** The command may reach the network (default false: an empty network namespace). */
  network: boolean;
  /** Extra environment variables, beside PATH, HOME, LANG and TZ. */
  env: Readonly<Record<string, string>>;
  /** Most processes at once. */
  maxProcesses: number;
  /** Most memory, in MiB. */
  maxMemoryMb: number;
  /**
   * Absolute paths under the workspace that stay read-only inside the sandbox (a worktree's `.git`
   * file); the repository itself lies outside the workspace and is read-only like the rest of /.
   */
  readOnly?: readonly string[];
}

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
  /** How run_command is contained. Absent means bubblewrap with the default limits, never unsandboxed. */
  sandbox?: CommandSandbox;
  /** Most bytes a write_file or edit_file may leave in a file (absent: the default, 8 MiB). */
  maxWriteBytes?: number;
  /**
   * Secret values (API keys and the like) that must never leave a tool call: every output is
   * redacted of them, in their common encodings too, before it is journaled, stored, shown or sent.
   */
  secrets?: readonly string[];
  /**
   * The planner's check of a proposed track (propose_track, revise_track): every problem a track
   * file with these tickets would have, none when it is valid. Only the planner's agents have it.
   */
  checkTrack?: (proposal: unknown) => string[];
  /**
   * Within one approved call (runToolOnce): what write_file worked out for the call's intent, its
   * effect, handed on to its execute, so the path is checked and the file read once per call. (The
   * content it writes is the call's own; edit_file plans again, since its result depends on the file.)
   */
  planned?: Map<string, Promise<unknown>>;
}

/** The call's plan, from `context.planned` when the effect of this call already made it. */
export function plannedOnce<Plan>(context: ToolContext, tool: string, make: () => Promise<Plan>): Promise<Plan> {
  const memo = context.planned;
  if (memo === undefined) return make();
  let plan = memo.get(tool) as Promise<Plan> | undefined;
  if (plan === undefined) {
    plan = make();
    memo.set(tool, plan);
  }
  return plan;
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
