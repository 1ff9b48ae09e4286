import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { formatIssues, parseTrack } from '../config/index.js';
import { parseToml } from '../config/toml.js';
import type { ClutchConfig } from '../protocol/index.js';
import type { TrackFileEntry, TrackFileList } from '../protocol/workbench.js';

/** How far the search goes: a workspace is a project folder, not a disk. */
export const TRACK_SEARCH_LIMITS = {
  /** Folder levels below the root. */
  depth: 6,
  /** Directory entries looked at, over all folders. */
  entries: 20_000,
  /** Track files listed. */
  files: 200,
  /** A bigger .toml file is no track file anyone wrote by hand; it is not read. */
  fileBytes: 1024 * 1024,
};

/** Never searched: dependencies, history, and Clutch's own runs (each holds a copy of a workspace). */
const SKIPPED = new Set(['node_modules', '.git', '.clutch']);

export interface TrackSearch {
  /** The server's folder: listed paths are relative to it, and startRun resolves them there. */
  cwd: string;
  /** The demo folder shipped with Clutch. */
  demoDir: string;
  /** The configuration a run would use (the archetypes a ticket may name), or why it cannot be loaded. */
  config: { ok: true; value: ClutchConfig } | { ok: false; error: string };
}

/**
 * The track files a new run may start from: the demo folder's, then the workspace's (the server's
 * folder, searched to TRACK_SEARCH_LIMITS). A track file is a .toml file (not agents.toml) with a
 * [track] table or [[tickets]]; one that is not valid is listed with its problems, each with its
 * file:line:column. Symbolic links are not followed, so nothing listed lies outside the two folders.
 */
export async function listTrackFiles(search: TrackSearch): Promise<TrackFileList> {
  const found = new Map<string, TrackFileEntry['source']>();
  const budget = { entries: TRACK_SEARCH_LIMITS.entries };
  for (const [root, source] of [[search.demoDir, 'demo'], [search.cwd, 'workspace']] as const) {
    for (const file of await tomlFiles(resolve(root), budget)) if (!found.has(file)) found.set(file, source);
  }
  const files: TrackFileEntry[] = [];
  for (const [file, source] of found) {
    if (files.length >= TRACK_SEARCH_LIMITS.files) break;
    const entry = await describeTrack(file, source, search);
    if (entry) files.push(entry);
  }
  return { files };
}

/** Every .toml file under root but agents.toml, breadth first, within the limits. */
async function tomlFiles(root: string, budget: { entries: number }): Promise<string[]> {
  const files: string[] = [];
  let level = [root];
  for (let depth = 0; depth <= TRACK_SEARCH_LIMITS.depth && level.length > 0; depth += 1) {
    const next: string[] = [];
    for (const folder of level.sort()) {
      let entries;
      try {
        entries = await readdir(folder, { withFileTypes: true });
      } catch {
        continue; // Unreadable: nothing to list there.
      }
      for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        if (budget.entries-- <= 0) return files;
        // Dirent's kinds do not follow symbolic links: a link is neither a folder nor a file here.
        if (entry.isDirectory() && !SKIPPED.has(entry.name)) next.push(join(folder, entry.name));
        else if (entry.isFile() && entry.name.endsWith('.toml') && entry.name !== 'agents.toml') files.push(join(folder, entry.name));
      }
    }
    level = next;
  }
  return files;
}

async function describeTrack(file: string, source: TrackFileEntry['source'], search: TrackSearch): Promise<TrackFileEntry | undefined> {
  const path = relative(search.cwd, file);
  const base = { path, source };
  let text: string;
  try {
    const info = await stat(file);
    if (info.size > TRACK_SEARCH_LIMITS.fileBytes) return undefined;
    text = await readFile(file, 'utf8');
  } catch {
    return undefined; // Gone since it was listed.
  }
  const parsed = parseToml(text, file);
  if (!parsed.ok) {
    // Not TOML: listed only when its name says it is meant to be a track.
    if (!/track/i.test(basename(file))) return undefined;
    return { ...base, id: null, title: null, tickets: 0, error: formatIssues(parsed.errors) };
  }
  const { data } = parsed;
  if (!('track' in data) && !('tickets' in data)) return undefined;
  const header = typeof data['track'] === 'object' && data['track'] !== null ? (data['track'] as Record<string, unknown>) : {};
  const declared = {
    id: typeof header['id'] === 'string' ? header['id'] : null,
    title: typeof header['title'] === 'string' ? header['title'] : null,
    tickets: Array.isArray(data['tickets']) ? data['tickets'].length : 0,
  };
  if (!search.config.ok) return { ...base, ...declared, error: search.config.error };
  const track = parseTrack(text, file, { config: search.config.value });
  if (!track.ok) return { ...base, ...declared, error: formatIssues(track.errors) };
  const { workspace } = track.value;
  const loaded = { id: track.value.track.id, title: track.value.track.title, tickets: track.value.track.tickets.length };
  if (!existsSync(workspace)) return { ...base, ...loaded, error: `${file}: the track's workspace ${workspace} does not exist` };
  return { ...base, ...loaded };
}
