import { heartbeatGoesOn } from '../support/heartbeat.js';
import { waitUntil } from '../../src/tools/process-tree.js';
import { existsSync, mkdirSync, readFileSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandEnvironment, commandPath, refuseProgram } from '../../src/tools/command-policy.js';
import { limitsMechanism, useLimitsMechanism } from '../../src/tools/command-limits.js';
import { runCommandOptions } from '../../src/tools/run-command.js';
import { commandProcess, stopOrphan } from '../../src/actors/orphan-command.js';
import { executeTool, previewTool, type ToolContext } from '../../src/tools/index.js';
import type { CommandSandbox } from '../../src/tools/tool.js';

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
  runCommandOptions.killGraceMs = 2000;
  runCommandOptions.closeGraceMs = 2000;
  useLimitsMechanism(undefined);
});

const unsandboxed: CommandSandbox = { kind: 'none', network: false, env: {}, maxProcesses: 256, maxMemoryMb: 2048 };

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

/** run_command waits for the whole tree before it returns: the pid is gone by then, no waiting here. */
function expectDead(pid: number): void {
  expect(pid).toBeGreaterThan(0);
  expect(alive(pid)).toBe(false);
}


/** A node one-liner that writes Date.now() into `name` (in its cwd) every 20 ms, forever. */
const heartbeat = (name: string, extra = '') => `${extra}setInterval(()=>require("fs").writeFileSync(${JSON.stringify(name)},String(Date.now())),20)`;

function node(script: string, extra: Record<string, unknown> = {}): Promise<{ content: string; is_error: boolean }> {
  return executeTool('run_command', { argv: ['node', '-e', script], ...extra }, context);
}

