import { createWriteStream, existsSync } from 'node:fs';
import { once } from 'node:events';
import type { RunSummary } from '../store/index.js';
import { UsageError } from './load-inputs.js';
import { openStore } from './store-path.js';

/** Every run in the store at `path`, newest first; a store not made yet has none. */
export function listRuns(path: string): RunSummary[] {
  if (!existsSync(path)) return [];
  const store = openStore(path);
  try {
    return store.runs();
  } finally {
    store.close();
  }
}

/**
 * Writes a run's journal as JSON lines (the store is the source of truth; this is an export).
 * Returns how many rows were written.
 */
export async function exportJournal(path: string, runId: string, out: NodeJS.WritableStream | string): Promise<number> {
  const store = openStore(path, { mustExist: true });
  try {
    if (!store.run(runId)) throw new UsageError(`there is no run "${runId}" in ${path}; \`clutch runs\` lists the runs it has`);
    const log = store.openRunReadOnly(runId);
    const stream = typeof out === 'string' ? createWriteStream(out) : out;
    let rows = 0;
    for (const entry of log.journal()) {
      rows += 1;
      if (!stream.write(`${JSON.stringify(entry)}\n`)) await once(stream, 'drain');
    }
    if (typeof out === 'string') {
      stream.end();
      await once(stream, 'finish');
    }
    return rows;
  } finally {
    store.close();
  }
}
