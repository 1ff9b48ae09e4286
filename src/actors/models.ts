import { dirname, isAbsolute, resolve } from 'node:path';
import type { ModelClient } from '../models/model-client.js';
import { createScriptedModel, loadScript } from '../models/scripted.js';
import type { ClutchConfig } from '../protocol/index.js';

/** Builds a client for every model profile the given archetypes use; fails before the run starts. */
export async function modelsFromConfig(
  config: ClutchConfig,
  archetypes: readonly string[],
  options: { chunkSize?: number; chunkDelayMs?: number } = {},
): Promise<(profile: string) => ModelClient> {
  const clients = new Map<string, ModelClient>();
  for (const name of new Set(archetypes.map((archetype) => config.agents[archetype]?.model))) {
    if (!name || clients.has(name)) continue;
    const profile = config.models[name];
    if (!profile) throw new Error(`${config.source}: model profile "${name}" is not defined`);
    if (profile.provider === 'scripted') {
      const scriptPath = profile.script ?? '';
      const script = await loadScript(isAbsolute(scriptPath) ? scriptPath : resolve(dirname(config.source), scriptPath));
      clients.set(name, createScriptedModel({ script, ...options }));
    } else {
      throw new Error(
        `${config.source}: model profile "${name}" uses the anthropic provider, which this version does not support yet; use a scripted profile`,
      );
    }
  }
  return (profile) => {
    const client = clients.get(profile);
    if (!client) throw new Error(`no model client for profile "${profile}"`);
    return client;
  };
}
