import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatIssues, loadConfig, loadTrack } from '../config/index.js';
import type { ClutchConfig, Track } from '../protocol/index.js';

/** Bad input the user can fix (a flag, a file, a run id): the CLI prints it and exits 2. */
export class UsageError extends Error {}

/** agents.toml in the current folder, else the one shipped at the package root. */
export function defaultConfigPath(cwd: string): string {
  const local = resolve(cwd, 'agents.toml');
  return existsSync(local) ? local : fileURLToPath(new URL('../../agents.toml', import.meta.url));
}

export function loadInputs(options: { cwd: string; config?: string; track: string; workspace?: string }): {
  config: ClutchConfig;
  track: Track;
  workspace: string;
} {
  const configPath = options.config ? resolve(options.cwd, options.config) : defaultConfigPath(options.cwd);
  const config = loadConfig(configPath);
  if (!config.ok) throw new UsageError(formatIssues(config.errors));
  const track = loadTrack(resolve(options.cwd, options.track), {
    config: config.value,
    ...(options.workspace ? { workspace: resolve(options.cwd, options.workspace) } : {}),
  });
  if (!track.ok) throw new UsageError(formatIssues(track.errors));
  if (!existsSync(track.value.workspace)) throw new UsageError(`workspace ${track.value.workspace} does not exist`);
  return { config: config.value, track: track.value.track, workspace: track.value.workspace };
}
