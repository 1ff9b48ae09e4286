import { createTwoFilesPatch } from 'diff';
import type { ToolPreview } from '../protocol/index.js';

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
  return { kind: 'diff', path: relative, diff, created };
}
