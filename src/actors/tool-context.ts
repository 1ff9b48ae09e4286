import { commandLimitDefaults, executionDefaults } from '../protocol/config-schema.js';
import type { ClutchConfig, Ticket } from '../protocol/index.js';
import type { CommandSandbox, ToolContext } from '../tools/tool.js';

export interface ToolContextOptions {
  config: ClutchConfig;
  /** The folder the ticket's tools work in: its worktree, or the run's one shared workspace. */
  workspace: string;
  maxOutputBytes?: number | undefined;
  /** Secret values no tool output may carry (the engine's, from the environment by default). */
  secrets?: readonly string[] | undefined;
  /** Paths under the workspace that stay read-only inside the command sandbox (a worktree's `.git`). */
  readOnly?: readonly string[] | undefined;
}

/** How the ticket's commands are contained: agents.toml's [execution] sandbox and its archetype's limits. */
export function commandSandboxFor(config: ClutchConfig, ticket: Ticket | undefined, readOnly?: readonly string[]): CommandSandbox {
  const agent = ticket ? config.agents[ticket.worker_archetype] : undefined;
  return {
    kind: config.execution.sandbox ?? executionDefaults.sandbox,
    network: agent?.network ?? false,
    env: agent?.env ?? {},
    maxProcesses: agent?.max_processes ?? commandLimitDefaults.max_processes,
    maxMemoryMb: agent?.max_memory_mb ?? commandLimitDefaults.max_memory_mb,
    ...(readOnly && readOnly.length > 0 ? { readOnly } : {}),
  };
}

/** What a ticket's tool calls may touch: its archetype's tools, allow-list and limits, in its workspace. */
export function toolContextFor(options: ToolContextOptions, ticket: Ticket | undefined): ToolContext {
  const agent = ticket ? options.config.agents[ticket.worker_archetype] : undefined;
  return {
    workspace: options.workspace,
    allowedCommands: agent?.allowed_commands ?? [],
    enabledTools: agent ? [...new Set([...agent.tools, 'task_complete'])] : [],
    commandTimeoutMs: (agent?.command_timeout_s ?? 60) * 1000,
    maxOutputBytes: options.maxOutputBytes ?? 64 * 1024,
    sandbox: commandSandboxFor(options.config, ticket, options.readOnly),
    maxWriteBytes: options.config.execution.max_write_bytes ?? executionDefaults.max_write_bytes,
    secrets: options.secrets ?? [],
  };
}
