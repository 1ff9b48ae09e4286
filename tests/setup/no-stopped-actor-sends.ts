import { afterEach, expect } from 'vitest';

/*
 * An event sent to a stopped actor is a bug in who talks to whom (an actor that outlived the one it
 * talks to), never noise: XState only warns about it, so every test fails on that warning here.
 * Warnings from child processes (the CLI tests) are not seen here; their own tests read stderr.
 */
const sentToStopped: string[] = [];
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  const text = args.map(String).join(' ');
  if (text.includes('was sent to stopped actor')) sentToStopped.push(text.split('\n')[0]!);
  warn(...args);
};

afterEach(() => {
  const seen = sentToStopped.splice(0);
  expect(seen, 'events sent to stopped actors').toEqual([]);
});
