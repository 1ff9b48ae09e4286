/**
 * Fault injection for the crash tests: `CLUTCH_TEST_CRASH_AT=POINT[:DETAIL][#N]` makes the process
 * SIGKILL itself the Nth time (default 1st) it passes POINT (with DETAIL, a tool name, when given).
 * The points sit in the windows a crash is most likely to hurt: after a tool's intent is committed
 * and before it runs, after it ran and before its result is committed, and around commits. Unset
 * (always, outside tests) this costs one comparison.
 */
export type CrashPoint = 'tool.intent' | 'tool.ran' | 'commit.before' | 'commit.after' | 'command.applied';

interface Trigger {
  point: string;
  detail: string | undefined;
  hit: number;
}

function parse(spec: string | undefined): Trigger | undefined {
  if (!spec) return undefined;
  const match = /^([a-z.]+)(?::([A-Za-z_.]+))?(?:#(\d+))?$/.exec(spec.trim());
  if (!match) throw new Error(`CLUTCH_TEST_CRASH_AT must look like POINT[:DETAIL][#N], got "${spec}"`);
  return { point: match[1]!, detail: match[2], hit: Number(match[3] ?? 1) };
}

const trigger = parse(process.env['CLUTCH_TEST_CRASH_AT']);
let seen = 0;

export function crashPoint(point: CrashPoint, detail?: string): void {
  if (trigger === undefined || trigger.point !== point) return;
  if (trigger.detail !== undefined && trigger.detail !== detail) return;
  seen += 1;
  if (seen === trigger.hit) process.kill(process.pid, 'SIGKILL');
}
