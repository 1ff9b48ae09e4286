import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const uiDist = join(root, 'dist/ui');

export interface EnsureUiOptions {
  /** Build even when dist/ui looks fresh. */
  force?: boolean;
  log?: (line: string) => void;
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/**
 * Whether the bundle was built from the files as they are now: the build records every file of
 * ours it read (inputs.json, written by vite.config.ts) and the lockfile; any change, in any
 * folder, or a bundle without the record, means a rebuild.
 */
export function bundleIsCurrent(dist = uiDist): boolean {
  let inputs: { lockfile: string; files: Record<string, string> };
  try {
    if (!existsSync(join(dist, 'index.html'))) return false;
    inputs = JSON.parse(readFileSync(join(dist, 'inputs.json'), 'utf8'));
    if (sha256(join(root, 'package-lock.json')) !== inputs.lockfile) return false;
    return Object.entries(inputs.files).every(([path, hash]) => existsSync(join(root, path)) && sha256(join(root, path)) === hash);
  } catch {
    return false;
  }
}

let building: Promise<string> | undefined;

/**
 * The web app's folder, built first when it is missing or any file it was built from changed. A fresh
 * checkout serves the UI without a separate build step; later starts reuse the build.
 */
export function ensureUiBuilt(options: EnsureUiOptions = {}): Promise<string> {
  if (!options.force && bundleIsCurrent()) return Promise.resolve(uiDist);
  building ??= build(options.log).finally(() => (building = undefined));
  return building;
}

async function build(log: ((line: string) => void) | undefined): Promise<string> {
  log?.('building the web app…');
  // Loaded only when a build is due: vite is large and most starts do not need it.
  const { build: viteBuild } = await import('vite');
  // Built aside and swapped in, so a server serving dist/ui never sees a half-written folder
  // (another process may build at the same time: the last swap wins, both are complete).
  const suffix = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const staging = `${uiDist}.building-${suffix}`;
  const retired = `${uiDist}.old-${suffix}`;
  try {
    // The Inspector's layout engine (elkjs, about 1.5 MB) is its own chunk, loaded when a diagram is first drawn.
    await viteBuild({ configFile: join(root, 'vite.config.ts'), logLevel: 'warn', build: { outDir: staging, emptyOutDir: true, chunkSizeWarningLimit: 2048 } });
    try {
      if (existsSync(uiDist)) renameSync(uiDist, retired);
      renameSync(staging, uiDist);
    } catch (error) {
      // Another build swapped its complete folder in between our two renames: use that one.
      if (!existsSync(join(uiDist, 'index.html'))) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(retired, { recursive: true, force: true });
  }
  return uiDist;
}