describe('run_command', () => {
  it('runs an allowed program and reports the exit code and the output', async () => {
    const out = await node('console.log("hello"); console.log(process.cwd())', { cwd: 'pkg' });
    expect(out).toEqual({ content: `exit code 0\nhello\n${path.join(workspace, 'pkg')}\n`, is_error: false, exit_code: 0 });
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
    expect(out).toEqual({ content: 'exit code 3\nboom\n', is_error: true, exit_code: 3 });
  });

  it('says when there is no output, and passes arguments without a shell', async () => {
    expect(await node('')).toEqual({ content: 'exit code 0\n(no output)', is_error: false, exit_code: 0 });
    const out = await executeTool(
      'run_command',
      { argv: ['node', '-e', 'console.log(process.argv.slice(1).join("|"))', '$HOME', '*', '; rm -rf /'] },
      context,
    );
    expect(out).toEqual({ content: 'exit code 0\n$HOME|*|; rm -rf /\n', is_error: false, exit_code: 0 });
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

  it('hostile: a command that runs too long is stopped with its whole tree (sandboxed)', async () => {
    // The child spawns a grandchild that would keep running (and hold the pipes) if only the
    // parent were killed, and one more that left the session (setsid) and ignores SIGTERM.
    const script =
      `const cp = require("child_process"); cp.spawn(process.execPath, ["-e", ${JSON.stringify(heartbeat('a'))}], {stdio: "inherit"});` +
      `cp.spawn(process.execPath, ["-e", ${JSON.stringify(heartbeat('b', 'process.on("SIGTERM",()=>{});'))}], {stdio: "ignore", detached: true}).unref();` +
      'const wait = () => require("fs").existsSync("a") && require("fs").existsSync("b") ? console.log("started") : setTimeout(wait, 5); wait(); setInterval(()=>{},1000)';
    const out = await node(script, { timeout_ms: 1500 });
    expect(out).toEqual({
      content: 'killed by signal SIGTERM: timed out after 1500 ms (the whole process tree was stopped)\nstarted\n',
      is_error: true,
    });
    expect(await heartbeatGoesOn(path.join(workspace, 'a'))).toBe(false);
    expect(await heartbeatGoesOn(path.join(workspace, 'b'))).toBe(false);
  });

  it('hostile: a command that runs too long is stopped with its whole tree (unsandboxed: group, descendants and cgroup)', async () => {
    const script =
      'const cp = require("child_process"); const g = cp.spawn(process.execPath, ["-e", "setInterval(()=>{},1000)"], {stdio: "inherit"});' +
      'const s = cp.spawn(process.execPath, ["-e", "process.on(\'SIGTERM\',()=>{}); setInterval(()=>{},1000)"], {stdio: "ignore", detached: true}); s.unref();' +
      'console.log("grandchild " + g.pid + " " + s.pid); setInterval(()=>{},1000)';
    runCommandOptions.killGraceMs = 300;
    const out = await executeTool('run_command', { argv: ['node', '-e', script], timeout_ms: 1000 }, { ...context, sandbox: unsandboxed });
    expect(out.is_error).toBe(true);
    const match = /^killed by signal (SIGTERM|SIGKILL): timed out after 1000 ms \(the whole process tree was (?:stopped|killed; it was still running 300 ms after SIGTERM)\)\ngrandchild (\d+) (\d+)\n$/.exec(out.content);
    expect(match, out.content).not.toBeNull();
    expectDead(Number(match?.[2]));
    // The one that left the group and ignores SIGTERM is found through the command's cgroup.
    if (limitsMechanism().kind.startsWith('cgroup')) {
      expect(match?.[1]).toBe('SIGKILL');
      expectDead(Number(match?.[3]));
    }
  });

  it('a process that ignores SIGTERM gets SIGKILL after the grace period', async () => {
    runCommandOptions.killGraceMs = 400;
    const started = Date.now();
    const out = await node('process.on("SIGTERM", () => console.log("ignoring SIGTERM")); console.log("up"); setInterval(()=>{},1000)', { timeout_ms: 500 });
    const took = Date.now() - started;
    expect(out).toEqual({
      content:
        'killed by signal SIGKILL: timed out after 500 ms (the whole process tree was killed; it was still running 400 ms after SIGTERM)\nup\nignoring SIGTERM\n',
      is_error: true,
    });
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(15_000);
  });

  it('ends background processes a command leaves behind (sandboxed)', async () => {
    const script =
      `const g = require("child_process").spawn(process.execPath, ["-e", ${JSON.stringify(heartbeat('hb'))}], {stdio: "ignore", detached: true});` +
      'g.unref(); const wait = () => require("fs").existsSync("hb") ? console.log("left behind") : setTimeout(wait, 5); wait()';
    const out = await node(script);
    expect(out).toEqual({ content: 'exit code 0\nleft behind\n', is_error: false, exit_code: 0 });
    expect(await heartbeatGoesOn(path.join(workspace, 'hb'))).toBe(false);
  });

  it('ends background processes a command leaves behind (unsandboxed), also one that called setsid', async () => {
    const script =
      'const cp = require("child_process"); const g = cp.spawn(process.execPath, ["-e", "setInterval(()=>{},1000)"], {stdio: "ignore"});' +
      'const s = cp.spawn(process.execPath, ["-e", "setInterval(()=>{},1000)"], {stdio: "ignore", detached: true});' +
      'g.unref(); s.unref(); console.log(g.pid, s.pid)';
    const out = await executeTool('run_command', { argv: ['node', '-e', script] }, { ...context, sandbox: unsandboxed });
    const match = /^exit code 0\n(\d+) (\d+)\n$/.exec(out.content);
    expect(match, out.content).not.toBeNull();
    expectDead(Number(match?.[1]));
    if (limitsMechanism().kind.startsWith('cgroup')) expectDead(Number(match?.[2]));
  });

  it('returns promptly when a grandchild holds stdout open after the command exits', async () => {
    // A close grace far longer than the call may take: returning before it proves nothing waited for it.
    runCommandOptions.closeGraceMs = 60_000;
    const started = Date.now();
    const out = await node(
      'require("child_process").spawn(process.execPath, ["-e", "setInterval(()=>{},1000)"], {stdio: "inherit", detached: true}).unref(); console.log("parent done")',
    );
    expect(out).toEqual({ content: 'exit code 0\nparent done\n', is_error: false, exit_code: 0 });
    // The sandbox ends the holder with the command: no waiting for the pipes.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('hostile: a command over max_memory_mb is killed, and the output says why', async () => {
    const hog = 'const a = []; for (;;) a.push(Buffer.alloc(16 * 1024 * 1024, 1))';
    const sandbox: CommandSandbox = { kind: 'bwrap', network: false, env: {}, maxProcesses: 64, maxMemoryMb: 128 };
    const out = await executeTool('run_command', { argv: ['node', '-e', hog] }, { ...context, sandbox });
    expect(out.is_error).toBe(true);
    if (limitsMechanism().kind.startsWith('cgroup')) {
      expect(out).toEqual({ content: 'killed by signal SIGKILL: out of memory (the command went over max_memory_mb = 128 MiB)\n(no output)', is_error: true });
    } else {
      expect(out.content).toMatch(/allocation failed|out of memory/i);
    }
  });

  it('without a writable cgroup, prlimit applies the limits and the output says they are approximate', async () => {
    useLimitsMechanism({ kind: 'prlimit', prlimit: '/usr/bin/prlimit', why: 'no writable cgroup (pinned by the test)' });
    const note =
      "[note: limits are approximate: no writable cgroup (pinned by the test); max_memory_mb caps each process's data (RLIMIT_DATA) and " +
      "max_processes this user's tasks (RLIMIT_NPROC, which does not apply to root)]";
    expect(await node('console.log("ok")')).toEqual({ content: `exit code 0\nok\n\n${note}`, is_error: false, exit_code: 0 });
    // The memory cap still holds, per process.
    const sandbox: CommandSandbox = { kind: 'bwrap', network: false, env: {}, maxProcesses: 64, maxMemoryMb: 128 };
    const out = await executeTool('run_command', { argv: ['node', '-e', 'const a = []; for (let i = 0; i < 64; i++) a.push(Buffer.alloc(16 * 1024 * 1024, 1))'] }, { ...context, sandbox });
    expect(out.is_error).toBe(true);
    expect(out.content).toMatch(/^(exit code|killed by signal) [\s\S]*(allocation failed|out of memory)[\s\S]*\[note: limits are approximate/i);
  });

  it('with no way to apply the limits at all, the output says they were not applied', async () => {
    useLimitsMechanism({ kind: 'none', why: 'no writable cgroup, and prlimit was not found on PATH' });
    expect(await node('console.log("ok")')).toEqual({
      content: 'exit code 0\nok\n\n[note: max_processes and max_memory_mb were not applied: no writable cgroup, and prlimit was not found on PATH]',
      is_error: false,
      exit_code: 0,
    });
  });

  it('the pid onSpawn reports is one whose death ends the whole sandboxed tree (what a crash resume relies on)', async () => {
    let spawned: number | undefined;
    const script = `require("child_process").spawn(process.execPath, ["-e", ${JSON.stringify(heartbeat('hb'))}], {stdio: "ignore", detached: true}); setInterval(()=>{},1000)`;
    const running = executeTool('run_command', { argv: ['node', '-e', script] }, { ...context, onSpawn: (pid) => (spawned = pid) });
    const hb = path.join(workspace, 'hb');
    await new Promise<void>((resolve) => {
      const poll = (): void => (existsSync(hb) ? resolve() : void setTimeout(poll, 5));
      poll();
    });
    expect(spawned).toBeGreaterThan(0);
    process.kill(spawned!, 'SIGKILL');
    const out = await running;
    expect(out.is_error).toBe(true);
    expect(await heartbeatGoesOn(hb)).toBe(false);
  });

  it('stopOrphan ends an unsandboxed command a crash left running, also what left its group (through its cgroup)', async () => {
    let spawned: number | undefined;
    const script =
      'const s = require("child_process").spawn(process.execPath, ["-e", "setInterval(()=>{},1000)"], {stdio: "ignore", detached: true}); s.unref();' +
      'require("fs").writeFileSync("escapee", String(s.pid)); setInterval(()=>{},1000)';
    const running = executeTool('run_command', { argv: ['node', '-e', script] }, { ...context, sandbox: unsandboxed, onSpawn: (pid) => (spawned = pid) });
    const file = path.join(workspace, 'escapee');
    await new Promise<void>((resolve) => {
      const poll = (): void => (existsSync(file) && readFileSync(file, 'utf8') !== '' ? resolve() : void setTimeout(poll, 5));
      poll();
    });
    const escapee = Number(readFileSync(file, 'utf8'));
    expect(await stopOrphan(commandProcess(spawned!))).toBe(true);
    expect(alive(spawned!)).toBe(false);
    // Killed through its cgroup: SIGKILL is sent, its end follows (a loaded machine may take a moment).
    if (limitsMechanism().kind.startsWith('cgroup')) expect(await waitUntil(() => !alive(escapee), 5000)).toBe(true);
    else process.kill(escapee, 'SIGKILL');
    expect((await running).is_error).toBe(true);
    // Gone now: a second call finds nothing to stop.
    expect(await stopOrphan(commandProcess(spawned!))).toBe(false);
  });

  it('hostile: the timeout cannot exceed the archetype ceiling', async () => {
    const out = await executeTool(
      'run_command',
      { argv: ['node', '-e', 'setInterval(()=>{},1000)'], timeout_ms: 600_000 },
      { ...context, commandTimeoutMs: 300 },
    );
    expect(out).toEqual({
      content: 'killed by signal SIGTERM: timed out after 300 ms (the whole process tree was stopped)\n(no output)',
      is_error: true,
    });
  });

  it('hostile: no host environment variable reaches the command, secret-looking or not; the archetype env does', async () => {
    const names = ['ANTHROPIC_API_KEY', 'GITHUB_TOKEN', 'CLUTCH_TEST_SECRET', 'DB_PASSWORD', 'AWS_CREDENTIALS', 'DATABASE_URL', 'MYSQL_PWD', 'CLUTCH_TEST_VISIBLE'];
    for (const name of names) process.env[name] = `leak-${name}`;
    try {
      const script = 'const env = process.env; console.log(JSON.stringify(Object.keys(env).sort()), Object.values(env).filter((v) => v.includes("leak-")).length, env.NODE_ENV)';
      for (const sandbox of [undefined, unsandboxed]) {
        const ctx: ToolContext = { ...context, sandbox: { ...(sandbox ?? { kind: 'bwrap', network: false, maxProcesses: 256, maxMemoryMb: 2048 }), env: { NODE_ENV: 'test' } } };
        const out = await executeTool('run_command', { argv: ['node', '-e', script] }, ctx);
        const keys = ['CI', 'HOME', 'LANG', 'NODE_ENV', 'NO_COLOR', 'PATH', 'PWD', 'TZ'];
        expect(out).toEqual({ content: `exit code 0\n${JSON.stringify(keys)} 0 test\n`, is_error: false, exit_code: 0 });
      }
    } finally {
      for (const name of names) delete process.env[name];
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
    expect(out).toEqual({ content: 'killed by signal SIGTERM: aborted (the whole process tree was stopped)\n(no output)', is_error: true });

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

  it('keeps only absolute PATH entries outside the workspace, and passes nothing of the host but LANG and TZ', () => {
    const dirs = commandPath(['/usr/bin', '.', '', 'bin', '/bin', '/ws/node_modules/.bin', '/ws', '/tmp/x/bin', '/usr/bin'].join(path.delimiter), '/ws', ['/tmp']);
    expect(dirs).toEqual(['/usr/bin', '/bin']);
    const env = commandEnvironment({
      path: dirs,
      home: '/tmp/home',
      host: { PATH: '/evil', OPENAI_API_KEY: 'x', npm_config_authtoken: 'x', FORCE_COLOR: '3', HOME: '/home/u', LANG: 'fr_FR.UTF-8', TZ: 'Europe/Paris' },
      extra: { NODE_ENV: 'test', PATH: '/ignored' },
    });
    expect(env).toEqual({
      PATH: ['/usr/bin', '/bin'].join(path.delimiter),
      HOME: '/tmp/home',
      LANG: 'fr_FR.UTF-8',
      TZ: 'Europe/Paris',
      CI: '1',
      NO_COLOR: '1',
      NODE_ENV: 'test',
    });
    expect(commandEnvironment({ path: [], home: '/h', host: {} })).toMatchObject({ LANG: 'C.UTF-8', TZ: 'UTC' });
  });
});
