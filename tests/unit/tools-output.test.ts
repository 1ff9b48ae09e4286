import { describe, expect, it } from 'vitest';
import { HeadTailBuffer, truncateHeadTail, utf8Prefix } from '../../src/tools/output.js';

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
