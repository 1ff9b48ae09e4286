import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { commandLimitDefaults } from '../protocol/config-schema.js';
import { toolInputSchemas, type ToolInput, type ToolOutput, type ToolPreview } from '../protocol/index.js';
import type { CommandSandbox, Tool, ToolContext } from './tool.js';
import { commandEnvironment, commandPath, refuseArguments, refuseProgram, resolveProgram } from './command-policy.js';
import { limitCommand, type CommandLimits } from './command-limits.js';
import { bwrapArgv, hiddenFolders, sandboxStatus, SANDBOX_HOME, SANDBOX_TMP, type BwrapFeatures } from './command-sandbox.js';
import { describeFsError, quote, statOrUndefined, toolError } from './files.js';
import { HeadTailBuffer } from './output.js';
import { descendants, isRunning, processInfo, processTable, signalEach, signalGroup, stopTree, waitUntil, type ProcessTree } from './process-tree.js';
import { errorCode, resolveInWorkspace } from './sandbox.js';

type Input = ToolInput<'run_command'>;

/** On timeout or abort: how long after SIGTERM the tree still running gets SIGKILL. */
export const KILL_GRACE_MS = 2000;

/**
 * After the main process exits, how long to wait for its output pipes to close. Under the sandbox
 * everything it started dies with it; unsandboxed, a descendant that left the process group
 * (setsid) and the command's cgroup (none here) can hold them open forever: we stop waiting.
 */
export const CLOSE_GRACE_MS = 2000;

/** The graces in use; tests shorten them. */
export const runCommandOptions = { killGraceMs: KILL_GRACE_MS, closeGraceMs: CLOSE_GRACE_MS };

/** bwrap's two processes (the one Clutch starts and the PID namespace's init), beside the command's own. */
const BWRAP_TASKS = 2;

/** What a context without a sandbox gets: bubblewrap with the default limits, never unsandboxed. */
export const DEFAULT_SANDBOX: CommandSandbox = {
  kind: 'bwrap',
  network: false,
  env: {},
  maxProcesses: commandLimitDefaults.max_processes,
  maxMemoryMb: commandLimitDefaults.max_memory_mb,
};

interface Prepared {
  ok: true;
  /** As the model gave it (the preview shows this). */
  argv: string[];
  /** argv[0] resolved to an absolute path on the command's PATH. */
  program: string;
  pathDirs: string[];
  cwd: string;
  cwdRelative: string;
  timeoutMs: number;
  sandbox: CommandSandbox;
  bwrap?: { path: string; features: BwrapFeatures; hidden: string[]; resolvConf: string | undefined };
}

function realPathOrUndefined(file: string): string | undefined {
  try {
    return realpathSync(file);
  } catch {
    return undefined;
  }
}

