import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commandProcess, stopOrphan } from '../../src/actors/orphan-command.js';
import { runToolOnce } from '../../src/actors/tool-intents.js';
import { removeStrayTempFiles } from '../../src/tools/index.js';
import type { RunToolInput } from '../../src/machines/worker-types.js';
import { RunStore, type RunLog } from '../../src/store/index.js';
import type { ToolContext } from '../../src/tools/tool.js';
import { tempDir, writeFiles } from '../support/engine-harness.js';

let root: string | undefined;
let store: RunStore | undefined;
afterEach(() => {
  store?.close();
  if (root) rmSync(root, { recursive: true, force: true });
  store = undefined;
  root = undefined;
});

function setup(): { log: RunLog; workspace: string; context: ToolContext } {
  root = tempDir('clutch-intents-');
  const workspace = join(root, 'workspace');
  writeFiles(workspace, {
    'mark.js': "require('node:fs').appendFileSync('marks.txt', process.argv[2] + '\\n');\nconsole.log('marked ' + process.argv[2]);\n",
    'notes.txt': 'a\n',
  });
  store = RunStore.open(join(root, 'clutch.db'));
  const log = store.createRun({
    id: 'r1', track_id: 't', track_title: 't', track_path: 't', track_hash: '', config_path: 'c', config_hash: '',
    source_workspace: workspace, run_dir: root, workspace, options: {}, tickets_total: 1, created: 0,
  });
  return { log, workspace, context: { workspace, allowedCommands: ['node'], commandTimeoutMs: 20_000, maxOutputBytes: 64 * 1024, enabledTools: ['write_file', 'edit_file', 'run_command', 'read_file'] } };
}

