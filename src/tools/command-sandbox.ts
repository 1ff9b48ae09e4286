import { execFile } from 'node:child_process';
import { accessSync, constants, lstatSync, statSync } from 'node:fs';
import path from 'node:path';
import type { CommandSandbox } from './tool.js';
import { describeLimits, limitsMechanism, type LimitsMechanism } from './command-limits.js';

/**
 * run_command under bubblewrap. The command sees the host's file system read-only, a private
 * /tmp (and an empty /run), and its workspace as the only writable place; no network unless the archetype allows it;
 * a PID namespace of its own (so its /proc shows no process of the host, and none of the host's
 * environments); no capabilities and no further user namespaces; a new session (no TIOCSTI into
 * a terminal); and an environment that is exactly the allow-list of command-policy.ts.
 *
 * The command allow-list is not the boundary (`node -e` and `npm exec -c` reach a shell): this is.
 */

/** The private /tmp of the sandbox; HOME is a fresh folder in it. */
export const SANDBOX_TMP = '/tmp';
export const SANDBOX_HOME = '/tmp/home';

/**
 * Host folders replaced by an empty tmpfs besides /tmp: /run holds the host's Unix sockets (the
 * Docker socket, the D-Bus buses, systemd's), which a read-only bind would still let a command
 * connect to, network namespace or not. /var/run too where it is a folder of its own.
 */
export function hiddenFolders(): string[] {
  const hidden = ['/run'];
  try {
    if (lstatSync('/var/run').isDirectory()) hidden.push('/var/run');
  } catch {
    // No /var/run.
  }
  return hidden;
}

/**
 * Parts of the new /proc that are bound read-only over themselves. A command runs as the user
 * that runs Clutch, and when that is root, the owner bits of /proc/sys would let it write the
 * host's sysctls (core_pattern runs a program as root on the host) even without capabilities.
 */
const PROC_READ_ONLY = ['/proc/sys'];
const PROC_READ_ONLY_IF_THERE = ['/proc/sysrq-trigger', '/proc/irq', '/proc/bus', '/proc/pressure'];

/** What the probe found bwrap can do here. */
export interface BwrapFeatures {
  /** --unshare-user with --disable-userns: the command cannot make user namespaces of its own. */
  userns: boolean;
}

export interface BwrapPlan {
  /** The bwrap binary. */
  bwrap: string;
  features: BwrapFeatures;
  workspace: string;
  /** Absolute, inside the workspace. */
  cwd: string;
  sandbox: CommandSandbox;
  /** The command's whole environment (commandEnvironment). */
  env: Readonly<Record<string, string>>;
  /** The program, as an absolute path, and its arguments. */
  argv: readonly string[];
  /** A descriptor bwrap writes {"child-pid": N} to: the PID namespace's first process, as the host sees it. */
  infoFd?: number;
  /** Folders replaced by an empty tmpfs besides /tmp (hiddenFolders()). */
  hidden?: readonly string[];
  /**
   * The real path of /etc/resolv.conf: with the network, the folder it is in is bound back when it
   * lies in a hidden folder (systemd-resolved keeps it in /run), so that names still resolve.
   */
  resolvConf?: string;
}

/** The bwrap command line for a plan. Pure: the same plan always gives the same argv. */
export function bwrapArgv(plan: BwrapPlan): string[] {
  const argv = [plan.bwrap, '--die-with-parent', '--new-session', '--unshare-all'];
  if (plan.features.userns) argv.push('--unshare-user', '--disable-userns');
  if (plan.sandbox.network) argv.push('--share-net');
  // Root runs bwrap with every capability unless told otherwise; a command needs none.
  argv.push('--cap-drop', 'ALL');
  argv.push('--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc');
  for (const folder of PROC_READ_ONLY) argv.push('--ro-bind', folder, folder);
  for (const folder of PROC_READ_ONLY_IF_THERE) argv.push('--ro-bind-try', folder, folder);
  // The private /tmp, bounded like the command's memory; the workspace usually lies under /tmp,
  // so it is bound after the tmpfs, on top of it.
  const size = String(plan.sandbox.maxMemoryMb * 1024 * 1024);
  argv.push('--size', size, '--tmpfs', SANDBOX_TMP, '--dir', SANDBOX_HOME);
  for (const folder of plan.hidden ?? []) argv.push('--size', size, '--tmpfs', folder);
  const resolv = plan.resolvConf;
  if (plan.sandbox.network && resolv !== undefined && (plan.hidden ?? []).some((folder) => resolv.startsWith(`${folder}/`))) {
    argv.push('--ro-bind-try', path.dirname(resolv), path.dirname(resolv));
  }
  argv.push('--bind', plan.workspace, plan.workspace);
  for (const readOnly of plan.sandbox.readOnly ?? []) argv.push('--ro-bind', readOnly, readOnly);
  argv.push('--chdir', plan.cwd, '--clearenv');
  for (const [name, value] of Object.entries(plan.env)) argv.push('--setenv', name, value);
  if (plan.infoFd !== undefined) argv.push('--info-fd', String(plan.infoFd));
  argv.push('--', ...plan.argv);
  return argv;
}

