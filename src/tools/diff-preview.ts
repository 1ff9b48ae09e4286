import { createTwoFilesPatch } from 'diff';
import type { ToolPreview } from '../protocol/index.js';

/**
 * Up to this many characters (before and after together) the preview carries both whole texts for
 * the diff editor; a larger file is shown and edited as its diff and JSON payload only, so a view
 * never carries a big file twice.
 */
export const FULL_TEXT_LIMIT = 200_000;
/** Larger changes (before and after together, in characters) are not diffed at all. */
export const DIFF_INPUT_LIMIT = 16 * 1024 * 1024;
/** A diff needing more changed lines than this is given up (its cost grows with their number). */
export const MAX_DIFF_EDIT_LINES = 1000;
/** A diff longer than this many characters is cut at a line. */
export const MAX_DIFF_CHARS = 256 * 1024;
/** How much of the new content a cut preview shows, in UTF-8 bytes. */
export const CUT_PREVIEW_HEAD_BYTES = 64 * 1024;

export interface DiffPreviewOptions {
  /**
   * Why the file's current content is not shown (`before` is then empty): said in the old side's
   * header line, and the whole texts are left out so the diff editor does not offer an empty file.
   */
  hiddenBefore?: string;
}

/**
 * The pause-1 preview of a file change: a git-style unified diff, "/dev/null" as the old side of
 * a new file, so a human reads it the way they read any patch. A change too large to diff is shown
 * as its sizes and the head of the new content, marked "preview cut", so the human still sees what
 * they approve without megabytes of diff in every view and snapshot.
 */
export function diffPreview(
  relative: string,
  before: string,
  after: string,
  created: boolean,
  options: DiffPreviewOptions = {},
): ToolPreview {
  const oldName = created ? '/dev/null' : `a/${relative}`;
  const newName = `b/${relative}`;
  const texts = before.length + after.length <= FULL_TEXT_LIMIT && options.hiddenBefore === undefined ? { before, after } : {};
  if (before.length + after.length > DIFF_INPUT_LIMIT) {
    return cutPreview(relative, before, after, created, `the change is too large to diff (${sizes(before, after)})`, options);
  }
  const diff = createTwoFilesPatch(oldName, newName, before, after, options.hiddenBefore, undefined, {
    context: 3,
    maxEditLength: MAX_DIFF_EDIT_LINES,
  });
  if (diff === undefined) {
    return cutPreview(relative, before, after, created, `more than ${MAX_DIFF_EDIT_LINES} lines change (${sizes(before, after)})`, options);
  }
  if (diff.length > MAX_DIFF_CHARS) {
    const end = diff.lastIndexOf('\n', MAX_DIFF_CHARS);
    const kept = diff.slice(0, end === -1 ? MAX_DIFF_CHARS : end + 1);
    const marker = `\\ preview cut: ${diff.length - kept.length} more characters of this diff not shown (${sizes(before, after)})\n`;
    return { kind: 'diff', path: relative, diff: kept + marker, created, ...texts };
  }
  return { kind: 'diff', path: relative, diff, created, ...texts };
}

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function sizes(before: string, after: string): string {
  return `${bytes(before)} bytes before, ${bytes(after)} bytes after`;
}

/**
 * A diff-shaped preview without a diff: the sizes in the header lines, then the head of the new
 * content as added lines, between two "\ preview cut" lines (drawn as notes, like git's
 * "\ No newline at end of file").
 */
function cutPreview(
  relative: string,
  before: string,
  after: string,
  created: boolean,
  reason: string,
  options: DiffPreviewOptions,
): ToolPreview {
  const total = bytes(after);
  const head = headOf(after, CUT_PREVIEW_HEAD_BYTES);
  const shownBytes = bytes(head);
  const oldHeader = created ? '/dev/null' : `a/${relative}\t${options.hiddenBefore ?? `${bytes(before)} bytes`}`;
  const lines = [
    `--- ${oldHeader}`,
    `+++ b/${relative}\t${total} bytes`,
    `\\ preview cut: ${reason}; the first ${shownBytes} of the ${total} bytes of the new content follow`,
    ...(head === '' ? [] : head.replace(/\n$/, '').split('\n').map((line) => `+${line}`)),
  ];
  if (shownBytes < total) lines.push(`\\ preview cut: ${total - shownBytes} more bytes of the new content not shown`);
  return { kind: 'diff', path: relative, diff: `${lines.join('\n')}\n`, created };
}

/** The head of `text` within `maxBytes` of UTF-8, cut after a line when one ends in the second half. */
function headOf(text: string, maxBytes: number): string {
  // A UTF-8 character takes at most 3 bytes per UTF-16 code unit.
  let head = text.slice(0, maxBytes);
  while (bytes(head) > maxBytes) head = head.slice(0, Math.floor(head.length * 0.9));
  if (head.length === text.length) return head;
  // Do not end between the two halves of a surrogate pair.
  const lastUnit = head.charCodeAt(head.length - 1);
  if (lastUnit >= 0xd800 && lastUnit <= 0xdbff) head = head.slice(0, -1);
  const lineEnd = head.lastIndexOf('\n');
  return lineEnd >= head.length / 2 ? head.slice(0, lineEnd + 1) : head;
}
