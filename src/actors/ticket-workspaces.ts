import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Git, GitError } from './git.js';

/**
 * Worktree isolation (agents.toml `[execution] isolation = "worktree"`, the default).
 *
 * The run's workspace copy is a git repository whose first commit is the starting state. Its
 * checked-out branch is the run's integration branch, `clutch/<run>/integration`; nobody but the
 * merges below writes there. A ticket works in its own worktree, `<run folder>/worktrees/<ticket>`,
 * on `clutch/<run>/<ticket>`, made from the integration branch when it starts (so after every
 * dependency has merged).
 *
 * Merge strategy: when the ticket completes, everything in its worktree is committed on its branch
 * (one commit per attempt), then merged into the integration branch with a true merge commit, never
 * a fast-forward or a squash, so `git log --first-parent` on the integration branch has exactly one
 * merge per ticket and each ticket's own commits stay readable on its branch. The merge is computed
 * with `git merge-tree --write-tree` (no work tree touched); a conflict leaves the integration branch
 * as it was and names the files. The integration branch then moves by fast-forward in the run's
 * workspace. Merges run one at a time, in the order tickets complete.
 *
 * Every step is idempotent, since a resumed run repeats the step it crashed in: a worktree that is
 * there is reused, and a branch already merged is not merged again.
 */

export interface PreparedWorkspace {
  path: string;
  /** The commit the worktree was made from. */
  base: string;
  /** Whether the worktree was made now (false: an existing one was reused). */
  created: boolean;
}

export type MergeResult =
  | { ok: true; commit: string; alreadyMerged: boolean }
  | { ok: false; conflicts: string[]; message: string };

export interface DiffText {
  /** A unified diff (git's format), possibly cut. */
  patch: string;
  /** Files the diff touches, with their status letter (A, M, D, R…). */
  files: { path: string; status: string }[];
  base: string | null;
  head: string | null;
  truncated: boolean;
}

/** What the engine needs from per-ticket workspaces; GitWorkspaces is the one implementation. */
export interface TicketWorkspaces {
  readonly runId: string;
  /** The folder a ticket's tools work in (whether or not it exists yet). */
  pathFor(ticketId: string): string;
  /** Paths inside the ticket's folder that stay read-only for its commands (its `.git` file). */
  readOnlyFor(ticketId: string): string[];
  /** Makes (or, when `fresh` is false and it exists, reuses) the ticket's worktree. */
  prepare(ticketId: string, options: { fresh: boolean; attempt: number }): Promise<PreparedWorkspace>;
  /** Commits the ticket's work and merges its branch into the integration branch. */
  merge(ticketId: string, options: { attempt: number; summary: string }): Promise<MergeResult>;
  /** The ticket's branch (with what is not committed yet) against the commit it was made from. */
  ticketDiff(ticketId: string): Promise<DiffText>;
  /** The integration branch against the starting state. */
  runDiff(): Promise<DiffText>;
  /** Removes every worktree and ticket branch (the run is deleted); keeps the integration branch. */
  remove(): Promise<{ worktrees: number; branches: number }>;
}

const MAX_PATCH_BYTES = 512 * 1024;

/** Each diff gets an index of its own: two at once (two tabs) never share one. */
let diffIndexes = 0;

/** A ticket id as a ref name component: ids are simple names, but git refuses a few of them. */
export function refComponent(id: string): string {
  let safe = id.replace(/\.\.+/g, (dots) => '._'.repeat(dots.length).slice(0, dots.length * 2 - 1));
  if (safe.startsWith('.')) safe = `_${safe}`;
  if (safe.endsWith('.') || safe.endsWith('.lock')) safe = `${safe}_`;
  // The integration branch lives beside the ticket branches.
  if (safe === 'integration') safe = 'integration_';
  return safe;
}

export function integrationBranch(runId: string): string {
  return `clutch/${runId}/integration`;
}

export function ticketBranch(runId: string, ticketId: string): string {
  return `clutch/${runId}/${refComponent(ticketId)}`;
}

const startRef = (runId: string) => `refs/clutch/${runId}/start`;
const baseRef = (runId: string, ticketId: string) => `refs/clutch/${runId}/base/${refComponent(ticketId)}`;

