import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isRunning, processTable, signalEach, waitUntil } from './process-tree.js';

/**
 * The per-archetype limits of run_command (`max_processes`, `max_memory_mb`). Each command gets a
 * cgroup of its own under a `clutch` parent: cgroup v2 when its hierarchy has the pids and memory
 * controllers, else the v1 pids and memory hierarchies. The command joins it before it starts: a
 * two-line shell writes its own pid into `cgroup.procs`, then execs the command (bwrap, or the
 * program itself), so there is no moment when a process of the command runs outside it. The cgroup
 * is removed once the command and everything it started are gone.
 *
 * Without a writable cgroup, prlimit sets rlimits instead, which are only approximate (per process,
 * not per command), and the command's output says so.
 */

/** How the limits are applied on this machine. */
export type LimitsMechanism =
  | { kind: 'cgroup2'; parent: string }
  | { kind: 'cgroup1'; pids: string; memory: string }
  | { kind: 'prlimit'; prlimit: string; why: string }
  | { kind: 'none'; why: string };

/** The name of the folder under which every command's cgroup is made, in each hierarchy. */
export const CGROUP_PARENT = 'clutch';

/** A command's cgroup (`<Clutch pid>-<n>`), or a detection probe's (`<Clutch pid>-probe`). */
const COMMAND_CGROUP = /^(\d+)-(\d+|probe)$/;

interface Sources {
  /** The text of /proc/self/mountinfo. */
  mountinfo: string;
  /** The text of /proc/self/cgroup. */
  selfCgroup: string;
  /** Where prlimit is, if anywhere. */
  prlimit?: string | undefined;
}

/** Mount points of a kind from mountinfo: [mount root, mount point, super options]. */
function mounts(mountinfo: string, fstype: string): { root: string; point: string; options: string[] }[] {
  const found: { root: string; point: string; options: string[] }[] = [];
  for (const line of mountinfo.split('\n')) {
    const [before, after] = line.split(' - ');
    if (before === undefined || after === undefined) continue;
    const fields = before.split(' ');
    const [type, , superOptions] = after.split(' ');
    if (type !== fstype || fields.length < 5) continue;
    const unescape = (text: string) => text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
    found.push({ root: unescape(fields[3]!), point: unescape(fields[4]!), options: (superOptions ?? '').split(',') });
  }
  return found;
}

/** This process's cgroup path in the v1 hierarchy with `controller`, or in v2 (controller ""). */
function ownPath(selfCgroup: string, controller: string): string | undefined {
  for (const line of selfCgroup.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!match) continue;
    const controllers = match[2]!.split(',');
    if (controller === '' ? match[1] === '0' && match[2] === '' : controllers.includes(controller)) return match[3]!;
  }
  return undefined;
}

/** The folder of this process's cgroup under a mount, or undefined when it lies outside the mount. */
function cgroupFolder(mount: { root: string; point: string }, own: string): string | undefined {
  const relative = path.posix.relative(mount.root, own);
  if (relative.startsWith('..') || path.posix.isAbsolute(relative)) return undefined;
  return path.join(mount.point, relative);
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Makes `parent`, and checks that a command cgroup with the given limit files can be made in it. */
function tryParent(parent: string, limitFiles: readonly string[]): string | undefined {
  try {
    mkdirSync(parent, { recursive: true });
    const probe = path.join(parent, `${process.pid}-probe`);
    mkdirSync(probe, { recursive: true });
    try {
      for (const file of limitFiles) {
        const target = path.join(probe, file);
        if (!existsSync(target)) return `${target} does not exist (the controller is not enabled there)`;
        writeFileSync(target, readText(target)?.trim() || 'max');
      }
    } finally {
      rmdirSync(probe);
    }
    removeStale(parent);
    return undefined;
  } catch (error) {
    return `${parent}: ${describe(error)}`;
  }
}

/**
 * Clears the cgroups that commands of a Clutch process that is gone left behind. A crash kills
 * every sandboxed command (bwrap dies with its parent), except in one narrow window: a crash while
 * bwrap is still setting up leaves its half-made child waiting for a parent that never comes. Those,
 * and anything else still in such a cgroup, are killed; the cgroup is removed once it is empty.
 */
function removeStale(parent: string): void {
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return;
  }
  const stale: string[] = [];
  for (const name of entries) {
    const match = COMMAND_CGROUP.exec(name);
    if (!match || Number(match[1]) === process.pid || isRunning(Number(match[1]))) continue;
    const folder = path.join(parent, name);
    signalEach(readPids(path.join(folder, 'cgroup.procs')), 'SIGKILL');
    stale.push(folder);
  }
  const remove = (tries: number): void => {
    const busy = stale.filter((folder) => {
      try {
        rmdirSync(folder);
        return false;
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'EBUSY';
      }
    });
    stale.splice(0, stale.length, ...busy);
    // The killed members take a moment to go; later tries, without holding Clutch up.
    if (stale.length > 0 && tries > 0) setTimeout(() => remove(tries - 1), 100).unref();
  };
  remove(20);
}

