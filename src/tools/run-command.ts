import { spawn, type ChildProcess } from 'node:child_process';
import { toolInputSchemas, type ToolInput, type ToolOutput, type ToolPreview } from '../protocol/index.js';
import type { Tool, ToolContext } from './tool.js';
import { commandEnvironment, refuseArguments, refuseProgram } from './command-policy.js';
import { describeFsError, quote, statOrUndefined, toolError } from './files.js';
import { HeadTailBuffer } from './output.js';
import { errorCode, resolveInWorkspace } from './sandbox.js';

type Input = ToolInput<'run_command'>;

/**
 * After the main process exits, how long to wait for its output pipes to close. A descendant
 * that left the process group (setsid) can hold them open forever; we stop waiting for it.
 */
export const CLOSE_GRACE_MS = 2000;

type Prepared =
  | { ok: true; argv: string[]; cwd: string; cwdRelative: string; timeoutMs: number }
  | { ok: false; error: string };

/** Validates everything before anything starts; preview and execute agree by construction. */
async function prepare(input: Input, context: ToolContext): Promise<Prepared> {
  const program = input.argv[0] ?? '';
  const refused = refuseProgram(program, context.allowedCommands) ?? refuseArguments(input.argv);
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

  // The archetype's timeout is a ceiling: the model may ask for less, never for more.
  const timeoutMs = Math.min(input.timeout_ms ?? context.commandTimeoutMs, context.commandTimeoutMs);
  return { ok: true, argv: [...input.argv], cwd: resolved.path, cwdRelative: resolved.relative, timeoutMs };
}

export const runCommandTool: Tool<Input> = {
  name: 'run_command',
  description:
    'Run a program in the workspace and get its exit code and combined stdout+stderr. argv[0] must ' +
    'be one of the allowed program names; no shell is involved (no pipes, globs or redirects). ' +
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
    return runProcess(prepared.argv, prepared.cwd, prepared.timeoutMs, context);
  },
};

/** Process groups still running, killed if Clutch itself exits so no command outlives it. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the whole group is already gone.
  }
}

function trackGroup(pid: number): void {
  liveGroups.add(pid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const group of liveGroups) killGroup(group);
    });
  }
}

function runProcess(argv: string[], cwd: string, timeoutMs: number, context: ToolContext): Promise<ToolOutput> {
  const program = argv[0] ?? '';
  return new Promise<ToolOutput>((resolve) => {
    const output = new HeadTailBuffer(context.maxOutputBytes);
    let child: ChildProcess;
    try {
      child = spawn(program, argv.slice(1), {
        cwd,
        env: commandEnvironment(),
        shell: false,
        // Its own process group, so a timeout kills what it started too (npm → node → ...).
        detached: true,
        // No stdin: a command waiting for input gets EOF instead of hanging until the timeout.
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (error) {
      resolve(toolError(`could not start ${JSON.stringify(program)}: ${(error as Error).message}`));
      return;
    }
    if (child.pid !== undefined) {
      trackGroup(child.pid);
      context.onSpawn?.(child.pid);
    }

    let killedFor: 'timeout' | 'abort' | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;
    let grace: NodeJS.Timeout | undefined;

    const timer = setTimeout(() => {
      killedFor ??= 'timeout';
      killGroup(child.pid);
    }, timeoutMs);
    const onAbort = (): void => {
      killedFor ??= 'abort';
      killGroup(child.pid);
    };
    context.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (result: ToolOutput): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (grace !== undefined) clearTimeout(grace);
      context.signal?.removeEventListener('abort', onAbort);
      if (child.pid !== undefined) liveGroups.delete(child.pid);
      resolve(result);
    };

    // Both streams feed one buffer in arrival order, the way a terminal would interleave them.
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));

    child.on('error', (error) => {
      if (child.pid !== undefined) return; // a failed kill after start; 'close' still comes
      const code = errorCode(error);
      const why =
        code === 'ENOENT'
          ? `program ${JSON.stringify(program)} was not found; is it installed and on PATH?`
          : code === 'EACCES'
            ? `program ${JSON.stringify(program)} could not be started: permission denied`
            : `program ${JSON.stringify(program)} could not be started: ${error.message}`;
      finish(toolError(why));
    });

    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // Background processes it left behind would outlive the call; end them with it.
      killGroup(child.pid);
      grace = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish(report(exit, killedFor, timeoutMs, output));
      }, CLOSE_GRACE_MS);
    });

    child.on('close', (code, signal) => {
      exit ??= { code, signal };
      finish(report(exit, killedFor, timeoutMs, output));
    });
  });
}

function report(
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined,
  killedFor: 'timeout' | 'abort' | undefined,
  timeoutMs: number,
  output: HeadTailBuffer,
): ToolOutput {
  let status: string;
  if (killedFor === 'timeout') {
    status = `killed by signal SIGKILL: timed out after ${timeoutMs} ms (the process group was killed)`;
  } else if (killedFor === 'abort') {
    status = 'killed by signal SIGKILL: aborted';
  } else if (exit?.signal) {
    status = `killed by signal ${exit.signal}`;
  } else {
    status = `exit code ${exit?.code ?? 'unknown'}`;
  }
  const text = output.totalBytes === 0 ? '(no output)' : output.toString();
  const failed = killedFor !== undefined || Boolean(exit?.signal) || exit?.code !== 0;
  return { content: `${status}\n${text}`, is_error: failed };
}
