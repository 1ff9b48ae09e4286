#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so `npx clutch` works right after `npm install`.
import { register } from 'tsx/esm/api';

// Output piped into a reader that stops early (`clutch runs | head -1`) is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
