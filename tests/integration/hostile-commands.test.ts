import { heartbeatGoesOn } from '../support/heartbeat.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/actors/journal.js';
import type { AgentArchetype } from '../../src/protocol/index.js';
import { REDACTED } from '../../src/protocol/redact.js';
import { limitsMechanism } from '../../src/tools/command-limits.js';
import { runCommandOptions } from '../../src/tools/run-command.js';
import { agent, call, done, reply, startEngine, testConfig, ticket, type Harness } from '../support/engine-harness.js';

/*
 * Hostile commands through real workers (the scripted model, auto trust): each is denied or
 * contained by the sandbox, and the engine goes on: the ticket's next scripted step (a write_file)
 * runs and it completes with task_complete.
 */

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
  runCommandOptions.killGraceMs = 2000;
  runCommandOptions.closeGraceMs = 2000;
});

/** Folders the tests own outside every workspace: one outside /tmp (read-only in the sandbox), one in /tmp (private there). */
let outsideVar: string;
let outsideTmp: string;
beforeAll(() => {
  outsideVar = mkdtempSync('/var/tmp/clutch-hostile-');
  outsideTmp = mkdtempSync(path.join(tmpdir(), 'clutch-hostile-out-'));
});
afterAll(() => {
  rmSync(outsideVar, { recursive: true, force: true });
  rmSync(outsideTmp, { recursive: true, force: true });
});

type ToolEntry = Extract<JournalEntry, { kind: 'tool' }>;

interface Outcome {
  harness: Harness;
  /** The tool results of the hostile calls, by tool_use id. */
  out: Record<string, ToolEntry>;
  /** Wall-clock milliseconds from each call's start to its result. */
  took: Record<string, number>;
}

/**
 * One ticket T1 whose worker makes the given calls, then writes after.txt and completes. Resolves
 * once the run is done, and checks that the engine went on after the hostile calls.
 */
async function hostile(
  calls: { id: string; name?: string; input: Record<string, unknown> }[],
  options: { agent?: Partial<AgentArchetype>; isolation?: 'worktree'; mode?: 'linear'; files?: Record<string, string> } = {},
): Promise<Outcome> {
  const script = {
    T1: [
      ...calls.map((step) => reply(call(step.id, step.name ?? 'run_command', step.input))),
      reply(call('after', 'write_file', { path: 'after.txt', content: 'the engine went on' })),
      done('complete', 'next step ran'),
    ],
  };
  const started: Record<string, number> = {};
  const took: Record<string, number> = {};
  harness = startEngine({
    tickets: [ticket('T1')],
    script,
    config: testConfig({ agents: { codegen: agent('auto', { allowed_commands: ['node', 'npm'], ...options.agent }) } }),
    ...(options.isolation ? { isolation: options.isolation } : {}),
    ...(options.mode ? { mode: options.mode } : {}),
    ...(options.files ? { files: options.files } : {}),
    start: false,
  });
  harness.engine.journal.subscribe((entry) => {
    if (entry.kind === 'tool.start') started[entry.tool_use_id] = Date.now();
    if (entry.kind === 'tool') took[entry.tool_use_id] = Date.now() - (started[entry.tool_use_id] ?? Date.now());
  });
  harness.engine.start();
  const outcome = await harness.engine.finished();
  expect(outcome).toEqual({ state: 'done', tickets: { T1: 'completed' } });
  const entries = harness.journal.filter((entry): entry is ToolEntry => entry.kind === 'tool');
  const out = Object.fromEntries(entries.map((entry) => [entry.tool_use_id, entry]));
  // The engine went on: the step after the hostile calls ran, then task_complete.
  expect(out.after?.is_error).toBe(false);
  // (With worktrees, the ticket's branch has merged into the run's workspace by now.)
  expect(readFileSync(path.join(harness.workspace, 'after.txt'), 'utf8')).toBe('the engine went on');
  return { harness, out, took };
}

const node = (id: string, script: string, extra: Record<string, unknown> = {}) => ({ id, input: { argv: ['node', '-e', script], ...extra } });


