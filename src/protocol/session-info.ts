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
}
