import type { ModelProfile } from '../protocol/index.js';
import { ModelSetupError } from './model-setup-error.js';

/** An openai profile's key, from the variable its api_key_env names; none for a local server. */
export function openaiKey(name: string, profile: ModelProfile, env: Record<string, string | undefined>): string | undefined {
  const variable = profile.api_key_env;
  if (!variable) return undefined;
  const key = env[variable]?.trim();
  if (!key) {
    throw new ModelSetupError(
      `model profile "${name}" reads its API key from ${variable} (api_key_env), which is not set: set ${variable}, ` +
        'or remove api_key_env for a local server that needs no key',
      { profile: name },
    );
  }
  return key;
}
