#!/usr/bin/env node
// Runs the TypeScript CLI right after `npm install`: from a bundle of src/ made on demand
// (cli-bundle.js), or through tsx when one cannot be made.
import { loadBundledCli } from './cli-bundle.js';

// Output piped into a reader that stops early (`clutch runs | head -1`) is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

let cli = await loadBundledCli();
if (!cli) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../src/cli.ts');
}
// The heap's growing factor (src/runs/heap.ts), before any command allocates.
cli.tuneHeap?.();
process.exitCode = await cli.main(process.argv.slice(2));
