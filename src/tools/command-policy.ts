import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/**
 * What run_command may start and with which environment. The allow-list of programs is the
 * archetype's decision; this file makes sure it cannot be sidestepped with a path, and that the
 * command's environment holds only what it is given on purpose: the host's variables never reach
 * it, so no API key, password or token can either, whatever its name.
 *
 * The allow-list is not the boundary: `node -e` and `npm exec -c` reach a shell. The sandbox
 * (command-sandbox.ts) is.
 */

/**
 * Why `program` may not run, or undefined when it may. Only a bare name can match: "/bin/rm",
 * "./node" or "../node" are refused even if their basename is allowed, since a path would pick a
 * binary the allow-list never vetted (possibly one the model just wrote into the workspace).
 */
export function refuseProgram(program: string, allowed: readonly string[]): string | undefined {
  const bare = allowed.filter(isBareName);
  const list = bare.length > 0 ? `Allowed commands: ${bare.join(', ')}.` : 'No commands are allowed for this agent.';
  if (program.length === 0) return `argv[0] is empty; it must name a program. ${list}`;
  if (program.includes('\0')) return `argv[0] contains a NUL byte. ${list}`;
  if (!isBareName(program)) {
    return `${JSON.stringify(program)} is a path; run_command takes a bare program name from the allow-list, not a path. ${list}`;
  }
  if (!bare.includes(program)) return `${JSON.stringify(program)} is not an allowed command. ${list}`;
  return undefined;
}

function isBareName(name: string): boolean {
  return name.length > 0 && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
}

/** Index and message of the first argument that spawn would reject, if any. */
export function refuseArguments(argv: readonly string[]): string | undefined {
  const bad = argv.findIndex((arg) => arg.includes('\0'));
  return bad === -1 ? undefined : `argv[${bad}] contains a NUL byte`;
}

/** PATH for a command whose host PATH is empty or unset. */
export const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

/**
 * The directories a command's bare program name is looked up in: the host's PATH, keeping only
 * absolute directories that lie outside the workspace and outside `hidden` (folders the sandbox
 * replaces, such as its private /tmp). So argv[0] never resolves to a file in the workspace,
 * which the model may have just written.
 */
export function commandPath(hostPath: string | undefined, workspace: string, hidden: readonly string[] = []): string[] {
  const source = hostPath === undefined || hostPath.trim() === '' ? DEFAULT_PATH : hostPath;
  const dirs: string[] = [];
  for (const dir of source.split(path.delimiter)) {
    if (!path.isAbsolute(dir)) continue;
    const normal = path.resolve(dir);
    if ([workspace, ...hidden].some((folder) => isWithin(normal, folder))) continue;
    if (!dirs.includes(normal)) dirs.push(normal);
  }
  return dirs;
}

function isWithin(target: string, folder: string): boolean {
  const relative = path.relative(folder, target);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** The absolute path of `program` (a bare name) in the first of `dirs` that has it as an executable file. */
export function resolveProgram(program: string, dirs: readonly string[]): string | undefined {
  for (const dir of dirs) {
    const candidate = path.join(dir, program);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not there, or not executable: the next directory.
    }
  }
  return undefined;
}

export interface EnvironmentOptions {
  /** The command's PATH directories (commandPath). */
  path: readonly string[];
  /** A fresh, empty HOME for this command. */
  home: string;
  /** The command's working directory (PWD, as a shell would set it). */
  cwd?: string;
  /** The archetype's `env` table. */
  extra?: Readonly<Record<string, string>>;
  /** Where LANG and TZ are taken from (the host's environment by default). */
  host?: NodeJS.ProcessEnv;
}

/**
 * A command's whole environment, an allow-list: PATH, a fresh HOME, LANG and TZ (the host's, or
 * C.UTF-8 and UTC), PWD (its cwd), CI=1 so tools do not prompt, NO_COLOR=1 (escape codes waste the model's
 * context), then the archetype's `env` table (its PATH, if any, only through options.path).
 * Nothing else of the host's environment is passed.
 */
export function commandEnvironment(options: EnvironmentOptions): Record<string, string> {
  const host = options.host ?? process.env;
  const env: Record<string, string> = {
    PATH: options.path.join(path.delimiter),
    HOME: options.home,
    LANG: host.LANG !== undefined && host.LANG !== '' ? host.LANG : 'C.UTF-8',
    TZ: host.TZ !== undefined && host.TZ !== '' ? host.TZ : 'UTC',
    CI: '1',
    NO_COLOR: '1',
    ...(options.cwd !== undefined ? { PWD: options.cwd } : {}),
  };
  for (const [name, value] of Object.entries(options.extra ?? {})) {
    // A PATH in the table is the one commandPath filtered into options.path; it is never taken raw.
    if (name !== 'PATH') env[name] = value;
  }
  return env;
}
