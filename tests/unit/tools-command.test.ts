import { existsSync, mkdirSync, readFileSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandEnvironment, refuseProgram } from '../../src/tools/command-policy.js';
import { executeTool, previewTool, type ToolContext } from '../../src/tools/index.js';

let workspace: string;
let outside: string;
let context: ToolContext;

beforeEach(() => {
  workspace = realpathSync(mkdtempSync(path.join(tmpdir(), 'clutch-cmd-ws-')));
  outside = realpathSync(mkdtempSync(path.join(tmpdir(), 'clutch-cmd-out-')));
  mkdirSync(path.join(workspace, 'pkg'));
  context = { workspace, allowedCommands: ['node', 'git'], commandTimeoutMs: 20_000, maxOutputBytes: 16 * 1024 };
});

afterEach(() => {
  rmSync(workspace, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

/** Alive means signalable and not a zombie (PID 1 in a container may never reap it). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** SIGKILL is delivered asynchronously; wait (without a fixed sleep) until the pid is gone. */
async function expectDead(pid: number): Promise<void> {
  expect(pid).toBeGreaterThan(0);
  const deadline = Date.now() + 5000;
  while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
  expect(alive(pid)).toBe(false);
}

function node(script: string, extra: Record<string, unknown> = {}): Promise<{ content: string; is_error: boolean }> {
  return executeTool('run_command', { argv: ['node', '-e', script], ...extra }, context);
}

describe('run_command', () => {
  it('runs an allowed program and reports the exit code and the output', async () => {
    const out = await node('console.log("hello"); console.log(process.cwd())', { cwd: 'pkg' });
    expect(out).toEqual({ content: `exit code 0\nhello\n${path.join(workspace, 'pkg')}\n`, is_error: false });
  });

  it('captures stdout and stderr together, each stream in its own order', async () => {
    // Two pipes are read independently, so the interleaving between them is not guaranteed.
    const script = 'process.stdout.write("out\\n", () => process.stderr.write("err\\n", () => process.stdout.write("out again\\n")))';
    const out = await node(script);
    expect(out.is_error).toBe(false);
    expect(out.content.startsWith('exit code 0\n')).toBe(true);
    expect(out.content.split('\n').slice(1).sort()).toEqual(['', 'err', 'out', 'out again']);
    expect(out.content.indexOf('out\n')).toBeLessThan(out.content.indexOf('out again'));
  });

  it('a non-zero exit code is a tool error', async () => {
    const out = await node('console.error("boom"); process.exit(3)');
    expect(out).toEqual({ content: 'exit code 3\nboom\n', is_error: true });
  });

  it('says when there is no output, and passes arguments without a shell', async () => {
    expect(await node('')).toEqual({ content: 'exit code 0\n(no output)', is_error: false });
    const out = await executeTool(
      'run_command',
      { argv: ['node', '-e', 'console.log(process.argv.slice(1).join("|"))', '$HOME', '*', '; rm -rf /'] },
      context,
    );
    expect(out).toEqual({ content: 'exit code 0\n$HOME|*|; rm -rf /\n', is_error: false });
  });

  it('sets CI=1 and NO_COLOR=1', async () => {
    const out = await node('console.log(process.env.CI, process.env.NO_COLOR)');
    expect(out.content).toBe('exit code 0\n1 1\n');
  });

  it('previews the command with a workspace-relative cwd and the effective timeout', async () => {
    expect(await previewTool('run_command', { argv: ['node', '--version'] }, context)).toEqual({
      kind: 'command',
      argv: ['node', '--version'],
      cwd: '.',
      timeout_ms: 20_000,
    });
    expect(await previewTool('run_command', { argv: ['node', '-v'], cwd: 'pkg', timeout_ms: 500_000 }, context)).toEqual(
      { kind: 'command', argv: ['node', '-v'], cwd: 'pkg', timeout_ms: 20_000 },
    );
  });

  it('hostile: a command not in the allow-list is refused with the allowed ones listed', async () => {
    const out = await executeTool('run_command', { argv: ['rm', '-rf', '.'] }, context);
    expect(out).toEqual({ content: '"rm" is not an allowed command. Allowed commands: node, git.', is_error: true });
    expect(await previewTool('run_command', { argv: ['rm', '-rf', '.'] }, context)).toEqual({
      kind: 'text',
      text: 'run_command will be refused: "rm" is not an allowed command. Allowed commands: node, git.\nargv: ["rm","-rf","."]',
    });
  });

  it('hostile: path forms of an allowed program are refused', async () => {
    for (const program of [process.execPath, '/usr/bin/node', './node', '../node', 'bin/node']) {
      const out = await executeTool('run_command', { argv: [program, '-e', '1'] }, context);
      expect(out.is_error).toBe(true);
      expect(out.content).toBe(
        `${JSON.stringify(program)} is a path; run_command takes a bare program name from the allow-list, not a path. Allowed commands: node, git.`,
      );
    }
  });

  it('hostile: a missing program is a tool error, not an exception', async () => {
    const ctx = { ...context, allowedCommands: ['clutch-no-such-program-x7'] };
    const out = await executeTool('run_command', { argv: ['clutch-no-such-program-x7'] }, ctx);
    expect(out).toEqual({
      content: 'program "clutch-no-such-program-x7" was not found; is it installed and on PATH?',
      is_error: true,
    });
  });

  it('hostile: huge output is truncated in the middle with a marker and stays bounded', async () => {
    const script = 'process.stdout.write("BEGIN" + "x".repeat(5 * 1024 * 1024) + "END")';
    const out = await node(script);
    expect(out.is_error).toBe(false);
    expect(out.content.startsWith('exit code 0\nBEGIN')).toBe(true);
    expect(out.content.endsWith('END')).toBe(true);
    const dropped = 5 + 5 * 1024 * 1024 + 3 - 16 * 1024;
    expect(out.content).toContain(`\n[… ${dropped} bytes truncated …]\n`);
    expect(Buffer.byteLength(out.content)).toBeLessThan(16 * 1024 + 100);
  });

  it('hostile: a command that runs too long is killed, with its whole process group', async () => {
    // The child spawns a grandchild that would keep running (and hold the pipes) if only the
    // parent were killed.
    const script =
      'const g = require("child_process").spawn(process.execPath, ["-e", "setInterval(()=>{},1000)"], {stdio: "inherit"});' +
      'console.log("grandchild " + g.pid); setInterval(()=>{},1000)';
    const out = await node(script, { timeout_ms: 300 });
    expect(out.is_error).toBe(true);
    const match = /^killed by signal SIGKILL: timed out after 300 ms \(the process group was killed\)\ngrandchild (\d+)\n$/.exec(
      out.content,
    );
    expect(match, out.content).not.toBeNull();
    await expectDead(Number(match?.[1]));
  });

  it('ends background processes a command leaves behind', async () => {
    const script =
      'const g = require("child_process").spawn(process.execPath, ["-e", "setInterval(()=>{},1000)"], {stdio: "ignore"});' +
      'g.unref(); console.log(g.pid)';
    const out = await node(script);
    const match = /^exit code 0\n(\d+)\n$/.exec(out.content);
    expect(match, out.content).not.toBeNull();
    await expectDead(Number(match?.[1]));
  });

  it('hostile: the timeout cannot exceed the archetype ceiling', async () => {
    const out = await executeTool(
      'run_command',
      { argv: ['node', '-e', 'setInterval(()=>{},1000)'], timeout_ms: 600_000 },
      { ...context, commandTimeoutMs: 300 },
    );
    expect(out).toEqual({
      content: 'killed by signal SIGKILL: timed out after 300 ms (the process group was killed)\n(no output)',
      is_error: true,
    });
  });

  it('hostile: secret environment variables never reach the command', async () => {
    const names = ['ANTHROPIC_API_KEY', 'GITHUB_TOKEN', 'CLUTCH_TEST_SECRET', 'DB_PASSWORD', 'AWS_CREDENTIALS'];
    for (const name of names) process.env[name] = `leak-${name}`;
    process.env.CLUTCH_TEST_VISIBLE = 'visible';
    try {
      const out = await node(
        'const env = process.env; console.log(Object.entries(env).filter(([, v]) => v.startsWith("leak-")).length, env.CLUTCH_TEST_VISIBLE)',
      );
      expect(out).toEqual({ content: 'exit code 0\n0 visible\n', is_error: false });
    } finally {
      for (const name of names) delete process.env[name];
      delete process.env.CLUTCH_TEST_VISIBLE;
    }
  });

  it('hostile: a cwd escaping the workspace is refused', async () => {
    const up = await node('1', { cwd: '../' });
    expect(up.is_error).toBe(true);
    expect(up.content).toMatch(/^cwd: the path "..\/" is outside the workspace/);
    const abs = await node('1', { cwd: outside });
    expect(abs.content).toMatch(/^cwd: absolute paths are not allowed/);
    symlinkSync(outside, path.join(workspace, 'out'));
    const linked = await node('1', { cwd: 'out' });
    expect(linked.content).toMatch(/^cwd: the path "out" goes through a symlink that points outside/);
    writeFileSync(path.join(workspace, 'file.txt'), 'x');
    expect(await node('1', { cwd: 'file.txt' })).toEqual({ content: 'cwd "file.txt" is not a directory', is_error: true });
  });

  it('honours the abort signal by killing the command', async () => {
    const controller = new AbortController();
    const ready = path.join(workspace, 'ready');
    const running = executeTool(
      'run_command',
      { argv: ['node', '-e', 'require("fs").writeFileSync("ready", ""); setInterval(()=>{},1000)'] },
      { ...context, signal: controller.signal },
    );
    // Abort once the command has really started: wait for the file it writes, no fixed sleep.
    await new Promise<void>((resolve) => {
      const poll = (): void => (existsSync(ready) ? resolve() : void setImmediate(poll));
      poll();
    });
    controller.abort();
    const out = await running;
    expect(out.is_error).toBe(true);
    expect(out.content.startsWith('killed by signal SIGKILL: aborted')).toBe(true);

    const already = new AbortController();
    already.abort();
    const refused = await executeTool('run_command', { argv: ['node', '-e', '1'] }, { ...context, signal: already.signal });
    expect(refused).toEqual({ content: 'aborted before the command started', is_error: true });
  });
});

describe('command policy', () => {
  it('refuses empty, dotted and NUL program names', () => {
    expect(refuseProgram('', ['node'])).toMatch(/argv\[0\] is empty/);
    expect(refuseProgram('..', ['node', '..'])).toMatch(/is a path/);
    expect(refuseProgram('no\0de', ['node'])).toMatch(/NUL byte/);
    expect(refuseProgram('node', [])).toBe('"node" is not an allowed command. No commands are allowed for this agent.');
    expect(refuseProgram('node', ['node'])).toBeUndefined();
  });

  it('keeps only absolute PATH entries and drops secrets and FORCE_COLOR', () => {
    const env = commandEnvironment({
      PATH: ['/usr/bin', '.', '', 'bin', '/bin'].join(path.delimiter),
      OPENAI_API_KEY: 'x',
      npm_config_authtoken: 'x',
      FORCE_COLOR: '3',
      HOME: '/home/u',
    });
    expect(env).toEqual({ PATH: ['/usr/bin', '/bin'].join(path.delimiter), HOME: '/home/u', CI: '1', NO_COLOR: '1' });
  });
});
