// The CLI as one ES module bundled from src/ by esbuild, so that a run starts in about half the
// time tsx takes to load each of src/'s modules through its loader thread. The bundle is made on
// the first start after a change to src/, kept in node_modules/.cache/clutch, and named by a stamp
// of the sources it was made from: a stale one is never used. Packages stay external (loaded from
// node_modules as they are), and each module keeps its own import.meta.url, so paths relative to a
// source file (demo/, docs/, the Test paths thread) resolve as they do from src/.
import { createHash } from 'node:crypto';
import { mkdirSync, openSync, readdirSync, readFileSync, readSync, closeSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const cacheDir = join(root, 'node_modules', '.cache', 'clutch');
const bundle = join(cacheDir, 'cli.mjs');
const SOURCE = /\.(?:ts|tsx|mts|mjs|js|json)$/;

/** A hash of every source's path, size and mtime (the web app's excepted: the CLI never imports it). */
function sourceStamp() {
  const hash = createHash('sha256');
  const walk = (folder) => {
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (path !== join(src, 'ui')) walk(path);
      } else if (SOURCE.test(entry.name)) {
        const stat = statSync(path);
        hash.update(`${relative(src, path)}\0${stat.size}\0${stat.mtimeMs}\n`);
      }
    }
  };
  walk(src);
  return hash.digest('hex').slice(0, 32);
}

/** The stamp on the bundle's first line, or undefined when there is none. */
function bundleStamp() {
  let fd;
  try {
    fd = openSync(bundle, 'r');
    const head = Buffer.alloc(64);
    const read = readSync(fd, head, 0, head.length, 0);
    return /^\/\/ clutch-cli ([0-9a-f]{32})\n/.exec(head.subarray(0, read).toString('utf8'))?.[1];
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const loaders = { '.ts': 'ts', '.mts': 'ts', '.tsx': 'tsx', '.mjs': 'js', '.js': 'js' };

/** Gives every module of src/ its own file's import.meta.url, dirname and filename in the bundle. */
const sourceUrls = {
  name: 'source-urls',
  setup(build) {
    build.onLoad({ filter: /\.(?:ts|mts|tsx|mjs|js)$/ }, (args) => {
      if (!args.path.startsWith(`${src}/`)) return undefined;
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta')) return undefined;
      const contents = text
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
        .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
        .replaceAll('import.meta.filename', JSON.stringify(args.path));
      return { contents, loader: loaders[extname(args.path)] ?? 'js' };
    });
  },
};

/** Makes the bundle for this stamp: written beside it, then renamed, so a reader never sees half of one. */
async function makeBundle(stamp) {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [join(src, 'cli.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    sourcemap: 'inline',
    sourcesContent: false,
    logLevel: 'silent',
    plugins: [sourceUrls],
  });
  mkdirSync(cacheDir, { recursive: true });
  const partial = `${bundle}.${process.pid}.tmp`;
  writeFileSync(partial, `// clutch-cli ${stamp}\n${result.outputFiles[0].text}`);
  renameSync(partial, bundle);
}

/**
 * The CLI's module: the bundle when it is (or can be made) current, else undefined, and the caller
 * runs src/ through tsx (which then reports whatever kept esbuild from bundling it).
 */
export async function loadBundledCli() {
  if (process.env.CLUTCH_NO_BUNDLE === '1') return undefined;
  try {
    const stamp = sourceStamp();
    if (bundleStamp() !== stamp) await makeBundle(stamp);
    // Stack traces name src/ files and lines, not the bundle's.
    process.setSourceMapsEnabled(true);
    return await import(pathToFileURL(bundle).href);
  } catch {
    return undefined;
  }
}