/**
 * Makes the run's workspace copy a repository: one commit of the starting state, on the integration
 * branch, checked out. Synchronous: it runs once, before the engine exists. An existing repository
 * (a resumed run) is left as it is.
 */
export function initRunRepository(workspace: string, runDir: string, runId: string): void {
  const git = new Git(privateDirOf(runDir));
  if (existsSync(join(workspace, '.git'))) return;
  const options = { cwd: workspace };
  git.runSync(['init', '--quiet', `--initial-branch=${integrationBranch(runId)}`], options);
  git.runSync(['add', '--all'], options);
  git.runSync(['commit', '--quiet', '--allow-empty', '--no-verify', '-m', `Clutch run ${runId}: the starting workspace`], options);
  git.runSync(['update-ref', startRef(runId), 'HEAD'], options);
}

function privateDirOf(runDir: string): string {
  return join(runDir, '.clutch-git');
}

/** Runs the promises one after another: git takes locks on refs and the index. */
class Queue {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(step: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(step, step);
    this.#tail = next.catch(() => {});
    return next;
  }
}

export class GitWorkspaces implements TicketWorkspaces {
  readonly runId: string;
  readonly #workspace: string;
  readonly #runDir: string;
  readonly #git: Git;
  readonly #queue = new Queue();
  readonly #redact: (text: string) => string;

  constructor(options: { workspace: string; runDir: string; runId: string; redact?: (text: string) => string }) {
    this.runId = options.runId;
    this.#workspace = options.workspace;
    this.#runDir = options.runDir;
    this.#git = new Git(privateDirOf(options.runDir));
    this.#redact = options.redact ?? ((text) => text);
  }

  /** The repository's git dir: the run's workspace holds it. */
  get gitDir(): string {
    return join(this.#workspace, '.git');
  }

  pathFor(ticketId: string): string {
    return join(this.#runDir, 'worktrees', refComponent(ticketId));
  }

  readOnlyFor(ticketId: string): string[] {
    return [join(this.pathFor(ticketId), '.git')];
  }

  /** Git for the repository itself (run from its main work tree). */
  #repo(args: readonly string[], okCodes?: readonly number[]) {
    return this.#git.run(args, { cwd: this.#workspace, gitDir: this.gitDir, workTree: this.#workspace, ...(okCodes ? { okCodes } : {}) });
  }

  /** Git for a ticket's worktree, through its admin folder in the repository, never its `.git` file. */
  #ticket(ticketId: string, args: readonly string[], extra: { indexFile?: string; okCodes?: readonly number[] } = {}) {
    const path = this.pathFor(ticketId);
    return this.#git.run(args, { cwd: path, gitDir: this.#adminDir(ticketId), workTree: path, ...extra });
  }

