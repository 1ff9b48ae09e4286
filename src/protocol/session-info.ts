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
}
