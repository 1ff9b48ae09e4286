import { describe, expect, it } from 'vitest';
import { HeadTailBuffer, truncateHeadTail, utf8Prefix } from '../../src/tools/output.js';
import { CUT_PREVIEW_HEAD_BYTES, diffPreview, MAX_DIFF_CHARS, MAX_DIFF_EDIT_LINES } from '../../src/tools/diff-preview.js';
import type { ToolPreview } from '../../src/protocol/index.js';

function diffOf(preview: ToolPreview): Extract<ToolPreview, { kind: 'diff' }> {
  if (preview.kind !== 'diff') throw new Error('expected a diff preview');
  return preview;
}

describe('output capping', () => {
  it('keeps everything under the limit', () => {
    const buffer = new HeadTailBuffer(10);
    buffer.push(Buffer.from('abc'));
    buffer.push(Buffer.from('defg'));
    expect(buffer.toString()).toBe('abcdefg');
    expect(buffer.totalBytes).toBe(7);
  });

  it('keeps the head and the tail across many small chunks, with the dropped count', () => {
    const buffer = new HeadTailBuffer(10);
    for (const ch of 'abcdefghijklmnopqrstuvwxyz') buffer.push(Buffer.from(ch));
    expect(buffer.toString()).toBe('abcde\n[… 16 bytes truncated …]\nvwxyz');
  });

  it('handles one chunk much larger than the limit', () => {
    expect(truncateHeadTail('0123456789'.repeat(100), 20)).toBe('0123456789\n[… 980 bytes truncated …]\n0123456789');
  });

  it('never splits a UTF-8 character', () => {
    const text = 'é'.repeat(50); // 2 bytes each
    const out = truncateHeadTail(text, 11);
    expect(out).not.toContain('\uFFFD');
    expect(out).toMatch(/^(é+)\n\[… (\d+) bytes truncated …\]\n(é+)$/);
    const [, head = '', dropped = '0', tail = ''] = /^(é+)\n\[… (\d+) bytes truncated …\]\n(é+)$/.exec(out) ?? [];
    expect(Buffer.byteLength(head) + Number(dropped) + Buffer.byteLength(tail)).toBe(100);
    expect(utf8Prefix('aé', 2)).toBe('a');
    expect(utf8Prefix('aé', 3)).toBe('aé');
  });
});

describe('diff previews are capped', () => {
  it('a small change is a whole diff with both texts', () => {
    const preview = diffOf(diffPreview('a.txt', 'one\ntwo\n', 'one\n2\n', false));
    expect(preview.diff).toContain('--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n one\n-two\n+2\n');
    expect(preview).toMatchObject({ before: 'one\ntwo\n', after: 'one\n2\n' });
  });

  it('a write too large to diff shows its sizes and the head of the new content, marked "preview cut"', () => {
    const line = `${'y'.repeat(63)}\n`;
    const after = line.repeat((7 * 1024 * 1024) / 64);
    const preview = diffOf(diffPreview('big.txt', 'old\n', after, false));
    expect(preview.before).toBeUndefined();
    expect(preview.after).toBeUndefined();
    const lines = preview.diff.split('\n');
    expect(lines[0]).toBe('--- a/big.txt\t4 bytes');
    expect(lines[1]).toBe('+++ b/big.txt\t7340032 bytes');
    expect(lines[2]).toBe(
      `\\ preview cut: more than ${MAX_DIFF_EDIT_LINES} lines change (4 bytes before, 7340032 bytes after); the first ${CUT_PREVIEW_HEAD_BYTES} of the 7340032 bytes of the new content follow`,
    );
    expect(lines[3]).toBe(`+${'y'.repeat(63)}`);
    expect(lines.at(-2)).toBe(`\\ preview cut: ${7340032 - CUT_PREVIEW_HEAD_BYTES} more bytes of the new content not shown`);
    expect(preview.diff.length).toBeLessThan(CUT_PREVIEW_HEAD_BYTES + 2000);
    const huge = diffOf(diffPreview('huge.txt', after, `${after}${after}x`, false));
    expect(huge.diff.split('\n')[2]).toMatch(/^\\ preview cut: the change is too large to diff \(7340032 bytes before, 14680065 bytes after\)/);
  });

  it('a small change in a large file is still a real diff', () => {
    const before = Array.from({ length: 100_000 }, (_, i) => `line ${i}`).join('\n');
    const preview = diffOf(diffPreview('big.txt', before, before.replace('line 5000\n', 'line five thousand\n'), false));
    expect(preview.diff).toContain('-line 5000\n+line five thousand\n');
    expect(preview.diff).not.toContain('preview cut');
    expect(preview.before).toBeUndefined();
  });

  it('a change of too many lines is not diffed; a new file says /dev/null', () => {
    const before = Array.from({ length: 3000 }, (_, i) => `old ${i}`).join('\n');
    const after = Array.from({ length: 3000 }, (_, i) => `new ${i}`).join('\n');
    const preview = diffOf(diffPreview('f.txt', before, after, false));
    expect(preview.diff).toMatch(/^--- a\/f.txt\t\d+ bytes\n\+\+\+ b\/f.txt\t\d+ bytes\n\\ preview cut: more than 1000 lines change/);
    expect(preview.diff).toContain('\n+new 0\n+new 1\n');
    const created = diffOf(diffPreview('n.txt', '', after, true));
    expect(created.diff.startsWith('--- /dev/null\n+++ b/n.txt\t')).toBe(true);
  });

  it('a long diff is cut at a line with a marker', () => {
    const after = Array.from({ length: 100 }, (_, i) => `${i} ${'z'.repeat(4000)}`).join('\n');
    const preview = diffOf(diffPreview('long.txt', '', after, true));
    expect(preview.diff.length).toBeLessThanOrEqual(MAX_DIFF_CHARS + 200);
    expect(preview.diff).toMatch(/\n\\ preview cut: \d+ more characters of this diff not shown \(0 bytes before, \d+ bytes after\)\n$/);
    expect(preview.diff.split('\n').slice(0, -2).every((line) => line === '' || /^[-+@ =\\]/.test(line))).toBe(true);
  });

  it('a file whose content is hidden says why in its header and carries no texts', () => {
    const preview = diffOf(diffPreview('l.txt', '', 'new\n', false, { hiddenBefore: 'not shown: shared' }));
    expect(preview.diff).toContain('--- a/l.txt\tnot shown: shared\n+++ b/l.txt\n');
    expect(preview.before).toBeUndefined();
  });
});