  #adminDir(ticketId: string): string {
    return join(this.gitDir, 'worktrees', refComponent(ticketId));
  }

  async #resolve(ref: string): Promise<string | undefined> {
    const result = await this.#repo(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], [1]);
    return result.code === 0 ? result.stdout.trim() : undefined;
  }

  async #registered(ticketId: string): Promise<boolean> {
    const list = await this.#repo(['worktree', 'list', '--porcelain']);
    const path = this.pathFor(ticketId);
    return list.stdout.split('\n').some((line) => line === `worktree ${path}`);
  }

  prepare(ticketId: string, options: { fresh: boolean; attempt: number }): Promise<PreparedWorkspace> {
    return this.#queue.run(async () => {
      const path = this.pathFor(ticketId);
      const branch = ticketBranch(this.runId, ticketId);
      const integration = integrationBranch(this.runId);
      const registered = await this.#registered(ticketId);
      if (registered && existsSync(path) && !options.fresh) {
        const base = (await this.#resolve(baseRef(this.runId, ticketId))) ?? (await this.#resolve(integration))!;
        return { path, base, created: false };
      }
      if (registered || existsSync(path)) await this.#retire(ticketId, options.attempt);
      await this.#repo(['worktree', 'prune']);
      const base = await this.#resolve(integration);
      if (!base) throw new Error(`the run's integration branch ${integration} is missing from ${this.gitDir}`);
      mkdirSync(join(this.#runDir, 'worktrees'), { recursive: true });
      const exists = (await this.#resolve(`refs/heads/${branch}`)) !== undefined;
      if (exists) {
        // Made by a step that crashed before its worktree was: put it back on the current base.
        await this.#repo(['branch', '--force', branch, base]);
      }
      await this.#repo(['worktree', 'add', '--quiet', ...(exists ? [] : ['-b', branch]), path, exists ? branch : base]);
      await this.#repo(['update-ref', baseRef(this.runId, ticketId), base]);
      return { path, base, created: true };
    });
  }

  /**
   * Puts an earlier attempt aside: whatever it left is committed on its branch, the branch is
   * renamed `<branch>.attempt-N` (kept, never deleted before the run is), and its worktree goes.
   */
  async #retire(ticketId: string, attempt: number): Promise<void> {
    const path = this.pathFor(ticketId);
    const branch = ticketBranch(this.runId, ticketId);
    if (existsSync(path) && (await this.#registered(ticketId))) {
      await this.#commitAll(ticketId, `${ticketId}: what attempt ${Math.max(1, attempt - 1)} left`, false).catch(() => undefined);
    }
    await this.#repo(['worktree', 'remove', '--force', path], [128]).catch(() => undefined);
    rmSync(path, { recursive: true, force: true });
    await this.#repo(['worktree', 'prune']);
    if ((await this.#resolve(`refs/heads/${branch}`)) !== undefined) {
      let n = Math.max(1, attempt - 1);
      while ((await this.#resolve(`refs/heads/${branch}.attempt-${n}`)) !== undefined) n += 1;
      await this.#repo(['branch', '--move', branch, `${branch}.attempt-${n}`]);
    }
  }

  /** Commits everything in the worktree; with `always`, an empty commit when nothing changed. Returns the new head. */
  async #commitAll(ticketId: string, message: string, always: boolean): Promise<string> {
    await this.#ticket(ticketId, ['add', '--all']);
    const staged = await this.#ticket(ticketId, ['diff', '--cached', '--quiet', '--no-ext-diff'], { okCodes: [1] });
    if (staged.code === 1 || always) {
      await this.#ticket(ticketId, ['commit', '--quiet', '--no-verify', '--allow-empty', '-m', message]);
    }
    return (await this.#ticket(ticketId, ['rev-parse', 'HEAD'])).stdout.trim();
  }

  merge(ticketId: string, options: { attempt: number; summary: string }): Promise<MergeResult> {
    return this.#queue.run(async () => {
      const branch = ticketBranch(this.runId, ticketId);
      const integration = integrationBranch(this.runId);
      if (!(await this.#registered(ticketId))) throw new Error(`ticket ${ticketId} has no worktree at ${this.pathFor(ticketId)}`);
      const base = (await this.#resolve(baseRef(this.runId, ticketId))) ?? (await this.#resolve(integration))!;
      const head = (await this.#ticket(ticketId, ['rev-parse', 'HEAD'])).stdout.trim();
      const line = options.summary.split('\n')[0]!.trim().slice(0, 200);
      // One commit per attempt: the worker's work, even an empty one, so the merge below is the ticket's.
      const tip = await this.#commitAll(ticketId, `${ticketId}: ${line || 'completed'} (attempt ${options.attempt})`, head === base);
      const current = (await this.#resolve(integration))!;
      const merged = await this.#repo(['merge-base', '--is-ancestor', tip, current], [1]);
      if (merged.code === 0 && tip !== base) return { ok: true, commit: current, alreadyMerged: true };

      const tree = await this.#repo(['merge-tree', '--write-tree', '--name-only', '--no-messages', current, tip], [1]);
      const lines = tree.stdout.split('\n').filter((entry) => entry.length > 0);
      if (tree.code === 1) {
        const conflicts = [...new Set(lines.slice(1))];
        return {
          ok: false,
          conflicts,
          message: `merge conflict with ${integration} in ${conflicts.join(', ')}`,
        };
      }
      const message = `Merge ticket ${ticketId} (${branch})\n\n${line}`;
      const commit = (await this.#repo(['commit-tree', lines[0]!, '-p', current, '-p', tip, '-m', message])).stdout.trim();
      // The run's workspace has the integration branch checked out, and nothing else writes there.
      await this.#repo(['merge', '--ff-only', '--quiet', '--no-verify', commit]);
      return { ok: true, commit, alreadyMerged: false };
    });
  }

  async ticketDiff(ticketId: string): Promise<DiffText> {
    if (!(await this.#registered(ticketId)) || !existsSync(this.pathFor(ticketId))) {
      return { patch: '', files: [], base: null, head: null, truncated: false };
    }
    const base = (await this.#resolve(baseRef(this.runId, ticketId))) ?? null;
    if (!base) return { patch: '', files: [], base: null, head: null, truncated: false };
    // The work tree as it stands, new files too, through an index of its own: the real one is untouched.
    const index = join(privateDirOf(this.#runDir), `diff-${refComponent(ticketId)}-${process.pid}-${(diffIndexes += 1)}.index`);
    try {
      await this.#ticket(ticketId, ['read-tree', 'HEAD'], { indexFile: index });
      await this.#ticket(ticketId, ['add', '--all'], { indexFile: index });
      const tree = (await this.#ticket(ticketId, ['write-tree'], { indexFile: index })).stdout.trim();
      const head = (await this.#ticket(ticketId, ['rev-parse', 'HEAD'])).stdout.trim();
      return { ...(await this.#diff(base, tree)), head };
    } finally {
      rmSync(index, { force: true });
    }
  }

  async runDiff(): Promise<DiffText> {
    const start = (await this.#resolve(startRef(this.runId))) ?? null;
    const head = (await this.#resolve(integrationBranch(this.runId))) ?? null;
    if (!start || !head) return { patch: '', files: [], base: start, head, truncated: false };
    return { ...(await this.#diff(start, head)), head };
  }

  async #diff(from: string, to: string): Promise<DiffText> {
    const common = ['--no-ext-diff', '--no-textconv', '--no-color', '--find-renames'];
    const names = await this.#repo(['diff', ...common, '--name-status', '-z', from, to]);
    const fields = names.stdout.split('\0').filter((field) => field.length > 0);
    const files: { path: string; status: string }[] = [];
    for (let i = 0; i < fields.length; ) {
      const status = fields[i]!;
      const renamed = status.startsWith('R') || status.startsWith('C');
      const path = renamed ? fields[i + 2]! : fields[i + 1]!;
      files.push({ path: this.#redact(path), status: status.slice(0, 1) });
      i += renamed ? 3 : 2;
    }
    const patch = (await this.#repo(['diff', ...common, from, to])).stdout;
    const truncated = Buffer.byteLength(patch) > MAX_PATCH_BYTES;
    const shown = truncated ? `${Buffer.from(patch).subarray(0, MAX_PATCH_BYTES).toString('utf8')}\n… diff cut at ${MAX_PATCH_BYTES} bytes\n` : patch;
    return { patch: this.#redact(shown), files, base: from, head: to, truncated };
  }

  remove(): Promise<{ worktrees: number; branches: number }> {
    return this.#queue.run(async () => {
      if (!existsSync(this.gitDir)) return { worktrees: 0, branches: 0 };
      let worktrees = 0;
      const list = await this.#repo(['worktree', 'list', '--porcelain']);
      for (const line of list.stdout.split('\n')) {
        if (!line.startsWith('worktree ')) continue;
        const path = line.slice('worktree '.length);
        if (path === this.#workspace) continue;
        await this.#repo(['worktree', 'remove', '--force', '--force', path]).catch((error: unknown) => {
          if (!(error instanceof GitError)) throw error;
        });
        rmSync(path, { recursive: true, force: true });
        worktrees += 1;
      }
      rmSync(join(this.#runDir, 'worktrees'), { recursive: true, force: true });
      await this.#repo(['worktree', 'prune']);
      const refs = await this.#repo(['for-each-ref', '--format=%(refname)', `refs/heads/clutch/${this.runId}/`, `refs/clutch/${this.runId}/base/`]);
      let branches = 0;
      for (const ref of refs.stdout.split('\n').filter((entry) => entry.length > 0)) {
        if (ref === `refs/heads/${integrationBranch(this.runId)}`) continue;
        await this.#repo(['update-ref', '-d', ref]);
        if (ref.startsWith('refs/heads/')) branches += 1;
      }
      return { worktrees, branches };
    });
  }
}
