import { workspaceProblem } from '../config/check-workspace.js';
import { existsSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatIssues, loadConfig, loadTrack, locate, scanToml, type TomlPath } from '../config/index.js';
import { withModelProfile } from '../actors/models.js';
import { ModelSetupError } from '../models/model-setup-error.js';
import { readScript, type Script } from '../models/scripted.js';
import type { ClutchConfig, Track } from '../protocol/index.js';
import { errorText } from '../protocol/error-text.js';

/** Bad input the user can fix (a flag, a file, a run id): the CLI prints it and exits 2. */
export class UsageError extends Error {}

/** agents.toml in the current folder, else the one shipped at the package root. */
export function defaultConfigPath(cwd: string): string {
  const local = resolve(cwd, 'agents.toml');
  return existsSync(local) ? local : fileURLToPath(new URL('../../agents.toml', import.meta.url));
}

/** Where runs put their folders: each holds its own copy of the workspace. */
export function runsFolderOf(cwd: string): string {
  return resolve(cwd, '.clutch', 'runs');
}

export interface InputOptions {
  cwd: string;
  config?: string;
  /** Without a track, only the configuration and the scripts of all its scripted profiles are checked. */
  track?: string;
  workspace?: string;
  /** --model: every agent uses this profile. */
  model?: string;
  /** --script: the scripted profile replays this file instead. */
  script?: string;
  /** --replay answers every model call from a cassette: no script is read. */
  replay?: string;
}

export interface Inputs {
  /** As the run uses it: --model and --script applied. */
  config: ClutchConfig;
  track: Track;
  workspace: string;
}

export interface Checked {
  config: ClutchConfig;
  track?: { track: Track; workspace: string; file: string };
  /** The scripts read, with the profile each belongs to. */
  scripts: { profile: string; file: string; tickets: number }[];
}

/**
 * Everything `clutch validate` checks and `clutch run` (and serve, and the app's New run) refuses
 * before anything is created: the configuration, the track and its workspace as a run would copy
 * it, and the script of every scripted profile the track uses, each problem with its file and
 * where in it. One function for all of them, so validate never passes what run rejects.
 */