const call = (id: string, name: string, input: Record<string, unknown>, rerun = false): RunToolInput => ({
  ticketId: 'T1',
  attempt: 1,
  call: { type: 'tool_use', id, name, input },
  rerun,
});
const key = (toolUseId: string) => ({ ticket: 'T1', attempt: 1, toolUseId });
const marks = (workspace: string) => {
  try {
    return readFileSync(join(workspace, 'marks.txt'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

describe('side-effecting calls with intents', () => {
  it('a call with a stored result is never run again: the stored result is the answer', async () => {
    const { log, workspace, context } = setup();
    const mark = call('c1', 'run_command', { argv: ['node', 'mark.js', 'one'] });
    const first = await runToolOnce(mark, context, log);
    expect(first).toMatchObject({ is_error: false, content: expect.stringContaining('marked one') });
    expect(log.toolCall(key('c1'))).toMatchObject({ tool: 'run_command', input: { argv: ['node', 'mark.js', 'one'] }, result: first });
    expect(await runToolOnce(mark, context, log)).toEqual(first);
    expect(marks(workspace)).toEqual(['one']);
  });

  it('a command with only an intent does not run: the worker is told it may have run in part', async () => {
    const { log, workspace, context } = setup();
    const mark = call('c2', 'run_command', { argv: ['node', 'mark.js', 'two'] });
    log.recordIntent(key('c2'), 'run_command', mark.call.input, null);
    expect(await runToolOnce(mark, context, log)).toEqual({ interrupted: true });
    expect(marks(workspace)).toEqual([]);
    // A restored run of the call with the rerun flag but no grant (a rerun a crash cut short) pauses again.
    expect(await runToolOnce({ ...mark, rerun: true }, context, log)).toEqual({ interrupted: true });
    // The human chose Re-run (the engine grants it): it runs once, and its result is recorded.
    log.grantRerun(key('c2'));
    const rerun = await runToolOnce({ ...mark, rerun: true }, context, log);
    expect(rerun).toMatchObject({ content: expect.stringContaining('marked two') });
    expect(await runToolOnce(mark, context, log)).toEqual(rerun);
    expect(marks(workspace)).toEqual(['two']);
  });

  it('a write with only an intent whose result is already on disk is not written again', async () => {
    const { log, workspace, context } = setup();
    const write = call('w1', 'write_file', { path: 'out.txt', content: 'hello\n' });
    const first = await runToolOnce(write, context, log);
    expect(first).toEqual({ content: 'wrote 6 bytes to "out.txt" (created)', is_error: false });
    const inode = statSync(join(workspace, 'out.txt')).ino;
    // As if the process died after the write, before its result was committed.
    store!.db.prepare('UPDATE tool_calls SET result = NULL').run();
    expect(await runToolOnce(write, context, log)).toEqual(first);
    expect(statSync(join(workspace, 'out.txt')).ino).toBe(inode);
    expect(log.toolCall(key('w1'))?.result).toEqual(first);
  });

  it('an edit with only an intent is applied exactly once, by the file hash', async () => {
    const { log, workspace, context } = setup();
    // Applying this edit twice would give "aaa": the hash tells whether it already happened.
    const edit = call('e1', 'edit_file', { path: 'notes.txt', old_string: 'a', new_string: 'aa' });
    const applied = await runToolOnce(edit, context, log);
    expect(applied).toEqual({ content: 'edited "notes.txt": replaced 1 occurrence', is_error: false });
    expect(readFileSync(join(workspace, 'notes.txt'), 'utf8')).toBe('aa\n');
    store!.db.prepare('UPDATE tool_calls SET result = NULL').run();
    expect(await runToolOnce(edit, context, log)).toEqual(applied);
    expect(readFileSync(join(workspace, 'notes.txt'), 'utf8')).toBe('aa\n');

    // The intent was committed but the process died before the write: it is applied now.
    const second = call('e2', 'edit_file', { path: 'notes.txt', old_string: 'aa', new_string: 'b' });
    log.recordIntent(key('e2'), 'edit_file', second.call.input, null);
    expect(await runToolOnce(second, context, log)).toMatchObject({ is_error: false });
    expect(readFileSync(join(workspace, 'notes.txt'), 'utf8')).toBe('b\n');
  });

  it('a write is atomic: the target is replaced by rename, never written through', async () => {
    const { log, workspace, context } = setup();
    writeFileSync(join(workspace, 'out.txt'), 'old');
    const before = statSync(join(workspace, 'out.txt')).ino;
    await runToolOnce(call('w2', 'write_file', { path: 'out.txt', content: 'new' }), context, log);
    expect(readFileSync(join(workspace, 'out.txt'), 'utf8')).toBe('new');
    expect(statSync(join(workspace, 'out.txt')).ino).not.toBe(before);
  });

  it('calls without side effects keep no intent', async () => {
    const { log, context } = setup();
    await runToolOnce(call('r1', 'read_file', { path: 'notes.txt' }), context, log);
    expect(log.toolCall(key('r1'))).toBeUndefined();
  });
});

describe('what a crash leaves behind', () => {
  it('a rerun grant is used once: the same rerun restored after another crash pauses again', async () => {
    const { log, workspace, context } = setup();
    const mark = call('c3', 'run_command', { argv: ['node', 'mark.js', 'three'] });
    log.recordIntent(key('c3'), 'run_command', mark.call.input, null);
    log.grantRerun(key('c3'));
    // The rerun starts (its intent uses the grant up) and the process dies before the result.
    const started = await runToolOnce({ ...mark, rerun: true }, context, log);
    expect(marks(workspace)).toEqual(['three']);
    store!.db.prepare('UPDATE tool_calls SET result = NULL').run();
    expect(started).toMatchObject({ is_error: false });
    expect(await runToolOnce({ ...mark, rerun: true }, context, log)).toEqual({ interrupted: true });
    expect(marks(workspace)).toEqual(['three']);
  });

  it('a command group still running from before the crash is stopped before the interrupted pause', async () => {
    const { log, workspace, context } = setup();
    const { spawn } = await import('node:child_process');
    // As a crashed Clutch leaves it: the command's own process group, still running.
    const orphan = spawn(process.execPath, ['-e', "setInterval(() => require('node:fs').appendFileSync('ticks.txt', 't\\n'), 5)"], { cwd: workspace, detached: true, stdio: 'ignore' });
    const mark = call('c9', 'run_command', { argv: ['node', 'mark.js', 'nine'] });
    log.recordIntent(key('c9'), 'run_command', mark.call.input, null);
    log.recordProcess(key('c9'), commandProcess(orphan.pid!));
    const exited = new Promise((resolve) => orphan.on('exit', resolve));
    expect(await runToolOnce(mark, context, log)).toEqual({ interrupted: true });
    await exited;
    expect(orphan.signalCode).toBe('SIGKILL');
    expect(marks(workspace)).toEqual([]);
  });

  it('never kills a process that only shares the pid: the start time must match', async () => {
    const { spawn } = await import('node:child_process');
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { detached: true, stdio: 'ignore' });
    try {
      expect(await stopOrphan({ pid: other.pid!, start: '1' })).toBe(false);
      expect(await stopOrphan({ pid: other.pid!, start: null })).toBe(false);
      expect(other.exitCode).toBeNull();
      expect(await stopOrphan(commandProcess(other.pid!))).toBe(true);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('a temp file a kill left between write and rename is removed on resume', () => {
    const { workspace } = setup();
    writeFiles(workspace, { 'src/.money.js.1a2b3c4d.clutch-tmp': 'half', 'src/money.js': 'whole', '.clutch-tmp-not-ours': 'x' });
    expect(removeStrayTempFiles(workspace)).toEqual(['src/.money.js.1a2b3c4d.clutch-tmp']);
    expect(readFileSync(join(workspace, 'src/money.js'), 'utf8')).toBe('whole');
  });
});
