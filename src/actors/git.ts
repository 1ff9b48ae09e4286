import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Git as Clutch runs it on a run's repository. The repository's files are written by sandboxed
 * agents, but these commands run outside the sandbox, so nothing in the repository may decide what
 * they execute:
 * - hooks are off (`core.hooksPath` is an empty folder Clutch owns);
 * - the user's and the system's git config are not read, and every setting that could start a
 *   program (fsmonitor, pagers, editors, credential helpers, gpg) is fixed here;
 * - the environment is a short allow-list (no GIT_* from the caller, no API keys).
 * The git command line is used rather than isomorphic-git: git is on every machine Clutch runs on,
 * it has worktrees (isomorphic-git has none) and real three-way merges (`merge-tree`).
 */

export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed${code === null ? '' : ` (exit ${code})`}: ${stderr.trim() || 'no message'}`);
    this.name = 'GitError';
  }
}

export interface GitResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface GitOptions {
  /** Folder git runs in (a work tree). */
  cwd: string;
  /** The repository's git dir, given explicitly so that a `.git` file in a work tree is never trusted. */
  gitDir?: string;
  workTree?: string;
  /** An index other than the repository's (a diff that must not touch the real one). */
  indexFile?: string;
  /** Exit codes that are answers, not failures (merge-tree's 1, diff --quiet's 1). */
  okCodes?: readonly number[];
  input?: string;
}

/** The fixed settings of every git command (see the module comment). */
export function fixedConfig(hooksDir: string): string[] {
  const settings: Record<string, string> = {
    'core.hooksPath': hooksDir,
    'core.fsmonitor': 'false',
    'core.untrackedCache': 'false',
    'core.autocrlf': 'false',
    'core.safecrlf': 'false',
    'core.symlinks': 'true',
    'core.pager': 'cat',
    'core.editor': 'true',
    'core.sshCommand': 'false',
    'core.askPass': '',
    'credential.helper': '',
    'commit.gpgSign': 'false',
    'tag.gpgSign': 'false',
    'gc.auto': '0',
    'maintenance.auto': 'false',
    'merge.conflictStyle': 'merge',
    'diff.noprefix': 'false',
    'diff.mnemonicPrefix': 'false',
    'advice.detachedHead': 'false',
    'init.defaultBranch': 'main',
    'user.name': 'Clutch',
    'user.email': 'clutch@localhost',
    'safe.directory': '*',
    'protocol.allow': 'never',
    'submodule.recurse': 'false',
  };
  return Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`]);
}

/** The environment of every git command: no caller GIT_* variable, no config files, no prompts. */
export function gitEnvironment(home: string, indexFile?: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LANG: 'C',
    LC_ALL: 'C',
    TZ: 'UTC',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_OPTIONAL_LOCKS: '0',
    GIT_ATTR_NOSYSTEM: '1',
    ...(indexFile ? { GIT_INDEX_FILE: indexFile } : {}),
  };
}

/** ENOENT from execFile: git is missing, or the folder it was to run in is (a worktree being made again). */
function notFound(cwd: string): Error {
  if (!existsSync(cwd)) return new Error(`git cannot run in ${cwd}: the folder does not exist (a worktree being made again?); ask again once it is there`);
  return new Error('git was not found on PATH; worktree isolation needs the git command line (apt-get install git), or set isolation = "shared" in agents.toml [execution]');
}

/** Runs git for one repository, with its own empty hooks folder and home under `privateDir`. */
export class Git {
  readonly #config: string[];
  readonly #home: string;

  constructor(privateDir: string) {
    const hooks = join(privateDir, 'no-hooks');
    this.#home = join(privateDir, 'home');
    mkdirSync(hooks, { recursive: true });
    mkdirSync(this.#home, { recursive: true });
    this.#config = fixedConfig(hooks);
  }

  #argv(args: readonly string[], options: GitOptions): string[] {
    return [
      ...this.#config,
      ...(options.gitDir ? [`--git-dir=${options.gitDir}`] : []),
      ...(options.workTree ? [`--work-tree=${options.workTree}`] : []),
      ...args,
    ];
  }

  run(args: readonly string[], options: GitOptions): Promise<GitResult> {
    const argv = this.#argv(args, options);
    return new Promise((resolve, reject) => {
      const child = execFile(
        'git',
        argv,
        { cwd: options.cwd, env: gitEnvironment(this.#home, options.indexFile), maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
          if (code === 0 || (code !== null && options.okCodes?.includes(code))) resolve({ stdout, stderr, code: code ?? 0 });
          else if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') reject(notFound(options.cwd));
          else reject(new GitError(args, code, stderr || (error?.message ?? '')));
        },
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
    });
  }

  /** The same, synchronously (used once, when a run's repository is made). */
  runSync(args: readonly string[], options: GitOptions): string {
    try {
      return execFileSync('git', this.#argv(args, options), {
        cwd: options.cwd,
        env: gitEnvironment(this.#home, options.indexFile),
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      const failure = error as NodeJS.ErrnoException & { status?: number | null; stderr?: string };
      if (failure.code === 'ENOENT') throw notFound(options.cwd);
      throw new GitError(args, failure.status ?? null, String(failure.stderr ?? failure.message));
    }
  }
}
