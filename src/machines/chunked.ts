/**
 * An immutable list stored as fixed-size chunks. Changing one entry copies the chunk index and one
 * chunk (about 300 slots at 10k entries) instead of the whole list, so per-ticket bookkeeping stays
 * flat as tracks grow, snapshots stay plain JSON, and earlier snapshots are never mutated.
 */
export interface Chunked<T> {
  size: number;
  chunks: T[][];
}

const CHUNK = 256;

export function chunkedFrom<T>(items: readonly T[]): Chunked<T> {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += CHUNK) chunks.push(items.slice(start, start + CHUNK));
  return { size: items.length, chunks };
}

export function at<T>(list: Chunked<T>, index: number): T {
  if (index < 0 || index >= list.size) throw new RangeError(`index ${index} is outside a list of ${list.size}`);
  return list.chunks[Math.floor(index / CHUNK)]![index % CHUNK]!;
}

/** A copy with the given entries replaced; each touched chunk is copied once. */
export function withEntries<T>(list: Chunked<T>, updates: Iterable<readonly [number, T]>): Chunked<T> {
  let chunks: T[][] | undefined;
  const copied = new Set<number>();
  for (const [index, value] of updates) {
    if (index < 0 || index >= list.size) throw new RangeError(`index ${index} is outside a list of ${list.size}`);
    chunks ??= list.chunks.slice();
    const chunk = Math.floor(index / CHUNK);
    if (!copied.has(chunk)) {
      chunks[chunk] = chunks[chunk]!.slice();
      copied.add(chunk);
    }
    chunks[chunk]![index % CHUNK] = value;
  }
  return chunks ? { size: list.size, chunks } : list;
}

export function toArray<T>(list: Chunked<T>): T[] {
  return list.chunks.flat() as T[];
}