/** The bwrap binary: $CLUTCH_BWRAP if set (a path, or a name looked up on PATH), else `bwrap` on PATH. */
export function locateBwrap(env: NodeJS.ProcessEnv = process.env): { path: string } | { missing: string } {
  const wanted = env.CLUTCH_BWRAP !== undefined && env.CLUTCH_BWRAP !== '' ? env.CLUTCH_BWRAP : 'bwrap';
  const from = wanted === env.CLUTCH_BWRAP ? `CLUTCH_BWRAP=${wanted}` : 'bwrap';
  const executable = (file: string): boolean => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  };
  if (wanted.includes('/')) {
    const absolute = path.resolve(wanted);
    return executable(absolute) ? { path: absolute } : { missing: `${from}: no executable file at ${absolute}` };
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, wanted);
    if (executable(candidate)) return { path: candidate };
  }
  return { missing: `${from} was not found on PATH` };
}

export type SandboxStatus =
  | {
      usable: true;
      bwrap: string;
      version: string;
      features: BwrapFeatures;
      /** How max_processes and max_memory_mb are applied (cgroup, or approximately). */
      limits: string;
      limitsKind: LimitsMechanism['kind'];
    }
  | {
      usable: false;
      bwrap: string | undefined;
      /** What is wrong, in one sentence. */
      reason: string;
      /** What to do about it. */
      fix: string;
      /** The whole message run_command refuses with. */
      message: string;
    };

const NONE_FIX = 'or set sandbox = "none" under [execution] in agents.toml to run commands unsandboxed';
const INSTALL_FIX = `install bubblewrap (\`apt-get install bubblewrap\`, or your system's package of it), ${NONE_FIX}`;
const USERNS_FIX =
  'allow unprivileged user namespaces (`sysctl -w kernel.unprivileged_userns_clone=1` on Debian, ' +
  '`sysctl -w user.max_user_namespaces=15000` where it is 0; on Ubuntu 23.10 and later AppArmor restricts them too: ' +
  '`sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`, or an AppArmor profile that lets bwrap use them; ' +
  `inside a container, run it with user namespaces allowed), ${NONE_FIX}`;

function unusable(bwrap: string | undefined, reason: string, fix: string): SandboxStatus {
  return {
    usable: false,
    bwrap,
    reason,
    fix,
    message: `run_command cannot sandbox commands: ${reason}. Fix: ${fix}.`,
  };
}

function run(file: string, args: readonly string[]): Promise<{ code: number | null; output: string; error?: { code: string; message: string } }> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { PATH: '/usr/bin:/bin' }, timeout: 10_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim();
      if (error === null) {
        resolve({ code: 0, output });
        return;
      }
      const code = typeof error.code === 'number' ? error.code : null;
      resolve({ code, output, ...(typeof error.code === 'string' ? { error: { code: error.code, message: error.message } } : {}) });
    });
  });
}

/** The flags every sandboxed command uses, on a trivial command. */
function probeArgs(features: BwrapFeatures, program: string): string[] {
  return [
    '--die-with-parent',
    '--new-session',
    '--unshare-all',
    ...(features.userns ? ['--unshare-user', '--disable-userns'] : []),
    '--cap-drop',
    'ALL',
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    ...PROC_READ_ONLY.flatMap((folder) => ['--ro-bind', folder, folder]),
    '--tmpfs',
    SANDBOX_TMP,
    ...hiddenFolders().flatMap((folder) => ['--tmpfs', folder]),
    '--clearenv',
    '--',
    program,
  ];
}

async function probe(env: NodeJS.ProcessEnv): Promise<SandboxStatus> {
  const located = locateBwrap(env);
  if ('missing' in located) return unusable(undefined, `bubblewrap is not available (${located.missing})`, INSTALL_FIX);
  const bwrap = located.path;
  const version = await run(bwrap, ['--version']);
  if (version.error !== undefined) {
    return unusable(bwrap, `${bwrap} could not be started (${version.error.code}: ${version.error.message})`, INSTALL_FIX);
  }
  const trivial = ['/bin/true', '/usr/bin/true'].find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  const program = trivial ?? process.execPath;
  let failure = '';
  // With user namespaces closed behind it where this bwrap can; without, where it cannot (setuid bwrap).
  for (const features of [{ userns: true }, { userns: false }]) {
    const result = await run(bwrap, [...probeArgs(features, program), ...(trivial ? [] : ['-e', '0'])]);
    if (result.code === 0) {
      const limits = limitsMechanism();
      return {
        usable: true,
        bwrap,
        version: version.output.replace(/^bubblewrap\s*/i, ''),
        features,
        limits: describeLimits(limits),
        limitsKind: limits.kind,
      };
    }
    failure ||= result.output || `exit code ${result.code ?? 'unknown'}`;
  }
  return unusable(bwrap, `${bwrap} cannot create the sandbox's namespaces here (${failure.split('\n')[0]})`, USERNS_FIX);
}

const probes = new Map<string, Promise<SandboxStatus>>();

/**
 * Whether run_command can sandbox commands here, probed once per process (per bwrap location):
 * bwrap is run with the sandbox's flags on a trivial command. Session info shows it.
 */
export function sandboxStatus(env: NodeJS.ProcessEnv = process.env): Promise<SandboxStatus> {
  const key = `${env.CLUTCH_BWRAP ?? ''}\0${env.PATH ?? ''}`;
  let status = probes.get(key);
  if (status === undefined) {
    status = probe(env);
    probes.set(key, status);
  }
  return status;
}

/** Forgets the probes (after installing bubblewrap, say), so the next call probes again. */
export function forgetSandboxProbes(): void {
  probes.clear();
}
