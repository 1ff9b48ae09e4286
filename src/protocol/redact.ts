export const REDACTED = '[redacted]';

/** The text with every occurrence of each secret replaced (give them longest first). */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (result.includes(secret)) result = result.split(secret).join(REDACTED);
  }
  return result;
}