/** Validates everything before anything starts; preview and execute agree by construction. */
async function prepare(input: Input, context: ToolContext): Promise<Prepared | { ok: false; error: string }> {
  const name = input.argv[0] ?? '';
  const refused = refuseProgram(name, context.allowedCommands) ?? refuseArguments(input.argv);
  if (refused !== undefined) return { ok: false, error: refused };

  const resolved = await resolveInWorkspace(context.workspace, input.cwd ?? '.', { allowRoot: true });
  if (!resolved.ok) return { ok: false, error: `cwd: ${resolved.error}` };
  const shown = quote(resolved.relative);
  try {
    const info = await statOrUndefined(resolved.path);
    if (info === undefined) return { ok: false, error: `cwd ${shown} does not exist` };
    if (!info.isDirectory()) return { ok: false, error: `cwd ${shown} is not a directory` };
  } catch (error) {
    const message = describeFsError(error, shown);
    if (message === undefined) throw error;
    return { ok: false, error: `cwd: ${message}` };
  }

  const sandbox = context.sandbox ?? DEFAULT_SANDBOX;
  let bwrap: Prepared['bwrap'];
  if (sandbox.kind === 'bwrap') {
    const status = await sandboxStatus();
    if (!status.usable) return { ok: false, error: status.message };
    bwrap = { path: status.bwrap, features: status.features, hidden: hiddenFolders(), resolvConf: realPathOrUndefined('/etc/resolv.conf') };
    for (const readOnly of sandbox.readOnly ?? []) {
      if (!path.isAbsolute(readOnly) || (await statOrUndefined(readOnly)) === undefined) {
        return { ok: false, error: `the sandbox cannot keep ${JSON.stringify(readOnly)} read-only: it is not an existing absolute path` };
      }
    }
  }

  // Under bwrap the host's /tmp and /run are replaced by empty ones: a PATH entry there would not exist.
  const pathDirs = commandPath(sandbox.env.PATH ?? process.env.PATH, context.workspace, bwrap ? [SANDBOX_TMP, ...bwrap.hidden] : []);
  const program = resolveProgram(name, pathDirs);
  if (program === undefined) return { ok: false, error: `program ${JSON.stringify(name)} was not found; is it installed and on PATH?` };

  // The archetype's timeout is a ceiling: the model may ask for less, never for more.
  const timeoutMs = Math.min(input.timeout_ms ?? context.commandTimeoutMs, context.commandTimeoutMs);
  return {
    ok: true,
    argv: [...input.argv],
    program,
    pathDirs,
    cwd: resolved.path,
    cwdRelative: resolved.relative,
    timeoutMs,
    sandbox,
    ...(bwrap ? { bwrap } : {}),
  };
}

export const runCommandTool: Tool<Input> = {
  name: 'run_command',
  description:
    'Run a program in the workspace and get its exit code and combined stdout+stderr. argv[0] must ' +
    'be one of the allowed program names; no shell is involved (no pipes, globs or redirects). ' +
    'It runs sandboxed (unless the installation turned the sandbox off): only the workspace and a private ' +
    '/tmp are writable, there is no network unless this agent allows it, and nothing it starts outlives it. ' +
    'Long output is cut in the middle. The command is killed when it exceeds its timeout.',
  inputSchema: toolInputSchemas.run_command,

  async preview(input, context): Promise<ToolPreview> {
    const prepared = await prepare(input, context);
    if (!prepared.ok) {
      return { kind: 'text', text: `run_command will be refused: ${prepared.error}\nargv: ${JSON.stringify(input.argv)}` };
    }
    return { kind: 'command', argv: prepared.argv, cwd: prepared.cwdRelative, timeout_ms: prepared.timeoutMs };
  },

  async execute(input, context) {
    const prepared = await prepare(input, context);
    if (!prepared.ok) return toolError(prepared.error);
    if (context.signal?.aborted) return toolError('aborted before the command started');
    return runProcess(prepared, context);
  },
};

/** Commands still running, killed at once if Clutch itself exits, so that none outlives it. */
const liveCommands = new Set<() => void>();
let exitHookInstalled = false;

function trackCommand(killNow: () => void): void {
  liveCommands.add(killNow);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const kill of liveCommands) kill();
    });
  }
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };

/**
 * Every process of one command, found the surest way there is. Under bwrap: the PID namespace,
 * whose first process (bwrap's init) takes in every orphan of it, and whose death ends all of it;
 * SIGTERM goes to the processes inside, SIGKILL to that init. Unsandboxed: the process group, what
 * /proc shows as descendants, and the command's cgroup (which also holds those that left both).
 */
class CommandTree implements ProcessTree {
  /** The PID namespace's init, as the host sees it, and its start time. */
  init: { pid: number; start: string | null } | undefined;
  exited = false;

  constructor(
    readonly leader: number,
    readonly sandboxed: boolean,
    readonly limits: CommandLimits,
  ) {}

  private initRunning(): boolean {
    return this.init !== undefined && isRunning(this.init.pid, this.init.start);
  }