/**
 * Where the command cgroups would go, from mountinfo and this process's own cgroups (no writes):
 * the v2 parent (when the v2 hierarchy offers pids and memory here) and the v1 parents, or why not.
 * They go under this process's own cgroup, so they stay inside whatever limits Clutch runs under.
 */
export function cgroupPlaces(sources: Sources): {
  cgroup2: { base: string; parent: string } | string;
  cgroup1: { pids: string; memory: string } | string;
} {
  let cgroup2: { base: string; parent: string } | string;
  const mount = mounts(sources.mountinfo, 'cgroup2')[0];
  const own = ownPath(sources.selfCgroup, '');
  const base = mount && own !== undefined ? cgroupFolder(mount, own) : undefined;
  if (!mount) cgroup2 = 'no cgroup2 mount';
  else if (own === undefined) cgroup2 = 'this process is in no cgroup2 cgroup';
  else if (base === undefined) cgroup2 = `cgroup ${own} is outside the cgroup2 mount ${mount.point}`;
  else {
    const available = (readText(path.join(base, 'cgroup.controllers')) ?? '').split(/\s+/).filter(Boolean);
    cgroup2 =
      available.includes('pids') && available.includes('memory')
        ? { base, parent: path.join(base, CGROUP_PARENT) }
        : `${path.join(base, 'cgroup.controllers')} lacks pids and memory (it has: ${available.join(' ') || 'none'})`;
  }

  let cgroup1: { pids: string; memory: string } | string = { pids: '', memory: '' };
  for (const controller of ['pids', 'memory'] as const) {
    const v1 = mounts(sources.mountinfo, 'cgroup').find((entry) => entry.options.includes(controller));
    const ownV1 = ownPath(sources.selfCgroup, controller);
    const folder = v1 && ownV1 !== undefined ? cgroupFolder(v1, ownV1) : undefined;
    let why: string | undefined;
    if (!v1) why = `no cgroup v1 ${controller} hierarchy is mounted`;
    else if (ownV1 === undefined) why = `this process is in no v1 ${controller} cgroup`;
    else if (folder === undefined) why = `cgroup ${ownV1} is outside the ${controller} mount ${v1.point}`;
    if (why !== undefined) {
      cgroup1 = why;
      break;
    }
    cgroup1[controller] = path.join(folder!, CGROUP_PARENT);
  }
  return { cgroup2, cgroup1 };
}

const hasBoth = (file: string) => {
  const enabled = (readText(file) ?? '').split(/\s+/);
  return enabled.includes('pids') && enabled.includes('memory');
};

function setUpCgroup2(place: { base: string; parent: string }): LimitsMechanism | string {
  try {
    // The controllers must be on for the children of base (our clutch parent) and of the parent.
    if (!hasBoth(path.join(place.base, 'cgroup.subtree_control'))) writeFileSync(path.join(place.base, 'cgroup.subtree_control'), '+pids +memory');
    mkdirSync(place.parent, { recursive: true });
    if (!hasBoth(path.join(place.parent, 'cgroup.subtree_control'))) writeFileSync(path.join(place.parent, 'cgroup.subtree_control'), '+pids +memory');
  } catch (error) {
    return `cgroup2 at ${place.base}: ${describe(error)}`;
  }
  const why = tryParent(place.parent, ['pids.max', 'memory.max']);
  return why === undefined ? { kind: 'cgroup2', parent: place.parent } : why;
}

function setUpCgroup1(place: { pids: string; memory: string }): LimitsMechanism | string {
  const why = tryParent(place.pids, ['pids.max']) ?? tryParent(place.memory, ['memory.limit_in_bytes']);
  return why === undefined ? { kind: 'cgroup1', pids: place.pids, memory: place.memory } : why;
}

