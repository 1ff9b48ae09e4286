import { createTwoFilesPatch } from 'diff';
import type { ToolPreview } from '../protocol/index.js';

/**
 * Up to this many characters (before and after together) the preview carries both whole texts for
 * the diff editor; a larger file is shown and edited as its diff and JSON payload only, so a view
 * never carries a big file twice.
 */
export const FULL_TEXT_LIMIT = 200_000;

/**
 * The pause-1 preview of a file change: a git-style unified diff, "/dev/null" as the old side of
 * a new file, so a human reads it the way they read any patch.
 */
export function diffPreview(relative: string, before: string, after: string, created: boolean): ToolPreview {
  const diff = createTwoFilesPatch(
    created ? '/dev/null' : `a/${relative}`,
    `b/${relative}`,
    before,
    after,
    undefined,
    undefined,
    { context: 3 },
  );
  const texts = before.length + after.length <= FULL_TEXT_LIMIT ? { before, after } : {};
  return { kind: 'diff', path: relative, diff, created, ...texts };
}
