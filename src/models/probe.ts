import type { ModelProfile } from '../protocol/index.js';
import { errorText } from '../protocol/error-text.js';
import { createAnthropicModel } from './anthropic.js';
import { withIdleTimeout } from './idle-timeout.js';
import { runTurn, type ModelClient } from './model-client.js';
import { ModelSetupError } from './model-setup-error.js';
import { createOpenAIModel } from './openai.js';
import { loadScript } from './scripted.js';
import { openaiKey } from './keys.js';

/** What trying one profile found: it answered, it could not be tried (no key), or it failed. */
export type ProbeResult =
  | { status: 'ok'; ms: number; answer: string }
  | { status: 'skipped'; reason: string }
  | { status: 'failed'; ms: number; reason: string };

export interface ProbeOptions {
  env: Record<string, string | undefined>;
  /** Milliseconds before a profile that has not answered counts as failed. */
  timeoutMs: number;
  now?: () => number;
}

/** Where a profile sends its requests, for the listing: never with a key in it. */
export function endpointOf(profile: ModelProfile, env: Record<string, string | undefined>): string {
  if (profile.provider === 'scripted') return '-';
  if (profile.provider === 'openai') return profile.base_url ?? '?';
  return env['ANTHROPIC_BASE_URL']?.trim() || 'https://api.anthropic.com';
}

function clientFor(name: string, profile: ModelProfile, env: Record<string, string | undefined>): ModelClient {
  if (profile.provider === 'openai') {
    const apiKey = openaiKey(name, profile, env);
    return createOpenAIModel({ ...(apiKey ? { apiKey } : {}), baseURL: profile.base_url ?? '', model: profile.model ?? '', profile: name, maxTokens: 1 });
  }
  const apiKey = env['ANTHROPIC_API_KEY']?.trim();
  if (!apiKey) throw new ModelSetupError('no key: set ANTHROPIC_API_KEY to try it', { profile: name });
  const baseURL = env['ANTHROPIC_BASE_URL']?.trim();
  return createAnthropicModel({ apiKey, model: profile.model ?? '', profile: name, maxTokens: 1, ...(baseURL ? { baseURL } : {}) });
}

/**
 * Tries a profile with a one-token request (a scripted profile: reads its script), bounded by the
 * timeout whether the server is silent before its response or in the middle of it.
 */
export async function probeProfile(name: string, profile: ModelProfile, options: ProbeOptions): Promise<ProbeResult> {
  const now = options.now ?? Date.now;
  const started = now();
  if (profile.provider === 'scripted') {
    try {
      const script = await loadScript(profile.script ?? '');
      return { status: 'ok', ms: now() - started, answer: `script ${profile.script} (${Object.keys(script.tickets).length} tickets)` };
    } catch (error) {
      return { status: 'failed', ms: now() - started, reason: errorText(error) };
    }
  }
  let client: ModelClient;
  try {
    client = clientFor(name, profile, options.env);
  } catch (error) {
    if (error instanceof ModelSetupError) return { status: 'skipped', reason: error.message.startsWith('no key') ? error.message : `no key: ${error.message}` };
    throw error;
  }
  const controller = new AbortController();
  const deadline = setTimeout(() => controller.abort(), options.timeoutMs);
  try {
    const reply = await runTurn(withIdleTimeout(client, { idleMs: options.timeoutMs, profile: name }), {
      ticketId: 'probe',
      attempt: 1,
      profile: name,
      system: 'Answer with one word.',
      messages: [{ role: 'user', content: 'Say OK.' }],
      tools: [],
      signal: controller.signal,
    });
    const answer = reply.message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('').trim();
    return { status: 'ok', ms: now() - started, answer: answer === '' ? '(an empty reply)' : JSON.stringify(answer.slice(0, 40)) };
  } catch (error) {
    const reason = controller.signal.aborted ? `no answer within ${options.timeoutMs / 1000} s` : errorText(error);
    return { status: 'failed', ms: now() - started, reason };
  } finally {
    clearTimeout(deadline);
  }
}
