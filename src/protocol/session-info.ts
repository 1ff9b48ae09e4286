export interface TicketSummary {
  id: string;
  target_file: string;
  prompt: string;
  worker_archetype: string;
  dependencies: string[];
}

/** What the UI is told about the run served, first thing on every connection. */
export interface SessionInfo {
  run_id: string;
  track: { id: string; title: string; description: string; tickets: TicketSummary[] };
  /** e.g. "scripted model": the UI shows it in the global bar. */
  model_label: string;
  workspace: string;
  archetypes: Record<string, { tier: number; trust_level: string; model: string }>;
  /** "worktree": each ticket has its own git worktree and diff. "shared": one workspace for all. */
  isolation: 'worktree' | 'shared';
  /** How run_command is contained: "bwrap", or "none" (unsandboxed: the global bar says so, in red). */
  sandbox: 'bwrap' | 'none';
  /** Why bubblewrap cannot contain commands on this machine (run_command then refuses), with the fix. */
  sandbox_problem?: string;
  /** The request the run began from (its track is the plan approved for it), or null for a run of a track file. */
  request: string | null;
  /** Whether the configuration can plan a request (it has a tier 1 archetype): the app then offers New request. */
  planning: boolean;
  /** A request to offer in the New request box (the offline demo's, on its workspace), or null. */
  request_example: string | null;
}
