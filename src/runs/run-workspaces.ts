import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { GitWorkspaces, initRunRepository } from '../actors/ticket-workspaces.js';
import type { ClutchConfig } from '../protocol/index.js';
import { redact, secretsOf } from '../protocol/redact.js';
import { removeStrayTempFiles } from '../tools/index.js';
import { UsageError } from './load-inputs.js';

/** Whether a new run gets a worktree per ticket: agents.toml `[execution] isolation` (worktree by default). */
export function isolationOf(config: ClutchConfig): 'worktree' | 'shared' {
  return config.execution.isolation ?? 'worktree';
}

/**
 * The ticket worktrees of a run, its workspace made a repository first when the run is new. A
 * missing git is bad input with the fix named, and nothing is run.
 */
export function runWorkspaces(run: { id: string; runDir: string; workspace: string }, options: { create: boolean; env?: NodeJS.ProcessEnv }): GitWorkspaces {
  if (options.create) {
    try {
      initRunRepository(run.workspace, run.runDir, run.id);
    } catch (error) {
      throw new UsageError(`the run's workspace ${run.workspace} could not be made a git repository: ${(error as Error).message}`, { cause: error });
    }
  } else if (!existsSync(join(run.workspace, '.git'))) {
    throw new UsageError(`run ${run.id} cannot go on: its workspace ${run.workspace} is no longer a git repository`);
  }
  const secrets = secretsOf(options.env ?? process.env);
  return new GitWorkspaces({ workspace: run.workspace, runDir: run.runDir, runId: run.id, redact: (text) => redact(text, secrets) });
}

/** A crash between a write's temp file and its rename leaves it behind, in any ticket's worktree too. */
export function removeStrayTempFilesOfRun(run: { runDir: string; workspace: string }): void {
  removeStrayTempFiles(run.workspace);
  const worktrees = join(run.runDir, 'worktrees');
  if (!existsSync(worktrees)) return;
  for (const entry of readdirSync(worktrees, { withFileTypes: true })) {
    if (entry.isDirectory()) removeStrayTempFiles(join(worktrees, entry.name));
  }
}
