/** One line per input field, long values cut: for lists where the full input does not fit. */
export function summarizeInput(input: Record<string, unknown>): string {
  return Object.entries(input)
    .map(([name, value]) => {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      return `${name}: ${text.length > 80 ? `${text.slice(0, 77)}…` : text}`;
    })
    .join(' · ');
}

/** An argv as a shell would need it typed (it is never run through a shell; this is for reading). */
export function commandLine(argv: readonly string[]): string {
  return argv.map((part) => (/[\s'"\\$`]/.test(part) || part === '' ? `'${part.replace(/'/g, `'\\''`)}'` : part)).join(' ');
}

/** 1234 → "1.2k": token counts at a glance. */
export function compactCount(count: number): string {
  if (count < 1000) return String(count);
  if (count < 1_000_000) return `${(count / 1000).toFixed(count < 10_000 ? 1 : 0)}k`;
  return `${(count / 1_000_000).toFixed(1)}M`;
}

/** Tokens in and out, and the cost estimate when every profile used has prices. */
export function usageText(line: { input_tokens: number; output_tokens: number; cost_usd: number | null }): string {
  const cost = line.cost_usd === null ? 'cost unknown' : `$${line.cost_usd.toFixed(line.cost_usd < 1 ? 4 : 2)}`;
  return `${compactCount(line.input_tokens)} in · ${compactCount(line.output_tokens)} out · ${cost}`;
}

/** How long ago an epoch-ms moment was, for "last activity": "12 s ago", "3 min ago", or the date. */
export function ago(ms: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}
