import { describe, expect, it } from 'vitest';
import { capStrings, cutMarker, debugStateOf, MAX_DEBUG_STRING } from '../../src/actors/debug-state.js';
import type { FinishedArchive } from '../../src/actors/finished-archive.js';
import type { Track } from '../../src/protocol/index.js';

describe('debug state caps long strings', () => {
  it('cuts strings over the cap with a marker saying how many bytes went, and shares what needs no cut', () => {
    const short = { a: 'x', list: [1, 'two', null, true] };
    const long = 'é'.repeat(MAX_DEBUG_STRING + 10);
    const value = { short, nested: { deep: [{ content: long }] } };
    const capped = capStrings(value);
    expect(capped.short).toBe(short);
    const cut = capped.nested.deep[0]!.content;
    expect(cut.startsWith('é'.repeat(MAX_DEBUG_STRING))).toBe(true);
    expect(cut.endsWith(cutMarker(20))).toBe(true);
    expect(value.nested.deep[0]!.content).toBe(long);
    expect(capStrings('abc', 2)).toBe(`ab${cutMarker(1)}`);
    // Half of a surrogate pair is not kept.
    expect(capStrings('a😀b', 2)).toBe(`a${cutMarker(5)}`);
  });

  it('debugStateOf keeps a huge tool input out of the snapshot', () => {
    const content = 'x'.repeat(7 * 1024 * 1024);
    const track: Track = { id: 't', title: 'T', description: '', status: 'pending', tickets: [] };
    const engine = {
      elapsed: () => 1,
      track: () => track,
      conductor: { getPersistedSnapshot: () => ({ context: { input: { path: 'big.txt', content } } }) },
      journal: { tail: () => [{ kind: 'tool' as const, at: 0, ticket: 'T1', attempt: 1, tool: 'write_file', tool_use_id: 'w', input: { content }, is_error: false, output: 'ok' }] },
    };
    const state = debugStateOf(engine, new Map() as unknown as FinishedArchive);
    const text = JSON.stringify(state);
    expect(text.length).toBeLessThan(3 * MAX_DEBUG_STRING);
    expect(text).toContain(cutMarker(content.length - MAX_DEBUG_STRING));
  });
});
