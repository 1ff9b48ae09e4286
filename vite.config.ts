import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

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
  build: {
    outDir: `${root}dist/ui`,
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1024,
  },
});
