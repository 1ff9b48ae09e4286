import path from 'node:path';
import { trackFileSchema } from '../protocol/config-schema.js';
import type { ClutchConfig } from '../protocol/config.js';
import type { Track } from '../protocol/track.js';
import { checkTickets } from './check-tickets.js';
import { workspaceProblem } from './check-workspace.js';
import { quote, valueAt } from './describe.js';
import { failed, readSource, type ConfigIssue, type ConfigResult } from './issues.js';
import { locate, type SourceMap } from './locate.js';
import { parseToml } from './toml.js';
import { fromZodIssues } from './zod-issues.js';

export interface TrackOptions {
  /** Archetypes a ticket's worker_archetype may name. */
  config: ClutchConfig;
  /** Overrides [track].workspace (resolved against the current directory). */
  workspace?: string;
  /**
   * Where runs put their folders: given, the workspace is checked as a run will copy it (it
   * exists, is a folder, is not the root, does not hold this folder, holds no FIFO or socket).
   */
  runsFolder?: string;
}

export interface LoadedTrack {
  track: Track;
  /** Absolute path of the folder the tickets' target files are relative to. */
  workspace: string;
}

/** Reads and validates a track file. Never throws for a bad file: every problem is an issue. */
export function loadTrack(file: string, options: TrackOptions): ConfigResult<LoadedTrack> {
  const source = readSource(file);
  if (!source.ok) return source;
  return parseTrack(source.text, file, options);
}

/** Validates track text; `file` names it in messages and anchors the workspace. */
export function parseTrack(text: string, file: string, options: TrackOptions): ConfigResult<LoadedTrack> {
  const parsed = parseToml(text, file);
  if (!parsed.ok) return parsed;
  const { data, map } = parsed;
  const absolute = path.resolve(file);
  const workspace = resolveWorkspace(absolute, data, options);

  const result = trackFileSchema.safeParse(data);
  const issues = result.success ? [] : fromZodIssues(result.error.issues, { file, map, data, schema: trackFileSchema });
  issues.push(
    ...checkTickets({ file, map, tickets: data.tickets, archetypes: Object.keys(options.config.agents), workspace }),
    ...(options.runsFolder === undefined ? [] : checkWorkspace(file, map, data, workspace, options)),
  );
  if (!result.success || issues.length > 0) return failed(issues);

  const { track, tickets } = result.data;
  return {
    ok: true,
    value: {
      workspace,
      track: {
        id: track.id,
        title: track.title,
        description: track.description,
        status: 'pending',
        source: absolute,
        // Array order is track order; the conductor relies on it for linear mode and for display.
        tickets: tickets.map((t) => ({
          id: t.id,
          target_file: t.target_file,
          prompt: t.prompt,
          worker_archetype: t.worker_archetype,
          status: 'pending',
          dependencies: [...t.dependencies],
        })),
      },
    },
  };
}

/** The workspace problem, placed where the workspace was chosen: the flag, the key, or the file. */
function checkWorkspace(file: string, map: SourceMap, data: unknown, workspace: string, options: TrackOptions): ConfigIssue[] {
  const why = workspaceProblem(workspace, options.runsFolder ?? '');
  if (!why) return [];
  if (options.workspace !== undefined) return [{ file, line: 1, column: 1, message: `the workspace given with --workspace (${workspace}) ${why}` }];
  const declared = valueAt(data, ['track', 'workspace']);
  if (typeof declared === 'string' && declared !== '') {
    return [{ file, ...locate(map, ['track', 'workspace'], 'value'), message: `workspace ${quote(declared)} (${workspace}) ${why}` }];
  }
  return [{ file, line: 1, column: 1, message: `the workspace (the track file's folder ${workspace}, as [track] sets no workspace) ${why}` }];
}

/** options.workspace, else [track].workspace relative to the track file, else the file's folder. */
function resolveWorkspace(trackFile: string, data: unknown, options: TrackOptions): string {
  if (options.workspace !== undefined) return path.resolve(options.workspace);
  const folder = path.dirname(trackFile);
  const declared = valueAt(data, ['track', 'workspace']);
  return typeof declared === 'string' && declared !== '' ? path.resolve(folder, declared) : folder;
}