  /** The command's own processes now: under bwrap, not bwrap's two (they end through the init). */
  private payload(): number[] {
    const found = new Set<number>(this.limits.members() ?? []);
    if (this.sandboxed) {
      if (this.initRunning()) for (const pid of descendants(this.init!.pid)) found.add(pid);
      found.delete(this.leader);
      if (this.init) found.delete(this.init.pid);
    } else {
      const table = processTable();
      for (const info of table) if (info.pgid === this.leader && info.state !== 'Z') found.add(info.pid);
      for (const pid of descendants(this.leader, table)) found.add(pid);
      if (this.exited) found.delete(this.leader);
      else found.add(this.leader);
    }
    return [...found];
  }

  terminate(): void {
    if (this.sandboxed && this.init === undefined) {
      // bwrap is still setting up: nothing inside can clean up yet, so there is nothing to ask.
      this.kill();
      return;
    }
    signalEach(this.payload(), 'SIGTERM');
  }

  kill(): void {
    if (this.sandboxed) {
      // The namespace ends with its init; bwrap (the leader) then exits by itself.
      if (this.initRunning()) signalEach([this.init!.pid], 'SIGKILL');
      else if (!this.exited) signalGroup(this.leader, 'SIGKILL');
      signalEach(this.payload(), 'SIGKILL');
    } else {
      signalGroup(this.leader, 'SIGKILL');
      signalEach(this.payload(), 'SIGKILL');
    }
  }

  /** Everything at once, synchronously: Clutch is exiting. */
  killNow(): void {
    if (this.initRunning()) signalEach([this.init!.pid], 'SIGKILL');
    signalGroup(this.leader, 'SIGKILL');
    this.limits.killMembers();
  }

  ended(): boolean {
    if (!this.exited) return false;
    if (this.sandboxed) return !this.initRunning() && (this.limits.members()?.length ?? 0) === 0;
    return this.payload().length === 0;
  }
}

/** Reads bwrap's --info-fd: {"child-pid": N, ...}, the host pid of the namespace's init. */
function readInitPid(stream: Readable, onPid: (pid: number) => void): void {
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    text += chunk;
    try {
      const info = JSON.parse(text) as { 'child-pid'?: unknown };
      if (typeof info['child-pid'] === 'number') onPid(info['child-pid']);
    } catch {
      // Not all of it yet.
    }
  });
  stream.on('error', () => undefined);
}

