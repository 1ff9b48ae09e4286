import { loadConfig } from '../config/index.js';
import { formatIssues } from '../config/issues.js';
import { probeProfile, endpointOf, type ProbeResult } from '../models/probe.js';
import { defaultConfigPath, UsageError } from '../runs/load-inputs.js';
import { resolve } from 'node:path';

export interface ModelsOptions {
  cwd: string;
  config?: string | undefined;
  /** Seconds each profile has to answer (default 10). */
  timeout?: string | undefined;
  json: boolean;
  env?: Record<string, string | undefined>;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

function pad(text: string, width: number): string {
  return text.length >= width ? `${text} ` : text.padEnd(width);
}

function answerText(result: ProbeResult): string {
  if (result.status === 'ok') return `ok in ${result.ms} ms: ${result.answer}`;
  if (result.status === 'skipped') return `not tried: ${result.reason}`;
  return `failed after ${result.ms} ms: ${result.reason}`;
}

/**
 * `clutch models [--config F] [--timeout S] [--json]`: lists agents.toml's model profiles and
 * tries each with a one-token request, all at once, each bounded by the timeout. Exit 0 when
 * every profile that could be tried answered (one without its key is listed as not tried), 1 when
 * one failed, 2 for a config that does not load.
 */
export async function modelsCommand(options: ModelsOptions): Promise<number> {
  const seconds = options.timeout === undefined ? 10 : Number(options.timeout);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) throw new UsageError(`--timeout must be a number of seconds between 0 and 600 (got "${options.timeout}")`);
  const file = options.config ? resolve(options.cwd, options.config) : defaultConfigPath(options.cwd);
  const loaded = loadConfig(file);
  if (!loaded.ok) {
    options.stderr.write(`${formatIssues(loaded.errors)}\n`);
    return 2;
  }
  const config = loaded.value;
  const env = options.env ?? process.env;
  const print = (line: string) => options.stdout.write(`${line}\n`);
  const profiles = Object.entries(config.models);
  if (!options.json) print(`trying ${profiles.length} model profile${profiles.length === 1 ? '' : 's'} of ${config.source} (a one-token request each, ${seconds} s at most)`);
  const results = await Promise.all(profiles.map(([name, profile]) => probeProfile(name, profile, { env, timeoutMs: seconds * 1000 })));
  const users = (name: string) => Object.keys(config.agents).filter((agent) => config.agents[agent]!.model === name);
  if (options.json) {
    profiles.forEach(([name, profile], index) => {
      print(JSON.stringify({ profile: name, provider: profile.provider, model: profile.model ?? profile.script ?? null, endpoint: endpointOf(profile, env), agents: users(name), ...results[index] }));
    });
  } else {
    print('');
    print(`${pad('profile', 12)}${pad('provider', 11)}${pad('model', 24)}${pad('endpoint', 30)}answer`);
    profiles.forEach(([name, profile], index) => {
      const model = profile.provider === 'scripted' ? '(script)' : (profile.model ?? '?');
      print(`${pad(name, 12)}${pad(profile.provider, 11)}${pad(model, 24)}${pad(endpointOf(profile, env), 30)}${answerText(results[index]!)}`);
    });
    const unused = profiles.filter(([name]) => users(name).length === 0).map(([name]) => name);
    if (unused.length > 0) print(`\nno agent uses ${unused.join(', ')} yet (an agent's \`model\`, or \`--model NAME\` for every agent)`);
  }
  return results.some((result) => result.status === 'failed') ? 1 : 0;
}