export function checkInputs(options: InputOptions): { ok: true; value: Checked } | { ok: false; problems: string[] } {
  const configPath = options.config ? resolve(options.cwd, options.config) : defaultConfigPath(options.cwd);
  const loaded = loadConfig(configPath);
  if (!loaded.ok) return { ok: false, problems: [formatIssues(loaded.errors)] };
  let config: ClutchConfig;
  try {
    config = options.model ? withModelProfile(loaded.value, options.model) : loaded.value;
  } catch (error) {
    return { ok: false, problems: [errorText(error)] };
  }
  let track: Checked['track'];
  if (options.track !== undefined) {
    const file = resolve(options.cwd, options.track);
    const result = loadTrack(file, {
      config,
      runsFolder: runsFolderOf(options.cwd),
      ...(options.workspace ? { workspace: resolve(options.cwd, options.workspace) } : {}),
    });
    if (!result.ok) return { ok: false, problems: [formatIssues(result.errors)] };
    track = { ...result.value, file };
  }
  const archetypes = track ? track.track.tickets.map((ticket) => ticket.worker_archetype) : Object.keys(config.agents);
  if (options.script !== undefined) {
    const pointed = pointScript(config, resolve(options.cwd, options.script), archetypes, options.model);
    if (typeof pointed === 'string') return { ok: false, problems: [pointed] };
    config = pointed;
  }
  const problems: string[] = [];
  if (track) problems.push(...debugStateClash(config, track.workspace));
  const scripts: Checked['scripts'] = [];
  if (!options.replay) {
    for (const profile of usedProfiles(config, archetypes)) {
      const model = config.models[profile];
      if (model?.provider !== 'scripted') continue;
      const file = model.script ?? '';
      let script: Script;
      try {
        script = readScript(file);
      } catch (error) {
        if (!(error instanceof ModelSetupError)) throw error;
        problems.push(`${error.message}${viaProfile(config, profile, options.script)}`);
        continue;
      }
      scripts.push({ profile, file, tickets: Object.keys(script.tickets).length });
      if (track) problems.push(...unscripted(config, profile, file, script, track));
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: { config, ...(track ? { track } : {}), scripts } };
}

/** checkInputs for a run: every problem in one UsageError. */
export function loadInputs(options: InputOptions & { track: string }): Inputs {
  const checked = checkInputs(options);
  if (!checked.ok) throw new UsageError(checked.problems.join('\n'));
  const { config, track } = checked.value;
  return { config, track: track!.track, workspace: track!.workspace };
}

/** The track a run begun from a request has before its plan is approved: no tickets yet. */
export function requestTrack(request: string): Track {
  const line = request.trim().split('\n')[0] ?? '';
  return { id: 'request', title: line.length > 80 ? `${line.slice(0, 79)}…` : line, description: request.trim(), status: 'pending', tickets: [] };
}

/**
 * checkInputs for a run begun from a request: the configuration (with an archetype to plan it),
 * the scripts of its scripted profiles, and the workspace the plan is for, as a run would copy it.
 */
export function loadRequestInputs(options: Omit<InputOptions, 'track'> & { request: string }): Inputs {
  if (options.request.trim() === '') throw new UsageError('the request is empty: say what the agents should do, e.g. clutch plan "Add a tax line to checkout"');
  const { track: _none, ...rest } = options as InputOptions;
  const checked = checkInputs(rest);
  if (!checked.ok) throw new UsageError(checked.problems.join('\n'));
  const { config } = checked.value;
  if (!Object.values(config.agents).some((agent) => agent.tier === 1)) {
    throw new UsageError(`${config.source} has no tier 1 archetype (such as [agents.pm]) to plan a request`);
  }
  if (!Object.values(config.agents).some((agent) => agent.tier === 3)) {
    throw new UsageError(`${config.source} has no tier 3 archetype to carry out the tickets of a plan`);
  }
  const workspace = resolve(options.cwd, options.workspace ?? '.');
  const why = workspaceProblem(workspace, runsFolderOf(options.cwd));
  if (why) throw new UsageError(`workspace ${workspace} ${why}`);
  const problems = debugStateClash(config, workspace);
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  return { config, track: requestTrack(options.request), workspace };
}

/** The profiles these archetypes' agents use, in order. */
function usedProfiles(config: ClutchConfig, archetypes: readonly string[]): string[] {
  return [...new Set(archetypes.flatMap((name) => config.agents[name]?.model ?? []))];
}

/** Where a script path came from, for its error: --script, or the profile in agents.toml. */
function viaProfile(config: ClutchConfig, profile: string, script: string | undefined): string {
  return script !== undefined ? ` (given with --script for [models.${profile}])` : ` (the script of [models.${profile}] in ${at(config.source, ['models', profile, 'script'])})`;
}

/**
 * `--script FILE`: the scripted profile the run uses replays FILE. Which one: the --model
 * profile; else the only scripted profile of the configuration; else the only one the track's
 * agents use. Anything else is refused with what to do, since a guess would replay the wrong script.
 */
function pointScript(config: ClutchConfig, script: string, archetypes: readonly string[], model: string | undefined): ClutchConfig | string {
  const scripted = Object.keys(config.models).filter((name) => config.models[name]?.provider === 'scripted');
  const used = usedProfiles(config, archetypes);
  let target: string | undefined;
  if (model !== undefined) {
    if (!scripted.includes(model)) return `--script ${script}: --model ${model} is not a scripted profile (provider "${config.models[model]?.provider}"), so no agent would replay the script`;
    target = model;
  } else if (scripted.length === 0) {
    return `--script ${script}: ${config.source} has no scripted model profile (provider = "scripted") to replay it`;
  } else if (scripted.length === 1) {
    target = scripted[0];
  } else {
    const usedScripted = scripted.filter((name) => used.includes(name));
    if (usedScripted.length !== 1) {
      const uses = usedScripted.length === 0 ? 'no agent of the track uses one' : `the track's agents use ${usedScripted.join(' and ')}`;
      return `--script ${script} is ambiguous: ${config.source} has the scripted profiles ${scripted.join(', ')} and ${uses}; name one with --model NAME (every agent then uses it)`;
    }
    target = usedScripted[0];
  }
  if (!target || !used.includes(target)) {
    return `--script ${script}: no agent of the track uses the scripted profile "${target}" (they use ${used.join(', ') || 'none'}); add --model ${target} to run every agent on it`;
  }
  return { ...config, models: { ...config.models, [target]: { provider: 'scripted', script } } };
}

/**
 * A ticket that uses a scripted profile needs replies in its script: without them it would start
 * and block at once ("script exhausted").
 */
function unscripted(config: ClutchConfig, profile: string, file: string, script: Script, track: NonNullable<Checked['track']>): string[] {
  const known = Object.keys(script.tickets);
  const has = known.length > 0 ? `it has ${known.join(', ')}` : 'it has no tickets';
  return track.track.tickets.flatMap((ticket, index) => {
    if (config.agents[ticket.worker_archetype]?.model !== profile || Object.hasOwn(script.tickets, ticket.id)) return [];
    return [
      `${at(track.file, ['tickets', index, 'id'])}: ticket ${ticket.id} (agent ${ticket.worker_archetype}) uses the scripted profile "${profile}", ` +
        `but its script ${file} has no replies for ${ticket.id} (${has}); add "${ticket.id}" under "tickets" in the script`,
    ];
  });
}

/** debug_state_path naming the run's copy of the workspace would have the write hit a folder. */
function debugStateClash(config: ClutchConfig, workspace: string): string[] {
  const copy = basename(workspace) || 'workspace';
  const name = config.execution.debug_state_path;
  if (name !== copy) return [];
  return [
    `${at(config.source, ['execution', 'debug_state_path'])}: debug_state_path "${name}" in [execution] is the name of the run's copy of the workspace ` +
      `(${workspace} is copied to .clutch/runs/<id>/${copy}); choose another file name`,
  ];
}

/** `file:line:column` of a TOML key, or the file alone when it cannot be read again. */
function at(file: string, path: TomlPath): string {
  try {
    const { line, column } = locate(scanToml(readFileSync(file, 'utf8')), path, 'value');
    return `${file}:${line}:${column}`;
  } catch {
    return file;
  }
}
