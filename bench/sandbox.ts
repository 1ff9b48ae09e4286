/**
 * What the command sandbox costs per command (run with `npm run bench`; never part of `npm test`).
 *
 * Medians of --runs (default 20) `node -e 0` commands, each measured from the call to its result:
 * - run_command with sandbox = "none" (the command cgroup, the allow-listed environment, no bwrap);
 * - run_command under bubblewrap (the default), the same otherwise;
 * - and, to tell bwrap's own share from Clutch's, the bare spawns: `node -e 0`, and
 *   `bwrap <the sandbox's flags> node -e 0`, with no cgroup.
 * The first run of each kind is a warm-up and is not counted. Exit code 1 when bubblewrap is not
 * usable here (it says why) or a command fails.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeLimits } from '../src/tools/command-limits.js';
import { commandEnvironment, commandPath } from '../src/tools/command-policy.js';
import { bwrapArgv, hiddenFolders, sandboxStatus, SANDBOX_HOME, SANDBOX_TMP } from '../src/tools/command-sandbox.js';
import { executeTool, type ToolContext } from '../src/tools/index.js';
import type { CommandSandbox } from '../src/tools/tool.js';

const runsArg = process.argv.find((arg) => arg.startsWith('--runs='));
const RUNS = runsArg ? Number(runsArg.slice('--runs='.length)) : 20;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function timed(times: number, action: () => Promise<void>): Promise<number> {
  await action();
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const start = process.hrtime.bigint();
    await action();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}

function spawnAndWait(argv: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${argv[0]} exited with ${code}`))));
  });
}

const status = await sandboxStatus();
if (!status.usable) {
  console.log(`FAIL: ${status.message}`);
  process.exit(1);
}
console.log(`bubblewrap ${status.version} at ${status.bwrap}; limits: ${describeLimits()}`);

const workspace = realpathSync(mkdtempSync(join(tmpdir(), 'clutch-bench-sandbox-')));
try {
  const base: CommandSandbox = { kind: 'bwrap', network: false, env: {}, maxProcesses: 256, maxMemoryMb: 2048 };
  const context = (sandbox: CommandSandbox): ToolContext => ({ workspace, allowedCommands: ['node'], commandTimeoutMs: 30_000, maxOutputBytes: 64 * 1024, sandbox });
  const command = async (sandbox: CommandSandbox): Promise<void> => {
    const out = await executeTool('run_command', { argv: ['node', '-e', '0'] }, context(sandbox));
    if (out.is_error) throw new Error(out.content);
  };
  const none = await timed(RUNS, () => command({ ...base, kind: 'none' }));
  const bwrap = await timed(RUNS, () => command(base));

  const hidden = hiddenFolders();
  const dirs = commandPath(process.env.PATH, workspace, [SANDBOX_TMP, ...hidden]);
  const env = commandEnvironment({ path: dirs, home: SANDBOX_HOME, cwd: workspace });
  const bare = await timed(RUNS, () => spawnAndWait([process.execPath, '-e', '0'], env));
  const argv = bwrapArgv({ bwrap: status.bwrap, features: status.features, workspace, cwd: workspace, sandbox: base, env, argv: [process.execPath, '-e', '0'], hidden });
  const bareBwrap = await timed(RUNS, () => spawnAndWait(argv, env));

  console.log(`median of ${RUNS} \`node -e 0\` runs:`);
  console.log(`  run_command, sandbox = "none":  ${none.toFixed(1)} ms`);
  console.log(`  run_command, under bubblewrap:  ${bwrap.toFixed(1)} ms  (+${(bwrap - none).toFixed(1)} ms per command)`);
  console.log(`  bare node -e 0:                 ${bare.toFixed(1)} ms`);
  console.log(`  bare bwrap … node -e 0:         ${bareBwrap.toFixed(1)} ms  (bwrap itself: +${(bareBwrap - bare).toFixed(1)} ms)`);
} finally {
  rmSync(workspace, { recursive: true, force: true });
}