/** Picks the mechanism from what the machine offers: cgroup v2, else v1, else prlimit. */
export function detectLimits(sources: Sources): LimitsMechanism {
  const places = cgroupPlaces(sources);
  const v2 = typeof places.cgroup2 === 'string' ? places.cgroup2 : setUpCgroup2(places.cgroup2);
  if (typeof v2 !== 'string') return v2;
  const v1 = typeof places.cgroup1 === 'string' ? places.cgroup1 : setUpCgroup1(places.cgroup1);
  if (typeof v1 !== 'string') return v1;
  const why = `no writable cgroup (cgroup2: ${v2}; cgroup v1: ${v1})`;
  if (sources.prlimit !== undefined) return { kind: 'prlimit', prlimit: sources.prlimit, why };
  return { kind: 'none', why: `${why}, and prlimit was not found on PATH` };
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(path.delimiter)) {
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

let pinned: LimitsMechanism | undefined;
let detected: LimitsMechanism | undefined;

/** How this machine applies the limits (detected once per process). */
export function limitsMechanism(): LimitsMechanism {
  if (pinned) return pinned;
  detected ??= detectLimits({
    mountinfo: readText('/proc/self/mountinfo') ?? '',
    selfCgroup: readText('/proc/self/cgroup') ?? '',
    prlimit: findOnPath('prlimit'),
  });
  return detected;
}

/** Pins the mechanism (a test of the fallback), or goes back to the detected one with undefined. */
export function useLimitsMechanism(mechanism: LimitsMechanism | undefined): void {
  pinned = mechanism;
}

/** A sentence on how commands are limited here, for session info. */
export function describeLimits(mechanism: LimitsMechanism = limitsMechanism()): string {
  switch (mechanism.kind) {
    case 'cgroup2':
      return `a cgroup v2 per command under ${mechanism.parent}`;
    case 'cgroup1':
      return `a cgroup v1 per command under ${mechanism.pids} and ${mechanism.memory}`;
    case 'prlimit':
      return `approximate: rlimits set by ${mechanism.prlimit}, because there is ${mechanism.why}`;
    case 'none':
      return `not applied: ${mechanism.why}`;
  }
}

export interface LimitRequest {
  /** Most tasks (processes and their threads) at once, for the whole command. */
  maxTasks: number;
  maxMemoryMb: number;
}

/** One command's limits, from before it starts until it and all it started are gone. */
export interface CommandLimits {
  readonly kind: LimitsMechanism['kind'];
  /** The argv that puts `argv` under the limits and then execs it (same pid). */
  wrap(argv: readonly string[]): string[];
  /** The pids in the command's cgroup now; undefined without a cgroup. */
  members(): number[] | undefined;
  /** SIGKILL to every member of the cgroup. */
  killMembers(): void;
  /** How many processes of the command the kernel killed for going over the memory limit. */
  oomKills(): number;
  /** How many times the kernel refused the command a new process or thread (max_processes). */
  pidsRefusals(): number;
  /** A line for the command's output when the limits are approximate or missing. */
  readonly note: string | undefined;
  /** Kills what is left, waits until the cgroup is empty (at most timeoutMs) and removes it. */
  release(timeoutMs?: number): Promise<void>;
}

const JOIN_SCRIPT =
  'while [ "$#" -gt 0 ] && [ "$1" != -- ]; do echo $$ > "$1" || { echo "clutch: could not join the command cgroup $1" >&2; exit 125; }; shift; done; shift; exec "$@"';

let sequence = 0;

function readPids(file: string): number[] {
  return (readText(file) ?? '')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map(Number);
}

function counter(text: string | undefined, name: string): number {
  const match = new RegExp(`^${name} (\\d+)$`, 'm').exec(text ?? '');
  return match ? Number(match[1]) : 0;
}

/** Tasks (processes and threads) of this user now: RLIMIT_NPROC counts them all, not only the command's. */
function userTasks(): number {
  const uid = process.getuid?.();
  if (uid === undefined) return 0;
  let tasks = 0;
  for (const info of processTable()) {
    const status = readText(`/proc/${info.pid}/status`);
    if (status === undefined) continue;
    const real = /^Uid:\s+(\d+)/m.exec(status);
    if (real && Number(real[1]) === uid) tasks += Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 1);
  }
  return tasks;
}

function cgroupLimits(
  kind: 'cgroup1' | 'cgroup2',
  folders: string[],
  files: { procs: string; oom: string; pidsEvents: string; kill?: string },
): CommandLimits {
  const { procs: procsFile, oom: oomFile, kill: killFile } = files;
  const members = () => readPids(procsFile);
  const killMembers = (): void => {
    if (killFile !== undefined && existsSync(killFile)) {
      try {
        writeFileSync(killFile, '1');
        return;
      } catch {
        // An older kernel: signal the members one by one.
      }
    }
    signalEach(members(), 'SIGKILL');
  };
  return {
    kind,
    note: undefined,
    wrap: (argv) => ['/bin/sh', '-c', JOIN_SCRIPT, 'clutch-limits', ...folders.map((folder) => path.join(folder, 'cgroup.procs')), '--', ...argv],
    members,
    killMembers,
    oomKills: () => counter(readText(oomFile), 'oom_kill'),
    pidsRefusals: () => counter(readText(files.pidsEvents), 'max'),
    async release(timeoutMs = 5000) {
      await waitUntil(
        () => {
          if (members().length === 0) return true;
          killMembers();
          return false;
        },
        timeoutMs,
      );
      for (const folder of folders) {
        try {
          rmdirSync(folder);
        } catch {
          // Still busy past the deadline: a later Clutch removes it once it is empty.
        }
      }
    },
  };
}

