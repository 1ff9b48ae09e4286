import { commandCgroupMembers } from '../tools/command-limits.js';
import { isRunning, processInfo, signalEach, signalGroup, waitUntil } from '../tools/process-tree.js';
import type { CommandProcess } from '../store/index.js';

/**
 * What identifies a command across a crash: the pid run_command reported (the process it started:
 * bwrap, or the program itself when unsandboxed) and its start time. That process's death ends
 * the whole command: bwrap's PID namespace dies with it (--die-with-parent), and an unsandboxed
 * command's group and cgroup are killed with it below.
 */
export function commandProcess(pid: number): CommandProcess {
  return { pid, start: processInfo(pid)?.start ?? null };
}

const alive = (process: CommandProcess) => process.start !== null && isRunning(process.pid, process.start);

/**
 * A crash kills Clutch, and with it every sandboxed command (bwrap dies with its parent), but an
 * unsandboxed command may still be running when the run resumes, and would race the human deciding
 * whether to run it again. Stops it (the same pid and start time, never a reused pid): its cgroup's
 * members, its process group, and waits until its leader is gone; true when it was still running.
 * Without /proc nothing can be proven, and nothing is killed.
 */
export async function stopOrphan(process: CommandProcess, timeoutMs = 2000): Promise<boolean> {
  if (!alive(process)) return false;
  const members = commandCgroupMembers(process.pid);
  signalGroup(process.pid, 'SIGKILL');
  if (members) signalEach(members, 'SIGKILL');
  await waitUntil(() => {
    if (!alive(process)) return (commandCgroupMembers(process.pid)?.length ?? 0) === 0;
    return false;
  }, timeoutMs);
  return true;
}
