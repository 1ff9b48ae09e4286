import type { RunListEntry, ToolEffect, ToolOutput } from '../protocol/index.js';

export type { ToolEffect };

/** What the store keeps about a run, as the runs table has it. */
export interface RunRecord {
  id: string;
  track_id: string;
  track_title: string;
  /** Absolute paths and content hashes of the inputs, checked again on resume. */
  track_path: string;
  track_hash: string;
  config_path: string;
  config_hash: string;
  /** The workspace the run's copy was made from (never changed by the run). */
  source_workspace: string;
  run_dir: string;
  /** The run's own copy of the workspace, where its tools work. */
  workspace: string;
  /** The flags the run was started with, reused on resume. */
  options: StoredRunOptions;
  /** running (some process has or had it), done, or stalled (nothing runnable, some blocked). */
  status: 'running' | 'done' | 'stalled';
  tickets_total: number;
  tickets_completed: number;
  /** The process that has the run open; null once it let go. */
  owner_pid: number | null;
  created: number;
  updated: number;
}

export interface StoredRunOptions {
  mode?: 'async' | 'linear';
  trust?: 'step' | 'auto';
  model?: string;
  /** --script: the scripted profile's script for this run (absolute), so a resume replays the same one. */
  script?: string;
  record?: string;
  replay?: string;
  /** "worktree" when the run's workspace is a repository with a worktree per ticket (absent: shared). */
  isolation?: 'worktree';
  /** The request the run began from: its track is the approved plan, written to the run folder's track.toml. */
  request?: string;
}

export type NewRun = Omit<RunRecord, 'status' | 'tickets_completed' | 'owner_pid' | 'updated'>;

/** A run as `clutch runs` lists it: the web app's entry, and where its folder is. */
export interface RunSummary extends RunListEntry {
  run_dir: string;
}

export interface ToolCallKey {
  ticket: string;
  attempt: number;
  toolUseId: string;
}


/** A command's process group leader, with its start time so that a reused pid is never mistaken for it. */
export interface CommandProcess {
  pid: number;
  /** Field 22 of /proc/PID/stat (clock ticks since boot); null where there is no /proc. */
  start: string | null;
}

export interface ToolCallRecord {
  tool: string;
  input: unknown;
  effect: ToolEffect | null;
  process: CommandProcess | null;
  /** A rerun the human granted that has not started yet. */
  rerunGranted: boolean;
  result: ToolOutput | null;
}
