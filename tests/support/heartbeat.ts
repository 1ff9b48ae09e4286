import { readFileSync } from 'node:fs';

/**
 * Whether `file` keeps changing for `ms`: a process proves it still runs by its heartbeat file
 * (inside the sandbox its pid is the PID namespace's own, so the host cannot look it up).
 */
export async function heartbeatGoesOn(file: string, ms = 300): Promise<boolean> {
  const before = readFileSync(file, 'utf8');
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (readFileSync(file, 'utf8') !== before) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}
