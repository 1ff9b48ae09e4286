import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from 'xstate';
import { at } from '../../src/machines/chunked.js';
import { call, done, reply, startEngine, testConfig, ticket, type Harness } from '../support/engine-harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

const base = 'line 1\nline 2\nline 3\n';

describe('worktree isolation', () => {
  it('gives each ticket its own worktree and merges each ticket once, with a merge commit', async () => {
    harness = startEngine({
      isolation: 'worktree',
      tickets: [ticket('T1'), ticket('T2'), ticket('T3', ['T1', 'T2'])],
      files: { 'shared.txt': base },
      config: testConfig({ trust: 'auto' }),
      script: {
        T1: [reply(call('w1', 'write_file', { path: 'T1.txt', content: 'one' })), done('d1', 'wrote T1')],
        T2: [reply(call('w2', 'write_file', { path: 'T2.txt', content: 'two' })), done('d2', 'wrote T2')],
        // T3 starts after both merged: its worktree has their files.
        T3: [reply(call('r3', 'read_file', { path: 'T1.txt' })), reply(call('w3', 'write_file', { path: 'T3.txt', content: 'three' })), done('d3')],
      },
    });
    const outcome = await harness.engine.finished();
    expect(outcome.state).toBe('done');
    const ws = harness.workspace;
    // The run's workspace is the integration branch, checked out, with every ticket's file.
    expect(git(ws, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('clutch/test-run/integration');
    expect(['T1.txt', 'T2.txt', 'T3.txt'].map((file) => readFileSync(join(ws, file), 'utf8'))).toEqual(['one', 'two', 'three']);
    expect(git(ws, 'status', '--porcelain')).toBe('');
    const merges = git(ws, 'log', '--first-parent', '--merges', '--format=%s').split('\n');
    expect(merges.sort()).toEqual(['Merge ticket T1 (clutch/test-run/T1)', 'Merge ticket T2 (clutch/test-run/T2)', 'Merge ticket T3 (clutch/test-run/T3)']);
    // Tickets never wrote into the run's workspace: each worked in its own worktree.
    const worktrees = git(ws, 'worktree', 'list', '--porcelain').split('\n').filter((line) => line.startsWith('worktree ')).length;
    expect(worktrees).toBe(4);
    expect(existsSync(join(harness.runDir, 'worktrees', 'T1', 'T2.txt'))).toBe(false);
    const read = harness.journal.find((entry) => entry.kind === 'tool' && entry.tool_use_id === 'r3');
    expect(read && read.kind === 'tool' ? read.output : '').toContain('one');
    // Diffs: a ticket's against its base, the run's against the start.
    const t1 = await harness.engine.ticketDiff('T1');
    expect(t1?.files).toEqual([{ path: 'T1.txt', status: 'A' }]);
    const run = await harness.engine.runDiff();
    expect(run?.files.map((file) => file.path).sort()).toEqual(['T1.txt', 'T2.txt', 'T3.txt']);
    expect(harness.journal.filter((entry) => entry.kind === 'worktree.merged')).toHaveLength(3);
  });

  it('blocks the ticket whose merge conflicts, names the files, and a retry completes it on a fresh worktree', async () => {
    harness = startEngine({
      isolation: 'worktree',
      tickets: [ticket('A'), ticket('B')],
      files: { 'shared.txt': base },
      config: testConfig({ trust: 'auto', maxConcurrency: 2 }),
      script: {
        // A writes first and completes; B reads after A wrote, then changes the same line.
        A: [reply(call('a1', 'edit_file', { path: 'shared.txt', old_string: 'line 2', new_string: 'line 2 by A' })), done('a2', 'A edits line 2')],
        B: {
          attempts: [
            [reply(call('b0', 'read_file', { path: 'shared.txt' })), reply(call('b1', 'edit_file', { path: 'shared.txt', old_string: 'line 2', new_string: 'line 2 by B' })), done('b2', 'B edits line 2')],
            [reply(call('b3', 'edit_file', { path: 'shared.txt', old_string: 'line 2 by A', new_string: 'line 2 by A and B' })), done('b4', 'B redone on top of A')],
          ],
        },
      },
    });
    const engine = harness.engine;
    const index = engine.options.track.tickets.findIndex((entry) => entry.id === 'B');
    await waitFor(engine.conductor, (state) => at(state.context.tickets, index).status === 'blocked');
    const blocked = engine.track().tickets.find((entry) => entry.id === 'B')!;
    const a = engine.track().tickets.find((entry) => entry.id === 'A')!;
    // Which one merged first depends on the order they finished; here A has fewer turns.
    expect(a.status).toBe('completed');
    expect(blocked.blocked_reason).toContain('merge conflict');
    expect(blocked.blocked_reason).toContain('shared.txt');
    // The blocked ticket's diff is still there to look at.
    const diff = await engine.ticketDiff('B');
    expect(diff?.patch).toContain('+line 2 by B');
    expect(readFileSync(join(harness.workspace, 'shared.txt'), 'utf8')).toBe('line 1\nline 2 by A\nline 3\n');

    expect(engine.command({ kind: 'ticket', id: 'B' }, { type: 'ticket.retry' })).toBe(true);
    const outcome = await engine.finished();
    expect(outcome).toEqual({ state: 'done', tickets: { A: 'completed', B: 'completed' } });
    expect(readFileSync(join(harness.workspace, 'shared.txt'), 'utf8')).toBe('line 1\nline 2 by A and B\nline 3\n');
    // The first attempt's branch is kept aside; the new attempt was told about the conflict.
    expect(git(harness.workspace, 'branch', '--list', 'clutch/test-run/B*', '--format=%(refname:short)').split('\n').sort()).toEqual([
      'clutch/test-run/B',
      'clutch/test-run/B.attempt-1',
    ]);
    const worker = engine.finishedSnapshots().get('B')?.worker as { context?: { messages?: { content: unknown }[] } } | undefined;
    expect(JSON.stringify(worker?.context?.messages?.[0]?.content)).toContain('could not be merged');
    expect(harness.journal.some((entry) => entry.kind === 'worktree.conflict' && entry.files.includes('shared.txt'))).toBe(true);
  });

  it('runs no hook the agent planted in the repository, and keeps `.git` out of the tools', async () => {
    harness = startEngine({
      isolation: 'worktree',
      tickets: [ticket('T1')],
      config: testConfig({ trust: 'auto' }),
      script: { T1: [reply(call('w', 'write_file', { path: 'T1.txt', content: 'x' })), done('d')] },
      start: false,
    });
    const marker = join(harness.runDir, 'hook-ran');
    // As if an agent had reached the repository: a hook that would run on every commit and merge.
    for (const hook of ['pre-commit', 'post-commit', 'post-merge', 'commit-msg', 'reference-transaction']) {
      const file = join(harness.workspace, '.git', 'hooks', hook);
      writeFileSync(file, `#!/bin/sh\necho ${hook} >> ${marker}\n`, { mode: 0o755 });
    }
    harness.engine.start();
    const outcome = await harness.engine.finished();
    expect(outcome.state).toBe('done');
    expect(existsSync(marker)).toBe(false);
    expect(readFileSync(join(harness.workspace, 'T1.txt'), 'utf8')).toBe('x');
  });

  it("keeps the worktree's `.git` and the repository read-only for commands, and the file tools off `.git`", async () => {
    // Commands run in the worktree, <root>/run/worktrees/T1; the repository is <root>/workspace/.git.
    const repo = '../../../workspace/.git';
    const marker = join(tmpdir(), `clutch-hook-ran-${process.pid}-${Date.now()}`);
    const tryWrite = (target: string, content: string) =>
      `try { require('node:fs').writeFileSync(${JSON.stringify(target)}, ${JSON.stringify(content)}, { mode: 0o755 }); console.log('WROTE ' + ${JSON.stringify(target)}); } catch (e) { console.log('DENIED ' + e.code); }`;
    harness = startEngine({
      isolation: 'worktree',
      tickets: [ticket('T1')],
      config: testConfig({ trust: 'auto' }),
      script: {
        T1: [
          // The worktree's own `.git` file: pointing it elsewhere would point git elsewhere.
          reply(call('c1', 'run_command', { argv: ['node', '-e', tryWrite('.git', 'gitdir: /tmp/elsewhere\n')] })),
          // A hook in the repository, which Clutch's merge would run outside the sandbox.
          reply(call('c2', 'run_command', { argv: ['node', '-e', tryWrite(`${repo}/hooks/post-merge`, `#!/bin/sh\necho ran > ${marker}\n`)] })),
          reply(call('c3', 'run_command', { argv: ['node', '-e', tryWrite(`${repo}/config`, '[core]\n\tfsmonitor = touch /tmp/x\n')] })),
          reply(call('w1', 'write_file', { path: '.git', content: 'gitdir: /tmp/elsewhere\n' })),
          reply(call('w2', 'write_file', { path: 'T1.txt', content: 'done' })),
          done('d'),
        ],
      },
    });
    const outcome = await harness.engine.finished();
    expect(outcome.state).toBe('done');
    const output = (id: string) => {
      const entry = harness!.journal.find((row) => row.kind === 'tool' && row.tool_use_id === id);
      return entry && entry.kind === 'tool' ? entry : undefined;
    };
    // Denied: read-only, a mount point, or out of sight altogether (the run folder is not in the sandbox).
    for (const id of ["c1", "c2", "c3"]) expect(output(id)?.output).toMatch(/DENIED E(ROFS|BUSY|ACCES|PERM|NOENT)/);
    expect(output("c1")?.output).toMatch(/DENIED E(ROFS|BUSY)/);
    expect(output('w1')?.is_error).toBe(true);
    expect(output('w1')?.output).toContain('.git');
    expect(existsSync(join(harness.workspace, '.git', 'hooks', 'post-merge'))).toBe(false);
    expect(readFileSync(join(harness.workspace, '.git', 'config'), 'utf8')).not.toContain('fsmonitor');
    expect(existsSync(marker)).toBe(false);
    expect(readFileSync(join(harness.workspace, 'T1.txt'), 'utf8')).toBe('done');
    expect(readFileSync(join(harness.runDir, 'worktrees', 'T1', '.git'), 'utf8')).toMatch(/^gitdir: .*\.git\/worktrees\/T1\n$/);
  });
});
