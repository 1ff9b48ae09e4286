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
