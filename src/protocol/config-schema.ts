import { z } from 'zod';
import { toolNames, type ToolName } from './tool-inputs.js';

/**
 * Zod schemas of the two TOML files Clutch reads: agents.toml and a track file. They describe the
 * file as written (before defaults and cross-references are resolved); src/config turns the parsed
 * result into ClutchConfig / Track. Every object is strict so that a typo is an error, never a
 * silently ignored key.
 *
 * Convention used by the error formatter in src/config: a custom `error` string on a check states
 * what was EXPECTED ("a simple name ..."), so it can be rendered as `expected <error>, got <value>`.
 */

/** Ticket ids, track ids: safe in file names, URLs and log lines. */
export const simpleNamePattern = /^[A-Za-z0-9_.-]+$/;
const simpleName = z.string().regex(simpleNamePattern, {
  error: 'a simple name (letters, digits, "-", "_", ".")',
});

/** A program name for run_command's allow-list: a bare name, not a path or a command line. */
export const programNamePattern = /^[A-Za-z0-9_.+-]+$/;

const nonBlank = (what: string) =>
  z.string().refine((s) => s.trim().length > 0, { error: `a non-empty ${what}` });

export const executionDefaults = {
  mode: 'async',
  max_concurrency: 4,
  trust_override: 'none',
  debug_state_path: 'debug_state.json',
  isolation: 'worktree',
  sandbox: 'bwrap',
  max_write_bytes: 8 * 1024 * 1024,
  max_review_rounds: 2,
  qa_raw_lines: 20,
  max_plan_rounds: 3,
} as const;

/** Seconds a model stream may send nothing before it is dropped and retried (every network provider). */
export const defaultIdleTimeoutSeconds = 60;

/** Per-archetype command limits (run_command under the sandbox). */
export const commandLimitDefaults = { max_processes: 256, max_memory_mb: 2048 } as const;

/** An environment variable name a command may be given. */
export const envNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const executionFileSchema = z.strictObject({
  mode: z.enum(['async', 'linear']).default(executionDefaults.mode),
  max_concurrency: z.int().min(1).default(executionDefaults.max_concurrency),
  trust_override: z.enum(['none', 'step', 'auto']).default(executionDefaults.trust_override),
  debug_state_path: z.string().min(1).default(executionDefaults.debug_state_path),
  /** Relative to the config file. */
  store: z.string().min(1).optional(),
  isolation: z.enum(['worktree', 'shared']).default(executionDefaults.isolation),
  sandbox: z.enum(['bwrap', 'none']).default(executionDefaults.sandbox),
  max_write_bytes: z.int().min(1).max(1024 * 1024 * 1024).default(executionDefaults.max_write_bytes),
  /** Reviews that request changes before the ticket blocks with the last review as its reason. */
  max_review_rounds: z.int().min(1).max(20).default(executionDefaults.max_review_rounds),
  /** Lines of a failing command's raw output (head and tail together) that go to the worker beside the QA hint. */
  qa_raw_lines: z.int().min(0).max(2000).default(executionDefaults.qa_raw_lines),
  /** Times a plan may go back to the pm (by the human) before only edit and approve are left. */
  max_plan_rounds: z.int().min(1).max(20).default(executionDefaults.max_plan_rounds),
  /** US dollars the whole run may spend (every agent); reaching it pauses every ticket at its next model turn. */
  max_cost_per_run: z.number().positive().optional(),
});

export const scriptedProfileSchema = z.strictObject({
  provider: z.literal('scripted'),
  /** Relative to the config file. */
  script: z.string().min(1),
});

/** The keys every network provider shares: the model, its limits, its prices, the idle timeout. */
const networkProfileKeys = {
  model: z.string().min(1),
  max_tokens: z.int().min(1).optional(),
  requests_per_minute: z.int().min(1).optional(),
  input_tokens_per_minute: z.int().min(1).optional(),
  output_tokens_per_minute: z.int().min(1).optional(),
  max_concurrency: z.int().min(1).optional(),
  input_price_per_mtok: z.number().min(0).optional(),
  output_price_per_mtok: z.number().min(0).optional(),
  idle_timeout_s: z.int().min(1).max(3600).optional(),
};

