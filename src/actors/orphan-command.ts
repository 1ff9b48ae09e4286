import { readFileSync } from 'node:fs';
import type { CommandProcess } from '../store/index.js';

/** A process's state and start time from /proc (Linux); undefined when it is gone or there is no /proc. */
function procStat(pid: number): { state: string; start: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), from field 3 (state) on.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, start: fields[19]! };
  } catch {
    return undefined;
  }
}

/** What identifies a command's process group leader across a crash: its pid and start time. */
export function commandProcess(pid: number): CommandProcess {
  return { pid, start: procStat(pid)?.start ?? null };
}

const alive = (process: CommandProcess) => {
  const stat = procStat(process.pid);
  return stat !== undefined && stat.start === process.start && stat.state !== 'Z';
};

/**
 * A crash kills Clutch but not the commands it started: their group may still be running when the
 * run resumes, and would race the human deciding whether to run it again. Stops that group (the
 * same pid and start time, never a reused pid) and waits until its leader is gone; true when it
 * was still running. Without /proc nothing can be proven, and nothing is killed.
 */
export async function stopOrphan(process: CommandProcess, timeoutMs = 2000): Promise<boolean> {
  if (process.start === null || !alive(process)) return false;
  try {
    globalThis.process.kill(-process.pid, 'SIGKILL');
  } catch {
    // ESRCH: it ended in between.
  }
  for (const deadline = Date.now() + timeoutMs; alive(process) && Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}
