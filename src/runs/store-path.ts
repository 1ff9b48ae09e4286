import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatIssues, loadConfig } from '../config/index.js';
import type { ClutchConfig } from '../protocol/index.js';
import { RunStore, StoreError, type OpenOptions } from '../store/index.js';
import { defaultConfigPath, UsageError } from './load-inputs.js';

/** `[execution] store` of the config (already absolute), else .clutch/clutch.db under cwd. */
export function storePathOf(config: ClutchConfig, cwd: string): string {
  return config.execution.store ?? resolve(cwd, '.clutch', 'clutch.db');
}

/** The store path for commands that have no run yet: from --config (or the default one). */
export function storePathFor(cwd: string, configFile: string | undefined): string {
  const path = configFile ? resolve(cwd, configFile) : defaultConfigPath(cwd);
  const config = loadConfig(path);
  if (!config.ok) throw new UsageError(formatIssues(config.errors));
  return storePathOf(config.value, cwd);
}

/** Opens the store; its problems are input errors (exit 2) that name the file and what to do. */
export function openStore(path: string, options?: OpenOptions): RunStore {
  try {
    return RunStore.open(path, options);
  } catch (error) {
    if (error instanceof StoreError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
}

/** sha256 of a file's bytes: runs record their track's and config's, and resume compares them. */
export function hashFile(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}