function runProcess(prepared: Prepared, context: ToolContext): Promise<ToolOutput> {
  const { sandbox } = prepared;
  const sandboxed = prepared.bwrap !== undefined;
  const name = prepared.argv[0] ?? '';
  return new Promise<ToolOutput>((resolve) => {
    const output = new HeadTailBuffer(context.maxOutputBytes);
    // A fresh HOME per command: in the sandbox's private /tmp, or (unsandboxed) a temp folder removed after.
    const hostHome = sandboxed ? undefined : mkdtempSync(path.join(tmpdir(), 'clutch-home-'));
    const env = commandEnvironment({ path: prepared.pathDirs, home: hostHome ?? SANDBOX_HOME, cwd: prepared.cwd, extra: sandbox.env });
    const command = [prepared.program, ...prepared.argv.slice(1)];
    const inner = prepared.bwrap
      ? bwrapArgv({
          bwrap: prepared.bwrap.path,
          features: prepared.bwrap.features,
          workspace: context.workspace,
          cwd: prepared.cwd,
          sandbox,
          env,
          argv: command,
          infoFd: 3,
          hidden: prepared.bwrap.hidden,
          ...(prepared.bwrap.resolvConf !== undefined ? { resolvConf: prepared.bwrap.resolvConf } : {}),
        })
      : command;

    let limits: CommandLimits;
    try {
      limits = limitCommand({ maxTasks: sandbox.maxProcesses + (sandboxed ? BWRAP_TASKS : 0), maxMemoryMb: sandbox.maxMemoryMb });
    } catch (error) {
      if (hostHome) rmSync(hostHome, { recursive: true, force: true });
      resolve(toolError(`the command's limits could not be set up: ${(error as Error).message}`));
      return;
    }
    const argv = limits.wrap(inner);

    let child: ChildProcess;
    try {
      child = spawn(argv[0]!, argv.slice(1), {
        cwd: prepared.cwd,
        // The allow-list, also for bwrap itself: its init's /proc/1/environ is readable inside.
        env,
        shell: false,
        // Its own process group and session, apart from Clutch's terminal.
        detached: true,
        // No stdin: a command waiting for input gets EOF instead of hanging until the timeout.
        stdio: ['ignore', 'pipe', 'pipe', sandboxed ? 'pipe' : 'ignore'],
        windowsHide: true,
      });
    } catch (error) {
      void limits.release();
      if (hostHome) rmSync(hostHome, { recursive: true, force: true });
      resolve(toolError(`could not start ${JSON.stringify(name)}: ${(error as Error).message}`));
      return;
    }
    if (child.pid === undefined) {
      // spawn failed ('error' follows with the reason).
      child.on('error', (error) => {
        void limits.release();
        if (hostHome) rmSync(hostHome, { recursive: true, force: true });
        resolve(toolError(`could not start ${JSON.stringify(name)}: ${describeSpawnError(error, name)}`));
      });
      return;
    }

    const tree = new CommandTree(child.pid, sandboxed, limits);
    const killNow = (): void => tree.killNow();
    trackCommand(killNow);
    context.onSpawn?.(child.pid);
    const info = child.stdio[3];
    if (info instanceof Readable) {
      readInitPid(info, (pid) => {
        tree.init ??= { pid, start: processInfo(pid)?.start ?? null };
      });
    }

    let killedFor: 'timeout' | 'abort' | undefined;
    let stoppedWith: 'SIGTERM' | 'SIGKILL' | undefined;
    let stopping: Promise<void> | undefined;
    let exit: Exit | undefined;
    let finishing = false;
    let closeGrace: NodeJS.Timeout | undefined;

    const stop = (why: 'timeout' | 'abort'): void => {
      if (killedFor !== undefined || finishing) return;
      killedFor = why;
      stopping = stopTree(tree, runCommandOptions.killGraceMs).then((signal) => {
        stoppedWith = signal;
      });
    };
    const timer = setTimeout(() => stop('timeout'), prepared.timeoutMs);
    const onAbort = (): void => stop('abort');
    context.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (): void => {
      if (finishing) return;
      finishing = true;
      clearTimeout(timer);
      if (closeGrace !== undefined) clearTimeout(closeGrace);
      context.signal?.removeEventListener('abort', onAbort);
      void (async () => {
        await stopping;
        // None of it may outlive the call: what is left now is killed, and waited for.
        if (!tree.ended()) {
          tree.kill();
          await waitUntil(
            () => {
              if (tree.ended()) return true;
              tree.kill();
              return false;
            },
            5000,
          );
        }
        // Read before the cgroup goes.
        const oomKills = limits.oomKills();
        const pidsRefusals = limits.pidsRefusals();
        await limits.release();
        liveCommands.delete(killNow);
        if (hostHome) rmSync(hostHome, { recursive: true, force: true });
        resolve(
          report({ exit, killedFor, stoppedWith, timeoutMs: prepared.timeoutMs, output, oomKills, pidsRefusals, note: limits.note, sandbox, sandboxed, started: tree.init !== undefined }),
        );
      })();
    };

    // Both streams feed one buffer in arrival order, the way a terminal would interleave them.
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));

    child.on('error', () => {
      // A failed kill after start; 'exit' and 'close' still come.
    });

    child.on('exit', (code, signal) => {
      exit = { code, signal };
      tree.exited = true;
      // Background processes it left behind would outlive the call; end them with it.
      if (killedFor === undefined) tree.kill();
      closeGrace = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish();
      }, runCommandOptions.closeGraceMs);
    });

    child.on('close', (code, signal) => {
      exit ??= { code, signal };
      tree.exited = true;
      finish();
    });
  });
}

