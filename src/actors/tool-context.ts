import type { ClutchConfig, Ticket } from '../protocol/index.js';
import type { ToolContext } from '../tools/tool.js';

/** What a ticket's tool calls may touch: its archetype's tools, allow-list and limits, in the run's workspace. */
export function toolContextFor(
  options: { config: ClutchConfig; workspace: string; maxOutputBytes?: number | undefined },
  ticket: Ticket | undefined,
): ToolContext {
  const agent = ticket ? options.config.agents[ticket.worker_archetype] : undefined;
  return {
    workspace: options.workspace,
    allowedCommands: agent?.allowed_commands ?? [],
    enabledTools: agent ? [...new Set([...agent.tools, 'task_complete'])] : [],
    commandTimeoutMs: (agent?.command_timeout_s ?? 60) * 1000,
    maxOutputBytes: options.maxOutputBytes ?? 64 * 1024,
  };
}
