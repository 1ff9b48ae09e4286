import path from 'node:path';
import { isTable, quote, valueAt } from './describe.js';
import type { ConfigIssue } from './issues.js';
import { locate, type SourceMap } from './locate.js';

/**
 * Checks of agents.toml values that the schema lets through but that could only fail later, in
 * the middle of a run: names that are really paths. They run on the raw data, like the other
 * cross-checks, so one `clutch validate` reports every problem.
 */
export function checkConfigValues(data: Record<string, unknown>, map: SourceMap, file: string): ConfigIssue[] {
  return [...checkAllowedCommands(data, map, file), ...checkDebugStatePath(data, map, file)];
}

/**
 * "." and ".." pass the program-name pattern, but they are paths: run_command refuses every path
 * (src/tools/command-policy.ts), so such an entry could never run anything.
 */
function checkAllowedCommands(data: Record<string, unknown>, map: SourceMap, file: string): ConfigIssue[] {
  const agents = isTable(data.agents) ? data.agents : {};
  const issues: ConfigIssue[] = [];
  for (const [name, agent] of Object.entries(agents)) {
    const commands = valueAt(agent, ['allowed_commands']);
    if (!Array.isArray(commands)) continue;
    commands.forEach((command: unknown, index) => {
      if (command !== '.' && command !== '..') return;
      issues.push({
        file,
        ...locate(map, ['agents', name, 'allowed_commands', index], 'value'),
        message: `allowed_commands entry "${command}" in [agents.${name}] is a path, not a program name; run_command starts bare program names such as "node"`,
      });
    });
  }
  return issues;
}

const DEBUG_STATE_RULE = "it must be a plain file name, written in each run's folder (.clutch/runs/<id>/)";

/**
 * debug_state.json belongs to its run: an absolute path or one that climbs out would have every
 * run overwrite the same file outside its folder, and a subfolder does not exist in a fresh run
 * folder, so the first write would fail only once the run is under way.
 */
function checkDebugStatePath(data: Record<string, unknown>, map: SourceMap, file: string): ConfigIssue[] {
  const value = valueAt(data, ['execution', 'debug_state_path']);
  if (typeof value !== 'string' || value === '') return [];
  const why = debugStatePathProblem(value);
  if (!why) return [];
  return [{ file, ...locate(map, ['execution', 'debug_state_path'], 'value'), message: `debug_state_path ${quote(value)} in [execution] ${why}; ${DEBUG_STATE_RULE}` }];
}

function debugStatePathProblem(value: string): string | undefined {
  if (path.posix.isAbsolute(value) || path.win32.isAbsolute(value)) return 'is an absolute path';
  const parts = value.split(/[/\\]/);
  if (parts.includes('..')) return 'leads out of the run folder';
  if (value === '.' || parts.at(-1) === '' || parts.at(-1) === '.') return 'names a folder, not a file';
  if (parts.length > 1) return 'names a file in a subfolder';
  if (value.includes('\0')) return 'contains a NUL byte';
  return undefined;
}