function withEnv(values: Record<string, string | undefined>): () => void {
  const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  return () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** A loopback server that counts the connections it gets. */
async function loopbackServer(): Promise<{ server: Server; port: number; connections: () => number }> {
  let count = 0;
  const server = createServer((socket) => {
    count++;
    socket.end('hello from the host\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port, connections: () => count };
}

const connectScript = (port: number) =>
  `const s = require("net").connect(${port}, "127.0.0.1"); s.on("data", (d) => { console.log("reached: " + d.toString().trim()); s.destroy(); }); s.on("error", (e) => console.log("not reached: " + e.code));`;

const API_KEY = 'sk-ant-api03-HOSTILE-test-key-0123456789abcdefghijklmnop';
const planted: Record<string, string> = {
  DATABASE_URL: 'postgres://u:hunter2pass@h/db',
  DOCKER_PASS: 'docker-pass-hostile-7f3a9',
  MYSQL_PWD: 'mysql-pwd-hostile-91c2e',
  GH_PAT: 'ghp_hostilePersonalAccessToken0000001',
  HTTPS_PROXY: 'http://proxyuser:proxy-secret-hostile@proxy.example:3128',
  ANTHROPIC_API_KEY: API_KEY,
};

/** Every form of a secret a careless leak might take. */
const forms = (secret: string) => [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('hex'), encodeURIComponent(secret)];

describe('hostile commands through real workers', () => {
  it('1. node -e writing outside the workspace: nothing lands outside, neither beside /tmp nor in it', async () => {
    const targets = [path.join(outsideVar, 'escaped.txt'), path.join(outsideTmp, 'escaped.txt')];
    const script = `for (const p of ${JSON.stringify(targets)}) { try { require("fs").writeFileSync(p, "x"); console.log("wrote " + p); } catch (e) { console.log(e.code + " " + p); } }`;
    const { out } = await hostile([node('escape', script)]);
    expect(out.escape!.output).toContain(`EROFS ${targets[0]}`);
    for (const target of targets) expect(existsSync(target)).toBe(false);
  });

  it('2. writes to /, to the host HOME and to the run folder outside the worktree all fail', async () => {
    const home = path.join(homedir(), `clutch-hostile-${process.pid}.txt`);
    // From the worktree (<run>/worktrees/T1), ../../ is the run folder and ../../workspace the run's repository.
    const targets = ['/clutch-hostile.txt', home, '../../escaped.txt', '../../workspace/escaped.txt'];
    const script = `for (const p of ${JSON.stringify(targets)}) { try { require("fs").writeFileSync(p, "x"); console.log("wrote " + p); } catch (e) { console.log(e.code + " " + p); } }`;
    const { out, harness: h } = await hostile([node('escape', script)], { isolation: 'worktree' });
    expect(out.escape!.output).toContain('EROFS /clutch-hostile.txt');
    expect(out.escape!.output).toContain(`EROFS ${home}`);
    expect(existsSync('/clutch-hostile.txt')).toBe(false);
    expect(existsSync(home)).toBe(false);
    // What the sandbox shows there is its private /tmp: nothing reaches the host's run folder.
    expect(existsSync(path.join(h.runDir, 'escaped.txt'))).toBe(false);
    expect(existsSync(path.join(h.workspace, 'escaped.txt'))).toBe(false);
  });

  it('3. a connection to a loopback server the test started is not made (no network)', async () => {
    const loop = await loopbackServer();
    try {
      const { out } = await hostile([node('net', connectScript(loop.port))]);
      expect(out.net!.output).toMatch(/not reached: (ECONNREFUSED|ENETUNREACH|EADDRNOTAVAIL)/);
      expect(loop.connections()).toBe(0);
    } finally {
      loop.server.close();
    }
  });

  it('4. control: with network = true the same connection is made', async () => {
    const loop = await loopbackServer();
    try {
      const { out } = await hostile([node('net', connectScript(loop.port))], { agent: { network: true } });
      expect(out.net!.output).toContain('reached: hello from the host');
      expect(loop.connections()).toBe(1);
    } finally {
      loop.server.close();
    }
  });

  it('5. an environment dump shows none of the planted secrets, and shows the archetype env table', async () => {
    const restore = withEnv(planted);
    try {
      const { out } = await hostile([node('env', 'console.log(JSON.stringify(process.env))')], {
        agent: { env: { NODE_ENV: 'test', CLUTCH_HOSTILE_TABLE: 'from-the-archetype' } },
      });
      const output = out.env!.output;
      for (const secret of Object.values(planted)) for (const form of forms(secret)) expect(output).not.toContain(form);
      expect(output).not.toContain('hunter2pass');
      const env = JSON.parse(output.split('\n')[1]!) as Record<string, string>;
      expect(env.CLUTCH_HOSTILE_TABLE).toBe('from-the-archetype');
      expect(env.NODE_ENV).toBe('test');
      expect(Object.keys(env).sort()).toEqual(['CI', 'CLUTCH_HOSTILE_TABLE', 'HOME', 'LANG', 'NODE_ENV', 'NO_COLOR', 'PATH', 'PWD', 'TZ']);
    } finally {
      restore();
    }
  });

  it('6. the API key read from /proc/<ppid>/environ, /proc/1/environ and every /proc/*/environ: not found, nor in the journal, debug state or transcript', async () => {
    const restore = withEnv({ ANTHROPIC_API_KEY: API_KEY });
    try {
      const script = [
        'const fs = require("fs");',
        'const read = (p) => { try { return fs.readFileSync(p, "utf8"); } catch (e) { return e.code; } };',
        'const pids = fs.readdirSync("/proc").filter((n) => /^\\d+$/.test(n));',
        'const found = { ppid: read(`/proc/${process.ppid}/environ`), init: read("/proc/1/environ"), self: read("/proc/self/environ"), cmdline: read("/proc/1/cmdline") };',
        'for (const p of pids) found["pid" + p] = read(`/proc/${p}/environ`);',
        'console.log(JSON.stringify({ ppid: process.ppid, pids, found }));',
      ].join('\n');
      const { out, harness: h } = await hostile([node('proc', script)], { mode: 'linear' });
      const output = out.proc!.output;
      for (const form of forms(API_KEY)) expect(output).not.toContain(form);
      // Not hidden by redaction: the sandbox never let it in (no redaction marker in the output).
      expect(output).not.toContain(REDACTED);
      const seen = JSON.parse(output.split('\n')[1]!) as { ppid: number; pids: string[] };
      expect(seen.ppid).toBe(1);
      expect(seen.pids).toEqual(['1', '2']);
      // Nowhere else either: the journal, debug_state.json (with the finished worker's transcript).
      const journal = JSON.stringify(h.journal);
      const debugState = readFileSync(path.join(h.runDir, 'debug_state.json'), 'utf8');
      expect(debugState).toContain('"proc"');
      for (const form of forms(API_KEY)) {
        expect(journal).not.toContain(form);
        expect(debugState).not.toContain(form);
      }
      const worker = (JSON.parse(debugState) as { snapshots: { finished: { T1: { worker: { context: { messages: unknown[] } } } } } }).snapshots.finished.T1.worker;
      const transcript = JSON.stringify(worker.context.messages);
      expect(transcript).toContain('/proc/1/environ');
      for (const form of forms(API_KEY)) expect(transcript).not.toContain(form);
    } finally {
      restore();
    }
  });

  it('7. a fork bomb is contained by max_processes, stopped at its timeout, and the engine goes on', async () => {
    const bomb = 'const { spawn } = require("child_process"); const go = () => { for (let i = 0; i < 2; i++) { try { spawn(process.execPath, [__filename], { stdio: "ignore" }).on("error", () => {}); } catch {} } setTimeout(go, 1); }; go();';
    const { out, took } = await hostile([{ id: 'bomb', input: { argv: ['node', 'bomb.js'], timeout_ms: 3000 } }], {
      agent: { max_processes: 64 },
      files: { 'bomb.js': bomb },
    });
    const output = out.bomb!.output;
    expect(output).toMatch(/^killed by signal SIG(TERM|KILL): timed out after 3000 ms \(the whole process tree was (stopped|killed)/);
    if (limitsMechanism().kind.startsWith('cgroup')) expect(output).toMatch(/\[note: the command reached max_processes = 64 \(processes and threads\); \d+ new one\(s\) were refused\]/);
    // Nothing of it is left on the host.
    const left = readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('bomb.js');
        } catch {
          return false;
        }
      });
    expect(left).toEqual([]);
    console.log(`fork bomb: stopped and cleaned up ${took.bomb} ms after it started (timeout 3000 ms)`);
  });

  it('8. a child that ignores SIGTERM is killed at the timeout after the grace period; how long it took', async () => {
    runCommandOptions.killGraceMs = 500;
    const script = 'process.on("SIGTERM", () => console.log("ignoring SIGTERM")); console.log("up"); setInterval(() => {}, 1000)';
    const { out, took } = await hostile([node('stubborn', script, { timeout_ms: 1000 })]);
    expect(out.stubborn!.output).toBe(
      'killed by signal SIGKILL: timed out after 1000 ms (the whole process tree was killed; it was still running 500 ms after SIGTERM)\nup\nignoring SIGTERM\n',
    );
    expect(took.stubborn).toBeGreaterThanOrEqual(1500);
    expect(took.stubborn).toBeLessThan(15_000);
    console.log(`SIGTERM-ignoring child: killed ${took.stubborn} ms after it started (timeout 1000 ms + grace 500 ms)`);
  });

  it('9. a background process (detached, setsid) that would outlive the ticket is gone after the call', async () => {
    const child = 'setInterval(() => require("fs").writeFileSync("heartbeat", String(Date.now())), 20)';
    const script = `require("child_process").spawn(process.execPath, ["-e", ${JSON.stringify(child)}], { detached: true, stdio: "ignore" }).unref(); const wait = () => require("fs").existsSync("heartbeat") ? console.log("left behind") : setTimeout(wait, 5); wait();`;
    const { out, harness: h } = await hostile([node('daemon', script)]);
    expect(out.daemon!.output).toBe('exit code 0\nleft behind\n');
    expect(await heartbeatGoesOn(path.join(h.workspace, 'heartbeat'))).toBe(false);
  });

  it('10. a grandchild holding stdout open: the call returns promptly', async () => {
    // A close grace far longer than the call may take: returning before it proves nothing waited for it.
    runCommandOptions.closeGraceMs = 60_000;
    const script = 'require("child_process").spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "inherit", detached: true }).unref(); console.log("parent exits")';
    const { out, took } = await hostile([node('holder', script)]);
    expect(out.holder!.output).toBe('exit code 0\nparent exits\n');
    // The sandbox ends the holder with the command: no waiting for the pipes.
    expect(took.holder).toBeLessThan(20_000);
  });

  it('11. a memory hog beyond max_memory_mb is killed with a clear message', async () => {
    const { out } = await hostile([node('hog', 'const a = []; for (;;) a.push(Buffer.alloc(16 * 1024 * 1024, 1))')], { agent: { max_memory_mb: 128 } });
    expect(out.hog!.is_error).toBe(true);
    if (limitsMechanism().kind.startsWith('cgroup')) {
      expect(out.hog!.output).toBe('killed by signal SIGKILL: out of memory (the command went over max_memory_mb = 128 MiB)\n(no output)');
    } else {
      expect(out.hog!.output).toMatch(/allocation failed|out of memory/i);
    }
  });

  it('12. writing into a read-only path of the sandbox (the worktree\'s .git) is denied', async () => {
    const script =
      'const fs = require("fs"); for (const [what, act] of [["write", () => fs.writeFileSync(".git", "gitdir: /elsewhere\\n")], ["remove", () => fs.rmSync(".git")], ["append", () => fs.appendFileSync(".git", "x")]]) { try { act(); console.log(what + " ok"); } catch (e) { console.log(what + " " + e.code); } }';
    const { out, harness: h } = await hostile([node('git', script)], { isolation: 'worktree' });
    expect(out.git!.output).toMatch(/^exit code 0\nwrite EROFS\nremove (EROFS|EBUSY)\nappend EROFS\n$/);
    expect(readFileSync(path.join(h.runDir, 'worktrees', 'T1', '.git'), 'utf8')).toMatch(/^gitdir: /);
    expect(readFileSync(path.join(h.runDir, 'worktrees', 'T1', '.git'), 'utf8')).not.toContain('/elsewhere');
  });

  it('13. npm exec -c reaches a shell: the shell is contained the same way', async () => {
    const target = path.join(outsideVar, 'npm-escaped.txt');
    const { out } = await hostile([{ id: 'npm', input: { argv: ['npm', 'exec', '-c', `echo pwned > ${target}; echo "rc=$?"; echo pwned > /etc/clutch-hostile; ls /proc | grep -c '^[0-9]'`] } }]);
    expect(out.npm!.output).toMatch(/Read-only file system/);
    expect(out.npm!.output).toContain('rc=');
    expect(existsSync(target)).toBe(false);
    expect(existsSync('/etc/clutch-hostile')).toBe(false);
  });

  it('14. node -e with child_process spawning sh -c: contained the same way', async () => {
    const target = path.join(outsideVar, 'sh-escaped.txt');
    const script = `const r = require("child_process").spawnSync("sh", ["-c", ${JSON.stringify(`echo pwned > ${target}; echo rc=$?; cat /proc/1/environ | tr '\\0' '\\n' | grep -c API_KEY`)}], { encoding: "utf8" }); console.log(r.stdout + r.stderr);`;
    const restore = withEnv({ ANTHROPIC_API_KEY: API_KEY });
    try {
      const { out } = await hostile([node('sh', script)]);
      expect(out.sh!.output).toContain('Read-only file system');
      expect(out.sh!.output).toContain('rc=2');
      expect(out.sh!.output).not.toContain(API_KEY);
      expect(existsSync(target)).toBe(false);
    } finally {
      restore();
    }
  });

  it('15. a symlink a command creates to a file outside, then followed by read_file: refused, nothing read', async () => {
    const secret = path.join(outsideVar, 'secret.txt');
    writeFileSync(secret, 'TOP-SECRET-CONTENT');
    const { out } = await hostile([
      node('link', `require("fs").symlinkSync(${JSON.stringify(secret)}, "link.txt"); console.log("linked")`),
      { id: 'read', name: 'read_file', input: { path: 'link.txt' } },
    ]);
    expect(out.link!.output).toBe('exit code 0\nlinked\n');
    expect(out.read!.is_error).toBe(true);
    expect(out.read!.output).toMatch(/symlink/);
    expect(out.read!.output).not.toContain('TOP-SECRET-CONTENT');
  });

  it('16. a hard link a command tries to make to a file outside: refused across the sandbox mount', async () => {
    const secret = path.join(outsideVar, 'hard-secret.txt');
    writeFileSync(secret, 'HARD-SECRET');
    const { out, harness: h } = await hostile([node('hard', `try { require("fs").linkSync(${JSON.stringify(secret)}, "hard.txt"); console.log("linked"); } catch (e) { console.log(e.code); }`)]);
    expect(out.hard!.output).toBe('exit code 0\nEXDEV\n');
    expect(existsSync(path.join(h.workspace, 'hard.txt'))).toBe(false);
    expect(statSync(secret).nlink).toBe(1);
  });

  it('17. kill -1 from inside reaches only the sandbox: a host process of the test lives on', async () => {
    const bystander: ChildProcess = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const { out } = await hostile([node('killall', 'try { process.kill(-1, "SIGKILL"); console.log("sent"); } catch (e) { console.log(e.code); }')]);
      // Nobody else is in its namespace (bwrap's init is exempt).
      expect(out.killall!.output).toBe('exit code 0\nESRCH\n');
      expect(bystander.exitCode).toBeNull();
      expect(bystander.signalCode).toBeNull();
      process.kill(bystander.pid!, 0);
    } finally {
      bystander.kill('SIGKILL');
    }
  });

  it("18. the host's sysctls and the sockets in /run are out of reach, even when Clutch runs as root", async () => {
    const script =
      'const fs = require("fs"); try { fs.closeSync(fs.openSync("/proc/sys/kernel/core_pattern", fs.constants.O_WRONLY)); console.log("WRITABLE"); } catch (e) { console.log(e.code); } console.log(JSON.stringify(fs.readdirSync("/run")));';
    const { out } = await hostile([node('sysctl', script)]);
    expect(out.sysctl!.output).toBe('exit code 0\nEROFS\n[]\n');
  });

  it('19. where the sandbox is missing, run_command refuses with the fix, and the engine goes on', async () => {
    const restore = withEnv({ CLUTCH_BWRAP: '/nonexistent/bwrap' });
    try {
      const { out } = await hostile([node('nobwrap', 'console.log("ran unsandboxed")')]);
      expect(out.nobwrap!.is_error).toBe(true);
      expect(out.nobwrap!.output).toMatch(/^run_command cannot sandbox commands: bubblewrap is not available \(CLUTCH_BWRAP=\/nonexistent\/bwrap: no executable file at \/nonexistent\/bwrap\)\. Fix: install bubblewrap \(`apt-get install bubblewrap`/);
      expect(out.nobwrap!.output).toContain('sandbox = "none" under [execution] in agents.toml');
      expect(out.nobwrap!.output).not.toContain('ran unsandboxed');
    } finally {
      restore();
    }
  });
});

describe('the CLI with an API key in its environment', () => {
  const cwd = realpathSync(mkdtempSync(path.join(tmpdir(), 'clutch-hostile-cli-')));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('a script whose node -e reads /proc/*/environ: the key is in no output, journal, store file or debug_state.json', () => {
    const dir = path.join(cwd, 'track');
    mkdirSync(path.join(dir, 'workspace'), { recursive: true });
    writeFileSync(path.join(dir, 'workspace', 'README.md'), 'hostile\n');
    const reader =
      'const fs = require("fs"); const all = {}; for (const p of fs.readdirSync("/proc").filter((n) => /^\\d+$/.test(n))) { try { all[p] = fs.readFileSync(`/proc/${p}/environ`, "utf8"); } catch (e) { all[p] = e.code; } } console.log(JSON.stringify(all));';
    writeFileSync(
      path.join(dir, 'script.json'),
      JSON.stringify({
        version: 1,
        tickets: {
          T1: [
            { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_read_environ', name: 'run_command', input: { argv: ['node', '-e', reader] } }] },
            { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_done', name: 'task_complete', input: { summary: 'read every environ' } }] },
          ],
        },
      }),
    );
    writeFileSync(
      path.join(dir, 'track.toml'),
      '[track]\nid = "hostile"\ntitle = "Hostile"\ndescription = "reads /proc/*/environ"\nworkspace = "workspace"\n\n' +
        '[[tickets]]\nid = "T1"\ntarget_file = "README.md"\nprompt = "Read every environ."\nworker_archetype = "codegen"\ndependencies = []\n',
    );
    writeFileSync(
      path.join(dir, 'agents.toml'),
      '[execution]\nmode = "linear"\nmax_concurrency = 1\ntrust_override = "none"\ndebug_state_path = "debug_state.json"\n\n' +
        '[models.scripted]\nprovider = "scripted"\nscript = "script.json"\n\n' +
        '[agents.codegen]\ntier = 3\nmodel = "scripted"\ntrust_level = "auto"\ntools = ["read_file", "run_command", "task_complete"]\nallowed_commands = ["node"]\nmax_turns = 4\nsystem_prompt = "You are a test worker."\n',
    );
    const bin = path.resolve(import.meta.dirname, '../../bin/clutch.js');
    const result = spawnSync(process.execPath, [bin, 'run', path.join(dir, 'track.toml'), '--config', path.join(dir, 'agents.toml'), '--trust', 'auto', '--mode', 'linear', '--json'], {
      cwd,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, ANTHROPIC_API_KEY: API_KEY },
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const first = JSON.parse(result.stdout.split('\n')[0]!) as { run_dir: string };
    const debugState = readFileSync(path.join(first.run_dir, 'debug_state.json'), 'utf8');
    // The command really ran and read what it could: its output is in the debug state's transcript.
    expect(debugState).toContain('toolu_read_environ');
    expect(debugState).toMatch(/CI=1/);
    // Kept out by the sandbox, not caught by the redaction behind it: nothing was redacted.
    expect(debugState).not.toContain(REDACTED);
    const files: string[] = [];
    const walk = (folder: string): void => {
      for (const entry of readdirSync(folder, { withFileTypes: true })) {
        const full = path.join(folder, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.isFile()) files.push(full);
      }
    };
    walk(path.join(cwd, '.clutch'));
    expect(files.some((file) => file.endsWith('clutch.db'))).toBe(true);
    for (const form of forms(API_KEY)) {
      expect(result.stdout).not.toContain(form);
      expect(debugState).not.toContain(form);
      for (const file of files) expect(readFileSync(file).includes(form), file).toBe(false);
    }
    // The export is the journal.jsonl a user would share.
    const run = readdirSync(path.join(cwd, '.clutch', 'runs'))[0]!;
    const exported = spawnSync(process.execPath, [bin, 'export', run, '--config', path.join(dir, 'agents.toml')], { cwd, encoding: 'utf8', timeout: 30_000 });
    expect(exported.status, exported.stderr).toBe(0);
    const journal = exported.stdout + (existsSync(path.join(cwd, 'journal.jsonl')) ? readFileSync(path.join(cwd, 'journal.jsonl'), 'utf8') : '');
    expect(journal).toContain('toolu_read_environ');
    expect(journal).not.toContain(REDACTED);
    for (const form of forms(API_KEY)) expect(journal).not.toContain(form);
  });
});
