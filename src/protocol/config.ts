import type { ToolName } from './tool-inputs.js';

export type TrustLevel = 'step' | 'auto';
export type TrustOverride = 'none' | TrustLevel;
export type ExecutionMode = 'async' | 'linear';

/** The trust a worker runs with: the global override when there is one, else its archetype's own. */
export function effectiveTrust(trust: TrustLevel, override: TrustOverride): TrustLevel {
  return override === 'none' ? trust : override;
}

export interface ExecutionConfig {
  mode: ExecutionMode;
  max_concurrency: number;
  trust_override: TrustOverride;
  /** Where debug_state.json goes, relative to the run folder unless absolute. */
  debug_state_path: string;
  /**
   * The run store (SQLite), as an absolute path: the file gives it relative to itself. Unset means
   * `.clutch/clutch.db` under the folder Clutch runs in.
   */
  store?: string;
  /**
   * "worktree" (the default when loaded from agents.toml): each ticket works in its own git worktree,
   * merged into the run's integration branch when it completes. "shared": every ticket works in the
   * run's one workspace. Unset (a config built in code) means shared.
   */
  isolation?: 'worktree' | 'shared';
  /** How run_command is contained: "bwrap" (bubblewrap, the default) or "none" (unsandboxed, said in red). */
  sandbox?: 'bwrap' | 'none';
  /** Most bytes one write_file or edit_file may leave in a file (default 8 MiB). */
  max_write_bytes?: number;
  /** Reviews that may request changes before the ticket blocks (default 2). */
  max_review_rounds?: number;
  /** Lines of a failing command's raw output the worker gets beside the QA hint, head and tail (default 20). */
  qa_raw_lines?: number;
  /** Times the human may send a plan back to the pm (default 3). */
  max_plan_rounds?: number;
  /** US dollars the whole run may spend before every ticket stops at a budget pause. */
  max_cost_per_run?: number;
}

export type ModelProvider = 'scripted' | 'anthropic' | 'openai';

export interface ModelProfile {
  provider: ModelProvider;
  /** scripted: absolute path of the JSON script (the file may give it relative to itself). */
  script?: string;
  /** anthropic, openai: model id, e.g. claude-sonnet-4-6 or qwen2.5-coder:7b. */
  model?: string;
  max_tokens?: number;
  /** anthropic, openai: the organization's limits, for the shared rate-limit scheduler. */
  requests_per_minute?: number;
  input_tokens_per_minute?: number;
  output_tokens_per_minute?: number;
  /** anthropic, openai: most requests in flight at once for this profile (across all workers). */
  max_concurrency?: number;
  /** anthropic, openai: US dollars per million tokens, for the cost estimate. */
  input_price_per_mtok?: number;
  output_price_per_mtok?: number;
  /** anthropic, openai: seconds a stream may send nothing before it is dropped and retried (default 60). */
  idle_timeout_s?: number;
  /** openai: the endpoint's base URL (…/v1). */
  base_url?: string;
  /** openai: the environment variable holding the key; unset for a local server. */
  api_key_env?: string;
}

export interface AgentArchetype {
  tier: 1 | 2 | 3 | 4;
  model: string;
  trust_level: TrustLevel;
  tools: ToolName[];
  allowed_commands: string[];
  max_turns: number;
  system_prompt: string;
  /** Seconds a run_command may take before it is killed. */
  command_timeout_s: number;
  /** run_command may reach the network (default false: its own empty network namespace). */
  network?: boolean;
  /** Extra environment variables for run_command, beside PATH, HOME, LANG and TZ. */
  env?: Record<string, string>;
  /** Most processes one run_command may have at once (default 256). */
  max_processes?: number;
  /** Most memory one run_command may use, in MiB (default 2048). */
  max_memory_mb?: number;
  /** The archetype that reviews this one's finished tickets (tier 2), if any. */
  review_by?: string;
  /** The archetype that turns this one's failing commands into a fix hint (tier 4), if any. */
  qa_by?: string;
  /** Tokens one ticket of this archetype may spend (every attempt, its review and QA) before its budget pause. */
  max_tokens_per_ticket?: number;
  /** US dollars one ticket of this archetype may spend before its budget pause. */
  max_cost_per_ticket?: number;
}

export interface ClutchConfig {
  /** Absolute path of the file this came from, for messages. */
  source: string;
  execution: ExecutionConfig;
  models: Record<string, ModelProfile>;
  agents: Record<string, AgentArchetype>;
}
