import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
/**
 * What the bundle is built from: the app, and the folders it imports (protocol for the wire types
 * and constants, machines for the definitions the Inspector draws). A change to a machine changes
 * the diagrams, so it makes the build stale too.
 */
const uiSources = ['src/ui', 'src/protocol', 'src/machines'].map((folder) => join(root, folder));
const uiDist = join(root, 'dist/ui');

export interface EnsureUiOptions {
  /** Build even when dist/ui looks fresh. */
  force?: boolean;
  log?: (line: string) => void;
}

function newestChange(folder: string): number {
  let newest = statSync(folder).mtimeMs;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestChange(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function builtAt(): number | undefined {
  try {
    return statSync(join(uiDist, 'index.html')).mtimeMs;
  } catch {
    return undefined;
  }
}

let building: Promise<string> | undefined;

/**
 * The web app's folder, built first when it is missing or older than any file it is built from. A fresh
 * checkout serves the UI without a separate build step; later starts reuse the build.
 */
export function ensureUiBuilt(options: EnsureUiOptions = {}): Promise<string> {
  const built = builtAt();
  if (!options.force && built !== undefined && built >= Math.max(...uiSources.map(newestChange))) return Promise.resolve(uiDist);
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
