import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasGitComponent, isInside, resolveInWorkspace, workspaceRelative } from '../../src/tools/sandbox.js';

let workspace: string;
let outside: string;

beforeEach(() => {
  workspace = realpathSync(mkdtempSync(path.join(tmpdir(), 'clutch-sandbox-ws-')));
  outside = realpathSync(mkdtempSync(path.join(tmpdir(), 'clutch-sandbox-out-')));
  mkdirSync(path.join(workspace, 'src'));
  writeFileSync(path.join(workspace, 'src', 'a.ts'), 'a');
  writeFileSync(path.join(outside, 'secret.txt'), 'secret');
});

afterEach(() => {
  rmSync(workspace, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

async function refused(requested: string, options?: { allowRoot?: boolean }): Promise<string> {
  const result = await resolveInWorkspace(workspace, requested, options);
  if (result.ok) throw new Error(`expected ${requested} to be refused, got ${result.path}`);
  return result.error;
}

describe('resolveInWorkspace', () => {
  it('resolves an existing file and a new file inside the workspace', async () => {
    expect(await resolveInWorkspace(workspace, 'src/a.ts')).toEqual({
      ok: true,
      path: path.join(workspace, 'src', 'a.ts'),
      relative: 'src/a.ts',
    });
    expect(await resolveInWorkspace(workspace, 'new/dir/b.ts')).toEqual({
      ok: true,
      path: path.join(workspace, 'new', 'dir', 'b.ts'),
      relative: 'new/dir/b.ts',
    });
  });

  it('normalises harmless dot segments', async () => {
    const result = await resolveInWorkspace(workspace, './src/../src/a.ts');
    expect(result).toMatchObject({ ok: true, relative: 'src/a.ts' });
  });

  it('refuses empty paths, NUL bytes and absolute paths', async () => {
    expect(await refused('')).toMatch(/path is empty/);
    expect(await refused('src/a.ts\0.png')).toMatch(/NUL byte/);
    expect(await refused('/etc/passwd')).toMatch(/absolute paths are not allowed/);
    expect(await refused(path.join(workspace, 'src/a.ts'))).toMatch(/absolute paths are not allowed/);
  });

  it('refuses .. escapes after normalisation', async () => {
    expect(await refused('../x')).toMatch(/outside the workspace/);
    expect(await refused('..')).toMatch(/outside the workspace/);
    expect(await refused('a/../../x')).toMatch(/outside the workspace/);
    // Judged after normalisation: a detour that ends inside is fine.
    expect(await resolveInWorkspace(workspace, `src/../../${path.basename(workspace)}/src/a.ts`)).toMatchObject({
      ok: true,
      relative: 'src/a.ts',
    });
  });

  it('refuses the root where a file is needed and accepts it when allowed', async () => {
    expect(await refused('.')).toMatch(/workspace root itself/);
    expect(await refused('src/..')).toMatch(/workspace root itself/);
    expect(await resolveInWorkspace(workspace, '.', { allowRoot: true })).toEqual({
      ok: true,
      path: workspace,
      relative: '.',
    });
  });

  it('refuses a symlinked file that points outside', async () => {
    symlinkSync(path.join(outside, 'secret.txt'), path.join(workspace, 'link.txt'));
    expect(await refused('link.txt')).toMatch(/symlink that points outside the workspace/);
  });

  it('refuses a new file under a symlinked directory that points outside', async () => {
    symlinkSync(outside, path.join(workspace, 'out'));
    expect(await refused('out/new.txt')).toMatch(/symlink that points outside the workspace/);
    expect(await refused('out/deeper/new.txt')).toMatch(/symlink that points outside the workspace/);
    expect(await refused('out', { allowRoot: true })).toMatch(/symlink that points outside/);
  });

  it('refuses a dangling symlink, whose target a write would create', async () => {
    symlinkSync(path.join(outside, 'not-yet.txt'), path.join(workspace, 'dangling.txt'));
    expect(await refused('dangling.txt')).toMatch(/symlink whose target does not exist/);
  });

  it('follows a symlink that stays inside the workspace', async () => {
    symlinkSync(path.join(workspace, 'src'), path.join(workspace, 'alias'));
    expect(await resolveInWorkspace(workspace, 'alias/a.ts')).toEqual({
      ok: true,
      path: path.join(workspace, 'src', 'a.ts'),
      relative: 'alias/a.ts',
    });
  });

  it('compares against the real root when the workspace is given through a symlink', async () => {
    const viaLink = path.join(outside, 'ws-link');
    symlinkSync(workspace, viaLink);
    expect(await resolveInWorkspace(viaLink, 'src/a.ts')).toMatchObject({
      ok: true,
      path: path.join(workspace, 'src', 'a.ts'),
    });
  });
});

describe('resolveInWorkspace and .git', () => {
  it('refuses a path with a .git component in any case, lexically and through a symlink', async () => {
    mkdirSync(path.join(workspace, '.git'));
    writeFileSync(path.join(workspace, '.git', 'config'), '[core]');
    for (const requested of ['.git', '.git/config', '.GIT/config', 'src/.Git/x', './src/../.git/hooks/pre-commit', '.git/../.git/HEAD']) {
      expect(await refused(requested, { allowRoot: true })).toMatch(/is in \.git, git's own data/);
    }
    symlinkSync(path.join(workspace, '.git'), path.join(workspace, 'meta'));
    expect(await refused('meta/config')).toMatch(/is in \.git/);
    expect(await refused('meta', { allowRoot: true })).toMatch(/is in \.git/);
    // A name that merely contains .git is fine.
    expect(await resolveInWorkspace(workspace, '.gitignore')).toMatchObject({ ok: true, relative: '.gitignore' });
    expect(await resolveInWorkspace(workspace, 'src/x.git/a')).toMatchObject({ ok: true });
    expect(await resolveInWorkspace(workspace, '.github/workflows/ci.yml')).toMatchObject({ ok: true });
  });

  it('hasGitComponent looks at whole components, either slash, any case', () => {
    expect(hasGitComponent('.git')).toBe(true);
    expect(hasGitComponent('a/.GiT/b')).toBe(true);
    expect(hasGitComponent('a\\.git\\b')).toBe(true);
    expect(hasGitComponent('.gitignore')).toBe(false);
    expect(hasGitComponent('a/b.git')).toBe(false);
  });
});

describe('path helpers', () => {
  it('isInside does not confuse a sibling sharing a prefix', () => {
    expect(isInside('/w/ws', '/w/ws/a')).toBe(true);
    expect(isInside('/w/ws', '/w/ws')).toBe(true);
    expect(isInside('/w/ws', '/w/ws2/a')).toBe(false);
    expect(isInside('/w/ws', '/w')).toBe(false);
  });

  it('workspaceRelative formats paths for messages without leaking the host layout', () => {
    expect(workspaceRelative('/w/ws', '/w/ws')).toBe('.');
    expect(workspaceRelative('/w/ws', '/w/ws/src/a.ts')).toBe('src/a.ts');
    expect(workspaceRelative('/w/ws', '/etc/passwd')).toBe('<outside the workspace>');
  });
});
