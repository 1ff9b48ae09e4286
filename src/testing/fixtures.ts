import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ticket } from '../protocol/index.js';

/** A pending ticket whose target file is named after it. */
export function ticket(id: string, dependencies: string[] = [], archetype = 'codegen'): Ticket {
  return { id, target_file: `${id}.txt`, prompt: `Work on ${id}`, worker_archetype: archetype, status: 'pending', dependencies };
}

export function tempDir(prefix = 'clutch-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
