import { at } from '../../src/machines/chunked.js';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { waitFor, type Snapshot } from 'xstate';
import { Engine, type WorkerRef } from '../../src/actors/engine.js';
import { GitWorkspaces, initRunRepository } from '../../src/actors/ticket-workspaces.js';
import type { JournalEntry } from '../../src/actors/journal.js';
import type { ModelClient } from '../../src/models/model-client.js';
import { createScriptedModel } from '../../src/models/scripted.js';
import type { Script } from '../../src/models/scripted.js';
import type { AgentArchetype, AssistantMessage, ClutchConfig, ExecutionMode, Ticket, ToolUseBlock, TrustLevel, TrustOverride } from '../../src/protocol/index.js';

export const text = (value: string) => ({ type: 'text' as const, text: value });
export const call = (id: string, name: string, input: Record<string, unknown>): ToolUseBlock => ({ type: 'tool_use', id, name, input });
export const reply = (...content: AssistantMessage['content']): AssistantMessage => ({ role: 'assistant', content });
export const done = (id: string, summary = 'done') => reply(call(id, 'task_complete', { summary }));

export function agent(trust: TrustLevel, overrides: Partial<AgentArchetype> = {}): AgentArchetype {
  return {
    tier: 3,
    model: 'scripted',
    trust_level: trust,
    tools: ['read_file', 'list_files', 'search_files', 'write_file', 'edit_file', 'run_command', 'task_complete'],
    allowed_commands: ['node'],
    max_turns: 6,
    system_prompt: 'You are a test worker.',
    command_timeout_s: 30,
    ...overrides,
  };
}

export function testConfig(options: { trust?: TrustLevel; maxConcurrency?: number; agents?: Record<string, AgentArchetype> } = {}): ClutchConfig {
  return {
    source: '/virtual/agents.toml',
    execution: { mode: 'async', max_concurrency: options.maxConcurrency ?? 4, trust_override: 'none', debug_state_path: 'debug_state.json' },
    models: { scripted: { provider: 'scripted', script: 'script.json' } },
    agents: options.agents ?? { codegen: agent(options.trust ?? 'step') },
  };
}

import { tempDir } from '../../src/testing/fixtures.js';

export { tempDir, ticket } from '../../src/testing/fixtures.js';

export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

export interface Harness {
  engine: Engine;
  workspace: string;
  runDir: string;
  journal: JournalEntry[];
  cleanup(): Promise<void>;
}

/** A real engine on a temp workspace with the scripted model; the clock ticks 1 ms per read. */
export function startEngine(options: {
  tickets: Ticket[];
  script: Script['tickets'];
  config?: ClutchConfig;
  mode?: ExecutionMode;
  trustOverride?: TrustOverride;
  maxConcurrency?: number;
  files?: Record<string, string>;
  model?: ModelClient;
  start?: boolean;
  snapshot?: Snapshot<unknown>;
  waitUntil?: (until: number, signal: AbortSignal) => Promise<void>;
  /** Secret values no tool output may carry (default: the engine's, from this process's environment). */
  secrets?: readonly string[];
  /** "worktree": the workspace becomes the run's repository and each ticket gets its own worktree. */
  isolation?: 'worktree' | 'shared';
  /** The scripted model's replies for other archetypes (reviewers, QA, the planner): the script's `agents`. */
  agents?: Script['agents'];
  /** The run begins from this request (tickets must then be []): planned, approved, then run. */
  request?: string;
}): Harness {
  const root = tempDir();
  const workspace = join(root, 'workspace');
  const runDir = join(root, 'run');
  mkdirSync(workspace);
  mkdirSync(runDir);
  writeFiles(workspace, options.files ?? {});
  let tick = 0;
  const runId = 'test-run';
  let workspaces: GitWorkspaces | undefined;
  if (options.isolation === 'worktree') {
    initRunRepository(workspace, runDir, runId);
    workspaces = new GitWorkspaces({ workspace, runDir, runId });
  }
  const model = options.model ?? createScriptedModel({ script: { version: 1, tickets: options.script, ...(options.agents ? { agents: options.agents } : {}) } as Script });
  const engine = new Engine({
    config: options.config ?? testConfig(),
    track: { id: 'test', title: 'Test', description: '', status: 'pending', tickets: options.tickets },
    workspace,
    runDir,
    modelFor: () => model,
    now: () => tick++,
    ...(options.mode ? { mode: options.mode } : {}),
    ...(options.trustOverride ? { trustOverride: options.trustOverride } : {}),
    ...(options.maxConcurrency ? { maxConcurrency: options.maxConcurrency } : {}),
    ...(options.snapshot ? { snapshot: options.snapshot } : {}),
    ...(options.waitUntil ? { waitUntil: options.waitUntil } : {}),
    ...(options.secrets ? { secrets: options.secrets } : {}),
    ...(workspaces ? { workspaces } : {}),
    ...(options.request !== undefined ? { request: { text: options.request, sourceWorkspace: workspace } } : {}),
  });
  const journal: JournalEntry[] = [];
  engine.journal.subscribe((entry) => journal.push(entry));
  if (options.start !== false) engine.start();
  return {
    engine,
    workspace,
    runDir,
    journal,
    cleanup: async () => {
      await engine.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Waits until the ticket's worker exists and sits at the given pause (pause 1 with its preview loaded). */
export async function pause(engine: Engine, ticketId: string, which: 'approval' | 'review'): Promise<WorkerRef> {
  const index = engine.options.track.tickets.findIndex((ticket) => ticket.id === ticketId);
  await waitFor(engine.conductor, (state) => at(state.context.tickets, index).status === 'step_paused');
  const worker = engine.worker(ticketId)!;
  await waitFor(worker, (state) =>
    which === 'approval' ? state.matches({ toolCycle: { awaitingApproval: 'ready' } }) : state.matches({ toolCycle: 'reviewingResult' }),
  );
  return worker;
}

export function statuses(journal: readonly JournalEntry[]): string[] {
  return journal.flatMap((entry) => (entry.kind === 'ticket.status' ? [`${entry.ticket}:${entry.status}`] : []));
}

/**
 * Resolves once `condition` holds, checked now and on every new snapshot of any actor of the run:
 * for what no one actor's snapshots say (a ticket's worker started, the planner at a state).
 */
export function until(engine: Engine, condition: () => boolean): Promise<void> {
  if (condition()) return Promise.resolve();
  return new Promise((resolve) => {
    const unsubscribe = engine.subscribeInspection((event) => {
      if (event.type === '@xstate.snapshot' && condition()) {
        unsubscribe();
        resolve();
      }
    });
  });
}