function writeLimit(file: string, value: string, optional = false): void {
  try {
    writeFileSync(file, value);
  } catch (error) {
    if (optional) return;
    throw new Error(`could not set ${file} to ${value}: ${describe(error)}`, { cause: error });
  }
}

/** Sets up one command's limits (its cgroup exists once this returns). */
export function limitCommand(request: LimitRequest, mechanism: LimitsMechanism = limitsMechanism()): CommandLimits {
  const bytes = request.maxMemoryMb * 1024 * 1024;
  const name = `${process.pid}-${++sequence}`;
  switch (mechanism.kind) {
    case 'cgroup2': {
      const folder = path.join(mechanism.parent, name);
      mkdirSync(folder);
      try {
        writeLimit(path.join(folder, 'pids.max'), String(request.maxTasks));
        writeLimit(path.join(folder, 'memory.max'), String(bytes));
        writeLimit(path.join(folder, 'memory.swap.max'), '0', true);
        // The OOM killer ends the whole command, not just its largest process.
        writeLimit(path.join(folder, 'memory.oom.group'), '1', true);
      } catch (error) {
        rmdirSync(folder);
        throw error;
      }
      return cgroupLimits('cgroup2', [folder], {
        procs: path.join(folder, 'cgroup.procs'),
        oom: path.join(folder, 'memory.events'),
        pidsEvents: path.join(folder, 'pids.events'),
        kill: path.join(folder, 'cgroup.kill'),
      });
    }
    case 'cgroup1': {
      const pids = path.join(mechanism.pids, name);
      const memory = path.join(mechanism.memory, name);
      mkdirSync(pids);
      try {
        mkdirSync(memory);
      } catch (error) {
        rmdirSync(pids);
        throw error;
      }
      try {
        writeLimit(path.join(pids, 'pids.max'), String(request.maxTasks));
        writeLimit(path.join(memory, 'memory.limit_in_bytes'), String(bytes));
        // Memory plus swap at the same limit, so a command cannot swap its way past it.
        writeLimit(path.join(memory, 'memory.memsw.limit_in_bytes'), String(bytes), true);
        writeLimit(path.join(memory, 'memory.swappiness'), '0', true);
      } catch (error) {
        rmdirSync(pids);
        rmdirSync(memory);
        throw error;
      }
      return cgroupLimits('cgroup1', [pids, memory], {
        procs: path.join(pids, 'cgroup.procs'),
        oom: path.join(memory, 'memory.oom_control'),
        pidsEvents: path.join(pids, 'pids.events'),
      });
    }
    case 'prlimit': {
      const nproc = request.maxTasks + userTasks();
      return {
        kind: 'prlimit',
        note:
          `[note: limits are approximate: ${mechanism.why}; max_memory_mb caps each process's data (RLIMIT_DATA) and ` +
          `max_processes this user's tasks (RLIMIT_NPROC, which does not apply to root)]`,
        wrap: (argv) => [mechanism.prlimit, `--nproc=${nproc}`, `--data=${bytes}`, '--', ...argv],
        members: () => undefined,
        killMembers: () => undefined,
        oomKills: () => 0,
        pidsRefusals: () => 0,
        release: async () => undefined,
      };
    }
    case 'none':
      return {
        kind: 'none',
        note: `[note: max_processes and max_memory_mb were not applied: ${mechanism.why}]`,
        wrap: (argv) => [...argv],
        members: () => undefined,
        killMembers: () => undefined,
        oomKills: () => 0,
        pidsRefusals: () => 0,
        release: async () => undefined,
      };
  }
}

/**
 * The members of the command cgroup that `pid` is in, when it is in one of Clutch's (a command a
 * crash left running); undefined otherwise.
 */
export function commandCgroupMembers(pid: number): number[] | undefined {
  const text = readText(`/proc/${pid}/cgroup`);
  if (text === undefined) return undefined;
  const mechanism = limitsMechanism();
  let parent: string;
  let own: string | undefined;
  if (mechanism.kind === 'cgroup2') {
    parent = mechanism.parent;
    own = ownPath(text, '');
  } else if (mechanism.kind === 'cgroup1') {
    parent = mechanism.pids;
    own = ownPath(text, 'pids');
  } else {
    return undefined;
  }
  if (own === undefined) return undefined;
  const name = path.posix.basename(own);
  if (!COMMAND_CGROUP.test(name) || path.posix.basename(path.posix.dirname(own)) !== CGROUP_PARENT) return undefined;
  return readPids(path.join(parent, name, 'cgroup.procs'));
}
