import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/**
 * Writes inputs.json beside the bundle: every file of ours the build read, with its hash, and the
 * lockfile's hash for the packages. `clutch serve` rebuilds when any of them changed, whichever
 * folder it is in (src/ui, src/machines, src/protocol, ...).
 */
function recordInputs(): Plugin {
  return {
    name: 'clutch-record-inputs',
    generateBundle() {
      const files = new Set<string>([`${root}vite.config.ts`]);
      for (const id of this.getModuleIds()) {
        const path = id.split('?')[0]!;
        if (path.startsWith(root) && !path.includes('/node_modules/') && existsSync(path)) files.add(path);
      }
      const inputs = {
        lockfile: sha256(`${root}package-lock.json`),
        files: Object.fromEntries([...files].sort().map((path) => [relative(root, path), sha256(path)])),
      };
      this.emitFile({ type: 'asset', fileName: 'inputs.json', source: `${JSON.stringify(inputs, null, 2)}\n` });
    },
  };
}

/**
 * The web app: src/ui is the Vite root, built to dist/ui. `base: './'` keeps asset URLs relative,
 * so the server may serve the folder from any path. No React plugin: Vite's own transform handles
 * TSX with the automatic runtime (there is no hot reload to wire up).
 */
export default defineConfig({
  root: `${root}src/ui`,
  base: './',
  publicDir: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  plugins: [recordInputs()],
  build: {
    outDir: `${root}dist/ui`,
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1024,
  },
});
