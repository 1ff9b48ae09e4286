import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GitWorkspaces } from '../actors/ticket-workspaces.js';
import { UsageError } from '../runs/load-inputs.js';
import { openStore } from '../runs/store-path.js';
import { exportJournal, listRuns } from '../runs/list-runs.js';
import { storePathFor } from '../runs/store-path.js';

function ago(ms: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** `clutch runs`: every run in the store, newest first. */
export function runsCommand(options: { cwd: string; config?: string; json: boolean; stdout: NodeJS.WritableStream; now?: number }): number {
  const path = storePathFor(options.cwd, options.config);
  const runs = listRuns(path);
  const print = (line: string) => options.stdout.write(`${line}\n`);
  if (options.json) {
    for (const run of runs) print(JSON.stringify(run));
    return 0;
  }
  if (runs.length === 0) {
    print(`no runs yet in ${path}`);
    return 0;
  }
  const now = options.now ?? Date.now();
  print(`${'run'.padEnd(22)}${'track'.padEnd(16)}${'status'.padEnd(13)}${'progress'.padEnd(10)}last activity`);
  for (const run of runs) {
    print(`${run.id.padEnd(22)}${run.track.padEnd(16)}${run.status.padEnd(13)}${`${run.completed}/${run.total}`.padEnd(10)}${ago(run.updated, now)}`);
  }
  print(`\nstore: ${path}`);
  if (runs.some((run) => run.status === 'interrupted')) print('an interrupted run goes on with `clutch resume RUN` or `clutch serve --resume RUN`');
  return 0;
}

/**
 * `clutch runs --delete RUN`: the run leaves the store, and its ticket worktrees and branches go
 * (never before: they hold each ticket's work and diff). The run's workspace, the integration
 * branch checked out, is kept: it is the run's result.
 */
export async function deleteRunCommand(options: { cwd: string; config?: string; run: string; stdout: NodeJS.WritableStream }): Promise<number> {
  const store = openStore(storePathFor(options.cwd, options.config));
  try {
    const run = store.run(options.run);
    if (!run) throw new UsageError(`there is no run "${options.run}" in ${store.path} (\`clutch runs\` lists them)`);
    // Refused while another process has it (the same check as the store's), before anything is removed.
    const record = store.deleteRun(options.run);
    const print = (line: string) => options.stdout.write(`${line}\n`);
    if (record.options.isolation === 'worktree' && existsSync(record.workspace)) {
      const removed = await new GitWorkspaces({ workspace: record.workspace, runDir: record.run_dir, runId: record.id }).remove();
      print(`removed ${removed.worktrees} worktree(s) and ${removed.branches} ticket branch(es) of run ${record.id}`);
    }
    rmSync(join(record.run_dir, '.clutch-git'), { recursive: true, force: true });
    print(`deleted run ${record.id} from ${store.path}`);
    if (existsSync(record.workspace)) print(`its workspace is kept: ${record.workspace} (remove the folder ${record.run_dir} when you no longer need it)`);
    return 0;
  } finally {
    store.close();
  }
}

/** `clutch export RUN [--out FILE]`: the run's journal as JSON lines. */
export async function exportCommand(options: { cwd: string; config?: string; run: string; out?: string; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Promise<number> {
  const out = options.out ? resolve(options.cwd, options.out) : undefined;
  const rows = await exportJournal(storePathFor(options.cwd, options.config), options.run, out ?? options.stdout);
  if (out) options.stderr.write(`wrote ${rows} journal rows to ${out}\n`);
  return 0;
}
