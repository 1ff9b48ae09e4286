import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cgroupPlaces, detectLimits, limitCommand } from '../../src/tools/command-limits.js';
import { commandEnvironment, commandPath, resolveProgram } from '../../src/tools/command-policy.js';
import { bwrapArgv, locateBwrap, sandboxStatus, type BwrapPlan } from '../../src/tools/command-sandbox.js';
import { executeTool, previewTool, type ToolContext } from '../../src/tools/index.js';
import type { CommandSandbox } from '../../src/tools/tool.js';
import { waitUntil } from '../../src/tools/process-tree.js';

let root: string;
let workspace: string;
let context: ToolContext;

beforeEach(() => {
  root = realpathSync(mkdtempSync(path.join(tmpdir(), 'clutch-sandbox-')));
  workspace = path.join(root, 'ws');
  mkdirSync(path.join(workspace, 'pkg'), { recursive: true });
  context = { workspace, allowedCommands: ['node'], commandTimeoutMs: 20_000, maxOutputBytes: 64 * 1024 };
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const sandbox: CommandSandbox = { kind: 'bwrap', network: false, env: {}, maxProcesses: 64, maxMemoryMb: 512 };

/** The variables a probe found leaking: name=value pairs whose value is one of ours. */
const planted: Record<string, string> = {
  DATABASE_URL: 'postgres://u:hunter2pass@db.example/app',
  DOCKER_PASS: 'docker-pass-7f3a9',
  MYSQL_PWD: 'mysql-pwd-91c2e',
  GH_PAT: 'ghp_plantedPersonalAccessToken0001',
  HTTPS_PROXY: 'http://proxyuser:proxy-secret-55@proxy.example:3128',
  ANTHROPIC_API_KEY: 'sk-ant-api03-planted-key-for-the-sandbox-test',
};

function withEnv<T>(values: Record<string, string | undefined>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  return body().finally(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}

describe('the bwrap command line', () => {
  const plan: BwrapPlan = {
    bwrap: '/usr/bin/bwrap',
    features: { userns: true },
    workspace: '/tmp/run/ws',
    cwd: '/tmp/run/ws/pkg',
    sandbox: { ...sandbox, env: { NODE_ENV: 'test' } },
    env: { PATH: '/usr/bin:/bin', HOME: '/tmp/home', NODE_ENV: 'test' },
    argv: ['/usr/bin/node', '-e', '1'],
    infoFd: 3,
    hidden: ['/run'],
    resolvConf: '/run/systemd/resolve/stub-resolv.conf',
  };

  it('binds / read-only, a private /tmp under the workspace bind, a new /proc and /dev, and unshares everything', () => {
    expect(bwrapArgv(plan)).toEqual([
      '/usr/bin/bwrap',
      '--die-with-parent',
      '--new-session',
      '--unshare-all',
      '--unshare-user',
      '--disable-userns',
      '--cap-drop',
      'ALL',
      '--ro-bind',
      '/',
      '/',
      '--dev',
      '/dev',
      '--proc',
      '/proc',
      '--ro-bind',
      '/proc/sys',
      '/proc/sys',
      '--ro-bind-try',
      '/proc/sysrq-trigger',
      '/proc/sysrq-trigger',
      '--ro-bind-try',
      '/proc/irq',
      '/proc/irq',
      '--ro-bind-try',
      '/proc/bus',
      '/proc/bus',
      '--ro-bind-try',
      '/proc/pressure',
      '/proc/pressure',
      '--size',
      String(512 * 1024 * 1024),
      '--tmpfs',
      '/tmp',
      '--dir',
      '/tmp/home',
      '--size',
      String(512 * 1024 * 1024),
      '--tmpfs',
      '/run',
      '--bind',
      '/tmp/run/ws',
      '/tmp/run/ws',
      '--chdir',
      '/tmp/run/ws/pkg',
      '--clearenv',
      '--setenv',
      'PATH',
      '/usr/bin:/bin',
      '--setenv',
      'HOME',
      '/tmp/home',
      '--setenv',
      'NODE_ENV',
      'test',
      '--info-fd',
      '3',
      '--',
      '/usr/bin/node',
      '-e',
      '1',
    ]);
  });

  it('shares the network only when the archetype allows it, and binds read-only paths over the workspace', () => {
    const argv = bwrapArgv({ ...plan, sandbox: { ...plan.sandbox, network: true, readOnly: ['/tmp/run/ws/.git'] } });
    expect(argv.slice(0, 5)).toEqual(['/usr/bin/bwrap', '--die-with-parent', '--new-session', '--unshare-all', '--unshare-user']);
    expect(argv).toContain('--share-net');
    // With the network, the resolver's folder in the hidden /run comes back, read-only.
    const resolver = argv.indexOf('/run/systemd/resolve');
    expect(argv.slice(resolver - 1, resolver + 2)).toEqual(['--ro-bind-try', '/run/systemd/resolve', '/run/systemd/resolve']);
    expect(bwrapArgv(plan)).not.toContain('/run/systemd/resolve');
    const bind = argv.indexOf('--bind');
    const readOnly = argv.lastIndexOf('--ro-bind');
    expect(argv.slice(readOnly, readOnly + 3)).toEqual(['--ro-bind', '/tmp/run/ws/.git', '/tmp/run/ws/.git']);
    expect(readOnly).toBeGreaterThan(bind);
    expect(argv.indexOf('--tmpfs')).toBeLessThan(bind);
    expect(bwrapArgv(plan)).not.toContain('--share-net');
  });

  it('leaves out the user namespace flags where bwrap cannot use them', () => {
    const argv = bwrapArgv({ ...plan, features: { userns: false } });
    expect(argv).not.toContain('--unshare-user');
    expect(argv).not.toContain('--disable-userns');
    expect(argv).toContain('--cap-drop');
  });
});

describe('the command environment', () => {
  it('is an allow-list: none of the planted secrets, whatever their names; the archetype env is there', () => {
    const host = { ...planted, PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'en_US.UTF-8', USER: 'me', SSH_AUTH_SOCK: '/run/ssh.sock', TERM: 'xterm' };
    const env = commandEnvironment({ path: commandPath(host.PATH, workspace), home: '/tmp/home', cwd: workspace, host, extra: { NODE_ENV: 'test' } });
    expect(env).toEqual({
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: '/tmp/home',
      LANG: 'en_US.UTF-8',
      TZ: 'UTC',
      PWD: workspace,
      CI: '1',
      NO_COLOR: '1',
      NODE_ENV: 'test',
    });
    const all = JSON.stringify(env);
    for (const value of Object.values(planted)) expect(all).not.toContain(value);
    expect(all).not.toContain('hunter2pass');
  });

  it('resolves argv[0] to an executable file on PATH, never one in the workspace', () => {
    const bin = path.join(root, 'bin');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'tool'), '#!/bin/sh\n');
    chmodSync(path.join(bin, 'tool'), 0o755);
    writeFileSync(path.join(bin, 'plain'), 'not executable');
    mkdirSync(path.join(bin, 'dir'));
    writeFileSync(path.join(workspace, 'tool'), '#!/bin/sh\n');
    chmodSync(path.join(workspace, 'tool'), 0o755);
    const dirs = commandPath(['.', workspace, bin].join(path.delimiter), workspace);
    expect(dirs).toEqual([bin]);
    expect(resolveProgram('tool', dirs)).toBe(path.join(bin, 'tool'));
    expect(resolveProgram('plain', dirs)).toBeUndefined();
    expect(resolveProgram('dir', dirs)).toBeUndefined();
    expect(resolveProgram('tool', commandPath(bin, workspace, [root]))).toBeUndefined();
  });
});

describe('run_command in the sandbox', () => {
  it('hostile: an env dump shows none of the planted secrets, and /proc shows no host process nor its environment', async () => {
    await withEnv(planted, async () => {
      const script = [
        'const fs = require("fs");',
        'const pids = fs.readdirSync("/proc").filter((n) => /^\\d+$/.test(n));',
        'const environs = pids.map((p) => { try { return fs.readFileSync(`/proc/${p}/environ`, "utf8"); } catch (e) { return e.code; } });',
        'console.log(JSON.stringify({ env: process.env, pid: process.pid, pids, environs }));',
      ].join('\n');
      const out = await executeTool('run_command', { argv: ['node', '-e', script] }, { ...context, sandbox: { ...sandbox, env: { NODE_ENV: 'test' } } });
      expect(out.is_error).toBe(false);
      const seen = JSON.parse(out.content.split('\n')[1]!) as { env: Record<string, string>; pid: number; pids: string[]; environs: string[] };
      for (const [name, value] of Object.entries(planted)) {
        expect(seen.env[name]).toBeUndefined();
        expect(out.content).not.toContain(value);
      }
      expect(out.content).not.toContain('hunter2pass');
      expect(seen.env.NODE_ENV).toBe('test');
      // Its own PID namespace: bwrap's init is 1, the command 2; nothing of the host.
      expect(seen.pid).toBe(2);
      expect(seen.pids).toEqual(['1', '2']);
    });
  });

  it('a command runs in the workspace with its fresh HOME in the private /tmp', async () => {
    const out = await executeTool(
      'run_command',
      { argv: ['node', '-e', 'const fs = require("fs"); console.log(process.cwd(), process.env.HOME, fs.readdirSync(process.env.HOME).length, JSON.stringify(fs.readdirSync("/tmp").sort()))'], cwd: 'pkg' },
      context,
    );
    // The private /tmp holds the fresh HOME and the mount points down to the workspace, nothing else.
    expect(out).toEqual({ content: `exit code 0\n${path.join(workspace, 'pkg')} /tmp/home 0 ${JSON.stringify([path.basename(root), 'home'].sort())}\n`, is_error: false, exit_code: 0 });
  });

  it('hostile: the host\'s sysctls and /run stay out of reach, even for root', async () => {
    // Opened for writing, never written: a sandbox that let it through must not change the host.
    const script = [
      'const fs = require("fs");',
      'for (const p of ["/proc/sys/kernel/core_pattern", "/proc/sys/vm/drop_caches"]) {',
      '  try { fs.closeSync(fs.openSync(p, fs.constants.O_WRONLY)); console.log("WRITABLE", p); } catch (e) { console.log(e.code, p); }',
      '}',
      'console.log(JSON.stringify(fs.readdirSync("/run")));',
    ].join('\n');
    const out = await executeTool('run_command', { argv: ['node', '-e', script] }, context);
    expect(out).toEqual({ content: 'exit code 0\nEROFS /proc/sys/kernel/core_pattern\nEROFS /proc/sys/vm/drop_caches\n[]\n', is_error: false, exit_code: 0 });
  });

  it('hostile: writes outside the workspace fail, inside it they land', async () => {
    const outside = path.join(root, 'outside.txt');
    const script = [
      'const fs = require("fs");',
      `for (const p of ["/etc/clutch-probe", ${JSON.stringify(outside)}, "/root/clutch-probe", "in-workspace.txt"]) {`,
      '  try { fs.writeFileSync(p, "x"); console.log("wrote", p); } catch (e) { console.log(e.code, p); }',
      '}',
    ].join('\n');
    const out = await executeTool('run_command', { argv: ['node', '-e', script] }, context);
    // Outside: the host's root is read-only; the test's folder is in the private /tmp, so the write lands nowhere on the host.
    expect(out.content).toContain('EROFS /etc/clutch-probe');
    expect(out.content).toContain('EROFS /root/clutch-probe');
    expect(readFileSync(path.join(workspace, 'in-workspace.txt'), 'utf8')).toBe('x');
    expect(() => readFileSync(outside)).toThrow(/ENOENT/);
  });
});

describe('where the sandbox cannot run', () => {
  it('missing bwrap: run_command refuses and names the fix; the preview says so too', async () => {
    await withEnv({ CLUTCH_BWRAP: '/nonexistent/bwrap' }, async () => {
      expect(locateBwrap(process.env)).toEqual({ missing: 'CLUTCH_BWRAP=/nonexistent/bwrap: no executable file at /nonexistent/bwrap' });
      const status = await sandboxStatus();
      expect(status.usable).toBe(false);
      const message =
        'run_command cannot sandbox commands: bubblewrap is not available (CLUTCH_BWRAP=/nonexistent/bwrap: no executable file at /nonexistent/bwrap). ' +
        "Fix: install bubblewrap (`apt-get install bubblewrap`, or your system's package of it), " +
        'or set sandbox = "none" under [execution] in agents.toml to run commands unsandboxed.';
      expect(status).toMatchObject({ usable: false, message });
      expect(await executeTool('run_command', { argv: ['node', '-e', '1'] }, context)).toEqual({ content: message, is_error: true });
      expect(await executeTool('run_command', { argv: ['node', '-e', '1'] }, { ...context, sandbox })).toEqual({ content: message, is_error: true });
      expect(await previewTool('run_command', { argv: ['node', '-e', '1'] }, context)).toEqual({
        kind: 'text',
        text: `run_command will be refused: ${message}\nargv: ["node","-e","1"]`,
      });
    });
  });

  it('bwrap that cannot create namespaces: the refusal names user namespaces and the way out', async () => {
    const fake = path.join(root, 'bwrap');
    writeFileSync(fake, '#!/bin/sh\nif [ "$1" = --version ]; then echo "bubblewrap 0.8.0"; exit 0; fi\necho "bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces." >&2\nexit 1\n');
    chmodSync(fake, 0o755);
    await withEnv({ CLUTCH_BWRAP: fake }, async () => {
      const out = await executeTool('run_command', { argv: ['node', '-e', '1'] }, context);
      expect(out.is_error).toBe(true);
      expect(out.content).toBe(
        `run_command cannot sandbox commands: ${fake} cannot create the sandbox's namespaces here ` +
          '(bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces.). ' +
          'Fix: allow unprivileged user namespaces (`sysctl -w kernel.unprivileged_userns_clone=1` on Debian, ' +
          '`sysctl -w user.max_user_namespaces=15000` where it is 0; on Ubuntu 23.10 and later AppArmor restricts them too: ' +
          '`sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`, or an AppArmor profile that lets bwrap use them; ' +
          'inside a container, run it with user namespaces allowed), or set sandbox = "none" under [execution] in agents.toml to run commands unsandboxed.',
      );
    });
  });

  it('sandbox = "none" runs without bwrap, and the environment allow-list still holds', async () => {
    await withEnv({ ...planted, CLUTCH_BWRAP: '/nonexistent/bwrap' }, async () => {
      const out = await executeTool(
        'run_command',
        { argv: ['node', '-e', 'console.log(JSON.stringify(process.env), process.pid > 2)'] },
        { ...context, sandbox: { ...sandbox, kind: 'none', env: { NODE_ENV: 'test' } } },
      );
      expect(out.is_error).toBe(false);
      for (const value of Object.values(planted)) expect(out.content).not.toContain(value);
      const env = JSON.parse(out.content.split('\n')[1]!.replace(/ true$/, '')) as Record<string, string>;
      expect(Object.keys(env).sort()).toEqual(['CI', 'HOME', 'LANG', 'NODE_ENV', 'NO_COLOR', 'PATH', 'PWD', 'TZ']);
      // A fresh HOME of its own on the host, removed after the command.
      expect(env.HOME).toMatch(/clutch-home-/);
      expect(() => readFileSync(path.join(env.HOME!, 'x'))).toThrow(/ENOENT/);
      expect(out.content.endsWith(' true\n')).toBe(true);
    });
  });
});

describe('detecting how to limit commands', () => {
  const mountinfo = (lines: string[]) => lines.join('\n') + '\n';

  it('finds where command cgroups go: under this process\'s own cgroup, in v2 when it offers pids and memory, and in v1', () => {
    const v2 = path.join(root, 'unified');
    mkdirSync(path.join(v2, 'app'), { recursive: true });
    writeFileSync(path.join(v2, 'app', 'cgroup.controllers'), 'cpu memory pids\n');
    const lines = [
      `41 31 0:38 / ${v2} rw,relatime - cgroup2 cgroup2 rw`,
      '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
      '39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
    ];
    const places = cgroupPlaces({ mountinfo: mountinfo(lines), selfCgroup: '8:pids:/\n4:memory:/outer/job\n0::/app\n' });
    expect(places).toEqual({
      cgroup2: { base: path.join(v2, 'app'), parent: path.join(v2, 'app', 'clutch') },
      cgroup1: { pids: '/sys/fs/cgroup/pids/clutch', memory: '/sys/fs/cgroup/memory/outer/job/clutch' },
    });
  });

  it('says why a hierarchy cannot be used: v2 without the controllers, v1 not mounted', () => {
    const v2 = path.join(root, 'unified');
    mkdirSync(v2);
    writeFileSync(path.join(v2, 'cgroup.controllers'), 'hugetlb\n');
    const lines = [`41 31 0:38 / ${v2} rw - cgroup2 cgroup2 rw`];
    expect(cgroupPlaces({ mountinfo: mountinfo(lines), selfCgroup: '0::/\n' })).toEqual({
      cgroup2: `${path.join(v2, 'cgroup.controllers')} lacks pids and memory (it has: hugetlb)`,
      cgroup1: 'no cgroup v1 pids hierarchy is mounted',
    });
    const prlimit = detectLimits({ mountinfo: mountinfo(lines), selfCgroup: '0::/\n', prlimit: '/usr/bin/prlimit' });
    expect(prlimit).toEqual({
      kind: 'prlimit',
      prlimit: '/usr/bin/prlimit',
      why: `no writable cgroup (cgroup2: ${path.join(v2, 'cgroup.controllers')} lacks pids and memory (it has: hugetlb); cgroup v1: no cgroup v1 pids hierarchy is mounted)`,
    });
    expect(detectLimits({ mountinfo: mountinfo(lines), selfCgroup: '0::/\n' })).toMatchObject({ kind: 'none', why: expect.stringMatching(/and prlimit was not found on PATH$/) });
    // A cgroup outside the mount (another cgroup namespace's view) is not guessed at.
    const outside = cgroupPlaces({ mountinfo: mountinfo([`41 31 0:38 /job ${v2} rw - cgroup2 cgroup2 rw`]), selfCgroup: '0::/other\n' });
    expect(outside.cgroup2).toBe(`cgroup /other is outside the cgroup2 mount ${v2}`);
  });

  it('this machine: a real command cgroup holds the limits while it exists, and is gone after release', async () => {
    const mechanism = detectLimits({
      mountinfo: readFileSync('/proc/self/mountinfo', 'utf8'),
      selfCgroup: readFileSync('/proc/self/cgroup', 'utf8'),
      prlimit: '/usr/bin/prlimit',
    });
    if (mechanism.kind !== 'cgroup1' && mechanism.kind !== 'cgroup2') return;
    const limits = limitCommand({ maxTasks: 10, maxMemoryMb: 64 }, mechanism);
    const argv = limits.wrap(['/bin/true']);
    expect(argv.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    const folder = path.dirname(argv.find((arg) => arg.endsWith('cgroup.procs'))!);
    expect(readFileSync(path.join(folder, 'pids.max'), 'utf8').trim()).toBe('10');
    expect(limits.members()).toEqual([]);
    await limits.release();
    expect(() => readFileSync(path.join(folder, 'pids.max'))).toThrow(/ENOENT/);
  });

  it('this machine: the cgroup a Clutch process that is gone left behind is cleared, its members killed', async () => {
    const sources = { mountinfo: readFileSync('/proc/self/mountinfo', 'utf8'), selfCgroup: readFileSync('/proc/self/cgroup', 'utf8'), prlimit: '/usr/bin/prlimit' };
    const mechanism = detectLimits(sources);
    if (mechanism.kind !== 'cgroup1' && mechanism.kind !== 'cgroup2') return;
    const parent = mechanism.kind === 'cgroup1' ? mechanism.pids : mechanism.parent;
    let gone = 900_000;
    while (existsSync(`/proc/${gone}`)) gone++;
    const folder = path.join(parent, `${gone}-1`);
    mkdirSync(folder);
    const left = spawn('/bin/sh', ['-c', `echo $$ > ${folder}/cgroup.procs && exec sleep 60`], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => left.on('exit', (_code, signal) => resolve(signal)));
    await waitUntil(() => readFileSync(path.join(folder, 'cgroup.procs'), 'utf8').trim() === String(left.pid), 5000);
    detectLimits(sources);
    expect(await exited).toBe('SIGKILL');
    expect(await waitUntil(() => !existsSync(folder), 5000)).toBe(true);
  });
});
