import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/engine-harness.js';

const repo = resolve(import.meta.dirname, '../..');
const bin = join(repo, 'bin/clutch.js');
const cwd = tempDir('clutch-runs-cli-');
cpSync(join(repo, 'demo'), join(cwd, 'demo'), { recursive: true });
cpSync(join(repo, 'agents.toml'), join(cwd, 'agents.toml'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

function clutch(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

const store = join(cwd, '.clutch', 'clutch.db');
const runsJson = () => clutch(['runs', '--json']).stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));

describe('clutch runs, resume and export', () => {
  let killed: string;

  it('a run killed right after a write intent is listed as interrupted, and resume --trust auto finishes it', () => {
    const crashed = clutch(['run', 'demo/track.toml', '--trust', 'auto', '--json'], { CLUTCH_TEST_CRASH_AT: 'tool.intent:write_file' });
    expect(crashed.signal).toBe('SIGKILL');
    killed = JSON.parse(crashed.stdout.split('\n')[0]!).run;
    expect(runsJson()[0]).toMatchObject({ id: killed, track: 'demo', status: 'interrupted', completed: 0, total: 4 });
    const table = clutch(['runs']);
    expect(table.stdout).toMatch(new RegExp(`^${killed} +demo +interrupted +0/4 +\\d+s ago$`, 'm'));
    expect(table.stdout).toContain('clutch resume RUN');

    const resumed = clutch(['resume', killed, '--trust', 'auto', '--json']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout.split('\n')[0]).toContain('"type":"run.resume"');
    expect(runsJson()[0]).toMatchObject({ id: killed, status: 'done', completed: 4, total: 4 });
    const tests = spawnSync(process.execPath, ['--test'], { cwd: join(cwd, '.clutch', 'runs', killed, 'workspace'), encoding: 'utf8' });
    expect(tests.status).toBe(0);
  });

  it('export writes the journal from the store as JSON lines, from run.start to run.end', () => {
    const out = join(cwd, 'journal.jsonl');
    const result = clutch(['export', killed, '--out', 'journal.jsonl']);
    expect(result.code).toBe(0);
    const rows = readFileSync(out, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(result.stderr).toContain(`wrote ${rows.length} journal rows`);
    expect(rows[0].kind).toBe('run.start');
    expect(rows.some((row) => row.kind === 'run.resume')).toBe(true);
    expect(rows.at(-1).kind).toBe('run.end');
    expect(clutch(['export', killed]).stdout.trim().split('\n')).toHaveLength(rows.length);
  });

  it('a resumed run has its worktrees and one merge per ticket; runs --delete removes them and keeps the result', () => {
    const workspace = join(cwd, '.clutch', 'runs', killed, 'workspace');
    const git = (...args: string[]) => spawnSync('git', args, { cwd: workspace, encoding: 'utf8' }).stdout.trim();
    const merges = git('log', '--first-parent', '--merges', '--format=%s').split('\n').sort();
    expect(merges).toEqual(['T1', 'T2', 'T3', 'T4'].map((id) => `Merge ticket ${id} (clutch/${killed}/${id})`));
    expect(existsSync(join(cwd, '.clutch', 'runs', killed, 'worktrees', 'T2'))).toBe(true);

    const deleted = clutch(['runs', '--delete', killed]);
    expect(deleted.stderr).toBe('');
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain('removed 4 worktree(s) and 4 ticket branch(es)');
    expect(runsJson().some((run) => run.id === killed)).toBe(false);
    expect(existsSync(join(cwd, '.clutch', 'runs', killed, 'worktrees'))).toBe(false);
    expect(git('branch', '--format=%(refname:short)')).toBe(`clutch/${killed}/integration`);
    expect(spawnSync(process.execPath, ['--test'], { cwd: workspace, encoding: 'utf8' }).status).toBe(0);
    const again = clutch(['runs', '--delete', killed]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`there is no run "${killed}"`);
  });

  it('step mode cannot resume without a terminal, and says where to answer instead', () => {
    const crashed = clutch(['run', 'demo/track.toml', '--trust', 'auto', '--json'], { CLUTCH_TEST_CRASH_AT: 'tool.intent:write_file' });
    const id = JSON.parse(crashed.stdout.split('\n')[0]!).run;
    const result = clutch(['resume', id, '--trust', 'step']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`clutch serve --resume ${id}`);
    expect(runsJson().find((run) => run.id === id)).toMatchObject({ status: 'interrupted' });
  });

  it('a command cut short by a crash waits for a human: resume without a terminal says so and exits 1, the run kept', () => {
    const crashed = clutch(['run', 'demo/track.toml', '--trust', 'auto', '--json'], { CLUTCH_TEST_CRASH_AT: 'tool.intent:run_command' });
    expect(crashed.signal).toBe('SIGKILL');
    const id = JSON.parse(crashed.stdout.split('\n')[0]!).run;
    const result = clutch(['resume', id, '--trust', 'auto', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.some((line) => line.type === 'tool.interrupted' && line.tool === 'run_command')).toBe(true);
    expect(lines.at(-1)).toMatchObject({ type: 'run.waiting', run: id });
    expect(lines.at(-1).message).toContain(`clutch resume ${id}`);
    expect(runsJson().find((run) => run.id === id)).toMatchObject({ status: 'interrupted' });
  });

  it('bad input: an unknown run, a changed config, a corrupt store, a locked one; a clear error, never a stack trace', () => {
    const unknown = clutch(['resume', 'no-such-run']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^clutch: there is no run "no-such-run" in .*clutch\.db \(latest: .*`clutch runs` lists them all\)\n$/);

    const crashed = clutch(['run', 'demo/track.toml', '--trust', 'auto', '--json'], { CLUTCH_TEST_CRASH_AT: 'tool.intent:write_file' });
    const id = JSON.parse(crashed.stdout.split('\n')[0]!).run;
    const config = join(cwd, 'agents.toml');
    const original = readFileSync(config, 'utf8');
    appendFileSync(config, '\n# edited after the run started\n');
    const changed = clutch(['resume', id, '--trust', 'auto']);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain(`its configuration ${config} changed since the run started`);
    expect(changed.stderr).not.toMatch(/\n\s+at /);
    writeFileSync(config, original);

    const locked = new Database(store);
    locked.exec('BEGIN EXCLUSIVE');
    try {
      const busy = clutch(['runs']);
      expect(busy.code).toBe(2);
      expect(busy.stderr).toMatch(/clutch\.db: the run store is locked by another process/);
    } finally {
      locked.exec('ROLLBACK');
      locked.close();
    }

    const bytes = readFileSync(store);
    writeFileSync(store, 'not a database\n'.repeat(200));
    const corrupt = clutch(['runs']);
    expect(corrupt.code).toBe(2);
    expect(corrupt.stderr).toMatch(/clutch\.db: this is not a readable Clutch run store .*Nothing was changed/);
    expect(corrupt.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(store, 'utf8')).toBe('not a database\n'.repeat(200));
    const run = clutch(['run', 'demo/track.toml', '--trust', 'auto']);
    expect(run.code).toBe(2);
    expect(readFileSync(store, 'utf8')).toBe('not a database\n'.repeat(200));
    writeFileSync(store, bytes);
  });
});
