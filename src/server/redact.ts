/** Names of environment variables whose values are secrets (API keys, tokens, passwords). */
const SECRET_NAME = /(API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE_KEY)/i;
/** Shorter values are too likely to occur by chance ("1", "true") to be worth hunting for. */
const MIN_SECRET_LENGTH = 8;

export { redact, REDACTED } from '../protocol/redact.js';

/**
 * The secret values of an environment, longest first. Nothing the server sends is built from the
 * environment; this is the safety net for a secret that reaches a view some other way (a model
 * error message, a tool's output of `env`).
 */
export function secretsOf(env: Record<string, string | undefined>): string[] {
  const values = Object.entries(env)
    .filter(([name, value]) => SECRET_NAME.test(name) && value !== undefined && value.trim().length >= MIN_SECRET_LENGTH)
    .map(([, value]) => value!.trim());
  // Messages are JSON: a secret with characters JSON escapes appears in its escaped form.
  const forms = values.flatMap((value) => [value, JSON.stringify(value).slice(1, -1)]);
  return [...new Set(forms)].sort((a, b) => b.length - a.length);
}