function describeSpawnError(error: Error, name: string): string {
  const code = errorCode(error);
  if (code === 'ENOENT') return `${JSON.stringify(name)} was not found; is it installed and on PATH?`;
  if (code === 'EACCES') return `permission denied`;
  return error.message;
}

/** The signal a bwrap exit code of 128 + N stands for (bwrap reports a signalled command that way). */
function signalOfExitCode(code: number): string | undefined {
  if (code <= 128 || code > 128 + 64) return undefined;
  return Object.entries(osConstants.signals).find(([, number]) => number === code - 128)?.[0];
}

function report(result: {
  exit: Exit | undefined;
  killedFor: 'timeout' | 'abort' | undefined;
  stoppedWith: 'SIGTERM' | 'SIGKILL' | undefined;
  timeoutMs: number;
  output: HeadTailBuffer;
  oomKills: number;
  pidsRefusals: number;
  note: string | undefined;
  sandbox: CommandSandbox;
  sandboxed: boolean;
  started: boolean;
}): ToolOutput {
  const { exit, killedFor, stoppedWith, timeoutMs, output, oomKills, sandbox } = result;
  const grace = runCommandOptions.killGraceMs;
  const signal = stoppedWith ?? 'SIGKILL';
  const ignored = signal === 'SIGKILL' ? `; it was still running ${grace} ms after SIGTERM` : '';
  const memory = `max_memory_mb = ${sandbox.maxMemoryMb} MiB`;
  const notes: string[] = [];
  let status: string;
  /** Set only for a command that ran to its end and exited by itself. */
  let exitCode: number | undefined;
  if (killedFor === 'timeout') {
    status = `killed by signal ${signal}: timed out after ${timeoutMs} ms (the whole process tree was ${signal === 'SIGTERM' ? 'stopped' : 'killed'}${ignored})`;
  } else if (killedFor === 'abort') {
    status = `killed by signal ${signal}: aborted (the whole process tree was ${signal === 'SIGTERM' ? 'stopped' : 'killed'}${ignored})`;
  } else if (oomKills > 0 && (exit?.signal === 'SIGKILL' || (result.sandboxed && exit?.code === 128 + osConstants.signals.SIGKILL))) {
    status = `killed by signal SIGKILL: out of memory (the command went over ${memory})`;
  } else if (exit?.signal) {
    status = `killed by signal ${exit.signal}`;
  } else if (result.sandboxed && !result.started && exit?.code !== 0) {
    status = `the sandbox could not start the command (bwrap exit code ${exit?.code ?? 'unknown'})`;
  } else {
    const code = exit?.code;
    const bySignal = result.sandboxed && typeof code === 'number' ? signalOfExitCode(code) : undefined;
    status = `exit code ${code ?? 'unknown'}${bySignal ? ` (128 + ${bySignal}: the way a process killed by ${bySignal} ends)` : ''}`;
    if (typeof code === 'number' && !bySignal) exitCode = code;
  }
  if (oomKills > 0 && !status.includes('out of memory')) {
    notes.push(`[note: the kernel killed ${oomKills} process(es) of the command for going over ${memory}]`);
  }
  if (result.pidsRefusals > 0) {
    notes.push(
      `[note: the command reached max_processes = ${sandbox.maxProcesses} (processes and threads); ${result.pidsRefusals} new one(s) were refused]`,
    );
  }
  if (result.note !== undefined) notes.push(result.note);
  const text = output.totalBytes === 0 ? '(no output)' : output.toString();
  const failed = killedFor !== undefined || Boolean(exit?.signal) || exit?.code !== 0;
  return {
    content: `${status}\n${text}${notes.map((note) => `\n${note}`).join('')}`,
    is_error: failed,
    ...(exitCode !== undefined ? { exit_code: exitCode } : {}),
  };
}
