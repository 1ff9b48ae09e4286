/** Every active leaf of a state value as a dotted path: {toolCycle: {awaitingApproval: 'ready'}} → toolCycle.awaitingApproval.ready. */
export function leafPaths(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => {
    const below = leafPaths(inner);
    return below.length === 0 ? [key] : below.map((path) => `${key}.${path}`);
  });
}

/** A short form for lists: the leaf paths, joined. */
export function stateSummary(value: unknown): string {
  return leafPaths(value).join(' · ');
}

/** '+1.234 s', '+2 m 03.4 s': time since the run started. */
export function formatAt(ms: number): string {
  if (ms < 60_000) return `+${(ms / 1000).toFixed(3)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = ((ms % 60_000) / 1000).toFixed(1).padStart(4, '0');
  return `+${minutes} m ${seconds} s`;
}
