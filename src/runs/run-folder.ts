import { cpSync, mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

/** A fresh folder for one run, holding its own copy of the workspace: the source is never changed. */
export function createRunFolder(base: string, workspace: string, now: Date = new Date()): { runDir: string; workspace: string; id: string } {
  mkdirSync(base, { recursive: true });
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  for (let suffix = 1; ; suffix += 1) {
    const id = suffix === 1 ? stamp : `${stamp}-${suffix}`;
    const runDir = resolve(base, id);
    try {
      mkdirSync(runDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    }
    const copy = join(runDir, basename(workspace) || 'workspace');
    cpSync(workspace, copy, { recursive: true, filter: (source) => !/[/\\](node_modules|\.git)$/.test(source) });
    return { runDir, workspace: copy, id };
  }
}