export const anthropicProfileSchema = z.strictObject({
  provider: z.literal('anthropic'),
  ...networkProfileKeys,
});

export const openaiProfileSchema = z.strictObject({
  provider: z.literal('openai'),
  ...networkProfileKeys,
  /** The endpoint's base URL, up to and including /v1 (e.g. http://127.0.0.1:11434/v1 for Ollama). */
  base_url: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL such as "http://127.0.0.1:11434/v1"' }),
  /** The environment variable that holds the key; none for a local server that needs no key. */
  api_key_env: z.string().regex(envNamePattern, { error: 'an environment variable name such as "OPENROUTER_API_KEY"' }).optional(),
});

/** Discriminated on provider so a key that belongs to another provider is reported as unknown. */
export const modelProfileFileSchema = z.discriminatedUnion('provider', [
  scriptedProfileSchema,
  anthropicProfileSchema,
  openaiProfileSchema,
]);

/** run_command's own timeout_ms is capped at 600 s, so a longer archetype default would be a lie. */
export const maxCommandTimeoutSeconds = 600;
export const defaultCommandTimeoutSeconds = 60;

export const agentArchetypeFileSchema = z.strictObject({
  tier: z.int().min(1).max(4),
  model: z.string().min(1),
  trust_level: z.enum(['step', 'auto']),
  tools: z.array(z.enum(toolNames as [ToolName, ...ToolName[]])),
  allowed_commands: z
    .array(z.string().regex(programNamePattern, { error: 'a program name such as "node" (no spaces, no path)' }))
    .default([]),
  max_turns: z.int().min(1),
  system_prompt: nonBlank('system prompt'),
  command_timeout_s: z.int().min(1).max(maxCommandTimeoutSeconds).default(defaultCommandTimeoutSeconds),
  network: z.boolean().default(false),
  env: z
    .record(z.string().regex(envNamePattern, { error: 'an environment variable name such as "NODE_ENV"' }), z.string())
    .default({}),
  max_processes: z.int().min(1).max(65536).default(commandLimitDefaults.max_processes),
  max_memory_mb: z.int().min(16).max(1024 * 1024).default(commandLimitDefaults.max_memory_mb),
  /** The archetype (tier 2) that reviews this one's finished tickets; none: no review. */
  review_by: z.string().min(1).optional(),
  /** The archetype (tier 4) that turns this one's failing commands into a short fix hint; none: no QA. */
  qa_by: z.string().min(1).optional(),
  /** Tokens (input and output, every attempt, its review and QA) one ticket may spend before its budget pause. */
  max_tokens_per_ticket: z.int().min(1).optional(),
  /** US dollars one ticket may spend (as max_tokens_per_ticket counts them) before its budget pause. */
  max_cost_per_ticket: z.number().positive().optional(),
});

export const clutchConfigFileSchema = z.strictObject({
  // prefault: a missing [execution] is parsed as {} so every field gets its own default.
  execution: executionFileSchema.prefault({}),
  models: z.record(z.string(), modelProfileFileSchema),
  agents: z.record(z.string(), agentArchetypeFileSchema),
});

export const trackHeaderFileSchema = z.strictObject({
  id: simpleName,
  title: nonBlank('title'),
  description: z.string().default(''),
  /** Relative to the track file. */
  workspace: z.string().min(1).optional(),
});

export const ticketFileSchema = z.strictObject({
  id: simpleName,
  target_file: z.string().min(1),
  prompt: nonBlank('prompt'),
  worker_archetype: z.string().min(1),
  dependencies: z.array(z.string()).default([]),
});

export const trackFileSchema = z.strictObject({
  track: trackHeaderFileSchema,
  tickets: z.array(ticketFileSchema).min(1),
});

export type ClutchConfigFile = z.infer<typeof clutchConfigFileSchema>;
export type ModelProfileFile = z.infer<typeof modelProfileFileSchema>;
export type AgentArchetypeFile = z.infer<typeof agentArchetypeFileSchema>;
export type TrackFile = z.infer<typeof trackFileSchema>;
export type TicketFile = z.infer<typeof ticketFileSchema>;
