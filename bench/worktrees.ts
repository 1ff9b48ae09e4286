/**
 * What worktree isolation costs per ticket: the same track (N independent tickets, each writing one
 * file and completing, zero-latency scripted model, concurrency 4) run with a shared workspace and
 * with a git worktree per ticket (prepare + commit + merge). Prints the medians of interleaved runs.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../src/actors/engine.js';
import { GitWorkspaces, initRunRepository } from '../src/actors/ticket-workspaces.js';
import { createScriptedModel, type Script } from '../src/models/scripted.js';
import type { ClutchConfig, Ticket } from '../src/protocol/index.js';
import { tempDir } from '../src/testing/fixtures.js';

const N = Number(process.env['CLUTCH_BENCH_WORKTREE_TICKETS'] ?? 40);
const ROUNDS = 3;

const config: ClutchConfig = {
  source: '/virtual/agents.toml',
  execution: { mode: 'async', max_concurrency: 4, trust_override: 'none', debug_state_path: 'debug_state.json' },
  models: { scripted: { provider: 'scripted', script: 'script.json' } },
  agents: {
    codegen: {
      tier: 3,
      model: 'scripted',
      trust_level: 'auto',
      tools: ['write_file', 'task_complete'],
      allowed_commands: [],
      max_turns: 4,
      system_prompt: 'bench',
      command_timeout_s: 30,
    },
  },
};

async function once(isolated: boolean): Promise<number> {
  const root = tempDir('clutch-bench-worktrees-');
  const workspace = join(root, 'workspace');
  const runDir = join(root, 'run');
  mkdirSync(workspace);
  mkdirSync(runDir);
  for (let i = 0; i < 20; i += 1) writeFileSync(join(workspace, `existing-${i}.txt`), `file ${i}\n`.repeat(50));
  const tickets: Ticket[] = Array.from({ length: N }, (_, i) => ({
    id: `T${i}`,
    target_file: `T${i}.txt`,
    prompt: 'write',
    worker_archetype: 'codegen',
    status: 'pending',
    dependencies: [],
  }));
  const script: Script = {
    version: 1,
    tickets: Object.fromEntries(
      tickets.map((ticket) => [
        ticket.id,
        [
          { role: 'assistant', content: [{ type: 'tool_use', id: `${ticket.id}w`, name: 'write_file', input: { path: `${ticket.id}.txt`, content: ticket.id } }] },
          { role: 'assistant', content: [{ type: 'tool_use', id: `${ticket.id}d`, name: 'task_complete', input: { summary: 'done' } }] },
        ],
      ]),
    ),
  } as Script;
  const started = performance.now();
  if (isolated) initRunRepository(workspace, runDir, 'bench');
  const model = createScriptedModel({ script });
  const engine = new Engine({
    config,
    track: { id: 'bench', title: 'bench', description: '', status: 'pending', tickets },
    workspace,
    runDir,
    modelFor: () => model,
    secrets: [],
    ...(isolated ? { workspaces: new GitWorkspaces({ workspace, runDir, runId: 'bench' }) } : {}),
  });
  engine.start();
  const outcome = await engine.finished();
  const elapsed = performance.now() - started;
  await engine.stop();
  rmSync(root, { recursive: true, force: true });
  if (outcome.state !== 'done') throw new Error(`the ${isolated ? 'worktree' : 'shared'} run ended ${outcome.state}`);
  return elapsed;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const shared: number[] = [];
const worktree: number[] = [];
for (let round = 0; round < ROUNDS; round += 1) {
  shared.push(await once(false));
  worktree.push(await once(true));
}
const perTicket = (median(worktree) - median(shared)) / N;
console.log(`worktrees: ${N} tickets, concurrency 4, ${ROUNDS} interleaved rounds`);
console.log(`  shared workspace   ${median(shared).toFixed(0)} ms`);
console.log(`  worktree per ticket ${median(worktree).toFixed(0)} ms`);
console.log(`  git overhead per ticket (prepare + commit + merge, serialized): ${perTicket.toFixed(1)} ms`);
