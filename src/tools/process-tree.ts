import { readdirSync, readFileSync } from 'node:fs';

/**
 * Processes seen through /proc (Linux): who is whose child, and whether a process is still
 * running. run_command uses it to find every process a command started, also those that left its
 * process group, and to tell a pid that was reused from the one it started.
 */

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Process group. */
  pgid: number;
  /** Single-letter state; "Z" is a zombie (it has exited, only its parent has not reaped it). */
  state: string;
  /** Start time in clock ticks after boot: with the pid, it names one process for good. */
  start: string;
}

/** A process's entry in /proc, or undefined when it is gone (or there is no /proc). */
export function processInfo(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name (which may hold spaces and parentheses), from field 3 on.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, state: fields[0]!, ppid: Number(fields[1]), pgid: Number(fields[2]), start: fields[19]! };
  } catch {
    return undefined;
  }
}

/** Running means present and not a zombie; with `start`, also the same process (not a reused pid). */
export function isRunning(pid: number, start?: string | null): boolean {
  const info = processInfo(pid);
  if (info === undefined || info.state === 'Z' || info.state === 'X') return false;
  return start === undefined || start === null || info.start === start;
}

/** Every process in /proc now. */
export function processTable(): ProcessInfo[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const table: ProcessInfo[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const info = processInfo(Number(name));
    if (info !== undefined) table.push(info);
  }
  return table;
}

/** The running descendants of `root` (not root itself), parents before their children. */
export function descendants(root: number, table: readonly ProcessInfo[] = processTable()): number[] {
  const children = new Map<number, number[]>();
  for (const info of table) {
    if (info.state === 'Z') continue;
    const list = children.get(info.ppid) ?? [];
    list.push(info.pid);
    children.set(info.ppid, list);
  }
  const found: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  const seen = new Set<number>([root]);
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** Sends `signal` to each pid, ignoring those already gone. */
export function signalEach(pids: Iterable<number>, signal: NodeJS.Signals): void {
  for (const pid of pids) {
    if (!Number.isInteger(pid) || pid <= 1) continue;
    try {
      process.kill(pid, signal);
    } catch {
      // ESRCH: it ended in between.
    }
  }
}

/** Sends `signal` to the process group `pgid`, ignoring a group that is already gone. */
export function signalGroup(pgid: number | undefined, signal: NodeJS.Signals): void {
  if (pgid === undefined || !Number.isInteger(pgid) || pgid <= 1) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the whole group is already gone.
  }
}

/** Polls (every few ms) until `done()` or the deadline; true when done. */
export async function waitUntil(done: () => boolean, timeoutMs: number, everyMs = 5): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return true;
}

/** A command's whole tree, however it is found (a cgroup's members, a PID namespace, a process group). */
export interface ProcessTree {
  /** Asks every process of the tree to stop (SIGTERM). */
  terminate(): void;
  /** Ends everything at once (SIGKILL). */
  kill(): void;
  /** True once no process of the tree runs any more. */
  ended(): boolean;
}

/**
 * SIGTERM, then SIGKILL when the tree still runs `graceMs` later (a process that ignores SIGTERM,
 * or takes too long over it). Resolves with the signal that ended it.
 */
export async function stopTree(tree: ProcessTree, graceMs: number): Promise<'SIGTERM' | 'SIGKILL'> {
  tree.terminate();
  if (await waitUntil(() => tree.ended(), graceMs)) return 'SIGTERM';
  tree.kill();
  return 'SIGKILL';
}
