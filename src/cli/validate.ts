import { formatIssues, loadConfig, loadTrack } from '../config/index.js';
import { resolve } from 'node:path';
import { defaultConfigPath } from '../runs/load-inputs.js';

/** `clutch validate [--config F] [TRACK]`: 0 when all is well, 2 on any issue. */
export function validateCommand(options: { cwd: string; config?: string; track?: string; workspace?: string; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): number {
  const configPath = options.config ? resolve(options.cwd, options.config) : defaultConfigPath(options.cwd);
  const config = loadConfig(configPath);
  if (!config.ok) {
    options.stderr.write(`${formatIssues(config.errors)}\n`);
    return 2;
  }
  options.stdout.write(`${configPath}: ok (${Object.keys(config.value.agents).length} agents, ${Object.keys(config.value.models).length} model profiles)\n`);
  if (!options.track) return 0;
  const trackPath = resolve(options.cwd, options.track);
  const track = loadTrack(trackPath, { config: config.value, ...(options.workspace ? { workspace: resolve(options.cwd, options.workspace) } : {}) });
  if (!track.ok) {
    options.stderr.write(`${formatIssues(track.errors)}\n`);
    return 2;
  }
  options.stdout.write(`${trackPath}: ok (${track.value.track.tickets.length} tickets)\n`);
  return 0;
}
