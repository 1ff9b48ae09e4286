import path from 'node:path';

/**
 * What run_command may start and with which environment. The allow-list is the archetype's
 * decision; this file makes sure it cannot be sidestepped with a path, and that the host's
 * secrets (API keys above all) never reach a command the model chose.
 */

/** Environment variable names that look like they hold a secret. */
export const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|COOKIE/i;

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

/**
 * A copy of `source` fit for a command: secrets dropped, colour off (escape codes waste the
 * model's context), CI=1 so tools do not prompt, and PATH reduced to absolute directories so a
 * bare name can never resolve to a file in the current (workspace) directory.
 */
export function commandEnvironment(source: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined || SECRET_NAME.test(name)) continue;
    env[name] = value;
  }
  if (env.PATH !== undefined) {
    env.PATH = env.PATH.split(path.delimiter)
      .filter((dir) => path.isAbsolute(dir))
      .join(path.delimiter);
  }
  delete env.FORCE_COLOR;
  env.CI = '1';
  env.NO_COLOR = '1';
  return env;
}
