import { dirname, isAbsolute, resolve } from 'node:path';
import { createAnthropicModel } from '../models/anthropic.js';
import { withIdleTimeout, type IdleTimer } from '../models/idle-timeout.js';
import { createOpenAIModel } from '../models/openai.js';
import { createRecorder, createReplayModel, loadCassette } from '../models/cassette.js';
import type { ModelClient } from '../models/model-client.js';
import { createScriptedModel, loadScript } from '../models/scripted.js';
import type { ClutchConfig, ModelProfile } from '../protocol/index.js';
import { defaultIdleTimeoutSeconds } from '../protocol/config-schema.js';
import { ModelSetupError } from '../models/model-setup-error.js';
import { openaiKey } from '../models/keys.js';

export interface ModelsOptions {
  chunkSize?: number;
  chunkDelayMs?: number;
  /** Where ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL are read; process.env by default. */
  env?: Record<string, string | undefined>;
  /** The clock for retry-after deadlines and cassette delays. */
  now?: () => number;
  /** Writes every model call of the run to this JSONL cassette. */
  record?: string;
  /** Answers every model call from this cassette, with no network and no API key. */
  replay?: string;
  /** Replaces every profile's idle_timeout_s (milliseconds): tests of a stalled stream. */
  idleTimeoutMs?: number;
  /** The idle timeout's timer (real timers by default). */
  idleTimer?: IdleTimer;
}

/** Builds a client for every model profile the given archetypes use; fails before the run starts. */
export async function modelsFromConfig(
  config: ClutchConfig,
  archetypes: readonly string[],
  options: ModelsOptions = {},
): Promise<(profile: string) => ModelClient> {
  const clients = new Map<string, ModelClient>();
  // An archetype's reviewer and QA agent call models too.
  const agents = new Set(archetypes);
  for (const archetype of archetypes) {
    const agent = config.agents[archetype];
    if (agent?.review_by) agents.add(agent.review_by);
    if (agent?.qa_by) agents.add(agent.qa_by);
  }
  const names = [...new Set([...agents].map((archetype) => config.agents[archetype]?.model))].filter((name): name is string => Boolean(name));
  for (const name of names) {
    if (!config.models[name]) throw new ModelSetupError(`${config.source}: model profile "${name}" is not defined`, { file: config.source, profile: name });
  }
  if (options.replay) {
    const replay = createReplayModel(loadCassette(options.replay), { source: options.replay, ...(options.now ? { now: options.now } : {}) });
    return () => replay;
  }
  const env = options.env ?? process.env;
  const idle = (client: ModelClient, name: string, profile: ModelProfile) =>
    withIdleTimeout(client, {
      idleMs: options.idleTimeoutMs ?? (profile.idle_timeout_s ?? defaultIdleTimeoutSeconds) * 1000,
      profile: name,
      ...(options.idleTimer ? { timer: options.idleTimer } : {}),
    });
  for (const name of names) {
    const profile = config.models[name]!;
    if (profile.provider === 'scripted') {
      const scriptPath = profile.script ?? '';
      const script = await loadScript(isAbsolute(scriptPath) ? scriptPath : resolve(dirname(config.source), scriptPath));
      clients.set(name, createScriptedModel({ script, chunkSize: options.chunkSize, chunkDelayMs: options.chunkDelayMs }));
    } else if (profile.provider === 'openai') {
      const apiKey = openaiKey(name, profile, env);
      clients.set(
        name,
        idle(
          createOpenAIModel({
            ...(apiKey ? { apiKey } : {}),
            baseURL: profile.base_url ?? '',
            model: profile.model ?? '',
            profile: name,
            ...(profile.max_tokens !== undefined ? { maxTokens: profile.max_tokens } : {}),
            ...(options.now ? { now: options.now } : {}),
          }),
          name,
          profile,
        ),
      );
    } else {
      const apiKey = env['ANTHROPIC_API_KEY']?.trim();
      if (!apiKey) {
        throw new ModelSetupError(
          `model profile "${name}" uses the anthropic provider, which needs an API key: set ANTHROPIC_API_KEY ` +
            '(or replay a recorded run with --replay FILE, or use a scripted profile)',
          { profile: name },
        );
      }
      const baseURL = env['ANTHROPIC_BASE_URL']?.trim();
      clients.set(
        name,
        idle(
          createAnthropicModel({
            apiKey,
            model: profile.model ?? '',
            profile: name,
            ...(baseURL ? { baseURL } : {}),
            ...(profile.max_tokens !== undefined ? { maxTokens: profile.max_tokens } : {}),
            ...(options.now ? { now: options.now } : {}),
          }),
          name,
          profile,
        ),
      );
    }
  }
  if (options.record) {
    const record = createRecorder(options.record, options.now);
    for (const [name, client] of clients) clients.set(name, record(client));
  }
  return (profile) => {
    const client = clients.get(profile);
    if (!client) throw new Error(`no model client for profile "${profile}"`);
    return client;
  };
}

/** `--model NAME`: every agent uses that profile. */
export function withModelProfile(config: ClutchConfig, name: string): ClutchConfig {
  if (!config.models[name]) {
    const known = Object.keys(config.models).join(', ') || 'none';
    throw new ModelSetupError(`--model ${name}: no model profile "${name}" in ${config.source} (profiles: ${known})`, { file: config.source, profile: name });
  }
  const agents = Object.fromEntries(Object.entries(config.agents).map(([archetype, agent]) => [archetype, { ...agent, model: name }]));
  return { ...config, agents };
}
